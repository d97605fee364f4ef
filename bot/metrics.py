"""Prometheus metrics, in a registry of their own (one per application, so tests can build many)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["Metrics"]


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.updates = Counter("shelly_updates", "Telegram updates received, by type", ["type"], registry=r)
        self.faces = Counter("shelly_faces", "Faces read, by top emotion", ["emotion"], registry=r)
        self.photos = Counter("shelly_photos", "Photos handled, by outcome", ["outcome"], registry=r)
        self.errors = Counter("shelly_errors", "Errors, by kind", ["kind"], registry=r)
        self.inference_latency = Histogram(
            "shelly_inference_latency_seconds", "Time from submitting a photo to the pool to its analysis",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32), registry=r)
        self.photo_stage = Histogram(
            "shelly_photo_stage_seconds", "Time a photo spends in each stage: gate (settings, opt-out, cooldown), "
            "download, pool (queue + analysis), download_more and pool_more (a bigger copy read again), compose, send",
            ["stage"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16), registry=r)
        self.escalations = Counter("shelly_photo_escalations", "Photos read again from a bigger copy, by why: "
                                   "no_face, small_face", ["reason"], registry=r)
        self.queue_depth = Gauge("shelly_inference_queue_depth", "Photos waiting in the inference pool",
                                 registry=r)
        self.storage_pending = Gauge("shelly_storage_buffer_pending", "Mood events waiting to be written",
                                     registry=r)

    def bind_gauges(self, queue_depth: Callable[[], float] | None, storage_pending: Callable[[], float] | None) -> None:
        """Read the gauges live from the pool and the storage at scrape time."""
        if queue_depth is not None:
            self.queue_depth.set_function(queue_depth)
        if storage_pending is not None:
            self.storage_pending.set_function(storage_pending)
