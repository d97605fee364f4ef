"""Thread vs process workers for the inference pool: throughput and event-loop lag under load.

    python -m benchmarks.pool [--jobs 24] [--workers 2]

Needs models/centerface.onnx and an emotion model (SHELLY_EMOTION_MODEL, else a generated stand-in with
the same input size, so the timing of the classifier stage is only indicative).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bot.settings import get_settings
from inference.pipeline import PipelineConfig
from inference.pool import InferencePool, PoolKind
from tests import photos


async def measure(config: PipelineConfig, kind: PoolKind, jobs: int, workers: int
                  ) -> tuple[float, float, float, float, float]:
    """(seconds for all jobs, median loop lag ms, max loop lag ms, main-process CPU ms per photo, median ms a
    photo spends in the pool beyond its own analysis: queueing excluded, transport and wake-ups included) with
    ``jobs`` photos submitted at once."""
    payloads = [photos.jpeg(photos.group_photo()), photos.jpeg(photos.astronaut_bgr()),
                photos.jpeg(photos.small_faces_photo(30))]
    async with InferencePool(config, workers=workers, queue_size=jobs, timeout_s=120, kind=kind) as pool:
        lags: list[float] = []
        done = False

        async def ticker() -> None:
            while not done:
                start = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append((time.perf_counter() - start - 0.01) * 1000)

        tick = asyncio.create_task(ticker())
        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(pool.analyze(payloads[i % len(payloads)]) for i in range(jobs)))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        done = True
        await tick
        overheads = []  # one photo at a time: wall time in pool.analyze minus the worker's own total
        for i in range(9):
            t0 = time.perf_counter()
            result = await pool.analyze(payloads[i % len(payloads)])
            overheads.append((time.perf_counter() - t0) * 1000 - result.timings_ms["total"])
    return elapsed, statistics.median(lags), max(lags), cpu * 1000 / jobs, statistics.median(overheads)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    config = PipelineConfig.from_settings(get_settings())
    with tempfile.TemporaryDirectory() as tmp:
        if not config.emotion_model.is_file():
            from tests.inference.conftest import make_emotion_model

            config = PipelineConfig(config.detector, config.detector_model, make_emotion_model(Path(tmp) / "e.onnx"))
            print("(emotion model missing: using a generated stand-in)")
        print(f"{args.jobs} photos at once, {args.workers} workers")
        print("| pool | wall s | photos/s | loop lag median ms | loop lag max ms | main-process CPU ms/photo "
              "| pool overhead ms/photo (one at a time) |\n|---|---|---|---|---|---|---|")
        for kind in ("thread", "process"):
            elapsed, lag_med, lag_max, cpu, extra = asyncio.run(measure(config, kind, args.jobs, args.workers))
            print(f"| {kind} | {elapsed:.2f} | {args.jobs / elapsed:.1f} | {lag_med:.1f} | {lag_max:.1f} | {cpu:.1f} "
                  f"| {extra:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
