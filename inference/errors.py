"""Typed errors of the vision core. Each carries a short, user-presentable reason."""

from __future__ import annotations


class ShellyInferenceError(Exception):
    """Base class for every error the vision core raises on purpose."""


class ImageError(ShellyInferenceError):
    """The input could not be used as a photo."""


class EmptyImage(ImageError):
    """Zero bytes."""


class ImageTooLarge(ImageError):
    """More bytes than the configured limit."""


class TooManyPixels(ImageError):
    """More pixels than the configured limit (decompression-bomb guard), refused before decoding."""


class UnsupportedImage(ImageError):
    """Not an image format Shelly reads (or not an image at all)."""


class CorruptImage(ImageError):
    """A known format, but truncated or damaged."""


class ModelMissing(ShellyInferenceError):
    """A model file is not installed; the message names the command that installs it."""


class PoolBusy(ShellyInferenceError):
    """The inference queue is full; try again shortly."""


class AnalysisTimeout(ShellyInferenceError):
    """One job took longer than the per-job timeout."""


class WorkerCrashed(ShellyInferenceError):
    """The worker running the job died; the pool has replaced it."""
