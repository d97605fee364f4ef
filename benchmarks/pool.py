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


async def measure(config: PipelineConfig, kind: PoolKind, jobs: int, workers: int) -> tuple[float, float, float]:
    """(seconds for all jobs, median loop lag ms, max loop lag ms) with ``jobs`` photos submitted at once."""
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
        start = time.perf_counter()
        await asyncio.gather(*(pool.analyze(payloads[i % len(payloads)]) for i in range(jobs)))
        elapsed = time.perf_counter() - start
        done = True
        await tick
    return elapsed, statistics.median(lags), max(lags)


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
        print("| pool | wall s | photos/s | loop lag median ms | loop lag max ms |\n|---|---|---|---|---|")
        for kind in ("thread", "process"):
            elapsed, lag_med, lag_max = asyncio.run(measure(config, kind, args.jobs, args.workers))
            print(f"| {kind} | {elapsed:.2f} | {args.jobs / elapsed:.1f} | {lag_med:.1f} | {lag_max:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
