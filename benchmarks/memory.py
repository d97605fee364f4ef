"""Memory under a flood of the heaviest inputs the pool accepts: peak RSS of the whole process tree.

    python -m benchmarks.memory [--jobs 40] [--before /work/main]

Starts the real process pool (settings' workers, queue size and models), then keeps its queue full with the
heaviest allowed photos, in turn: a 7000×7000 RGBA PNG (≈190 KB, 196 MB decoded), a 7071×7071 16-bit grey
PNG, a 6000×5000 noisy photo-like JPEG of ≈15 MB, and a 1280×960 group photo. Every 20 ms it sums VmRSS of
this process and every worker (from /proc). Peak, the workers' RSS after the flood (memory given back?),
throughput and recycled workers are printed. ``--before DIR`` also decodes the RGBA PNG once in a fresh
process with another checkout's ``inference`` (e.g. main's) and with this tree's, and prints both peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from benchmarks.detector import machine
from bot.settings import get_settings
from inference.errors import PoolBusy
from inference.pipeline import PipelineConfig
from inference.pool import InferencePool
from tests import photos

ROOT = Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def heavy_inputs() -> dict[str, bytes]:
    def png(img: Image.Image) -> bytes:
        out = io.BytesIO()
        img.save(out, "PNG", compress_level=9)
        return out.getvalue()

    rgba = Image.new("RGBA", (7000, 7000), (200, 150, 100, 128))
    rgba.paste(Image.fromarray(cv2.cvtColor(photos.group_photo(), cv2.COLOR_BGR2RGBA)), (100, 100))
    grey16 = Image.fromarray(np.tile(np.linspace(0, 65535, 7071, dtype=np.uint16), (7071, 1)))
    rng = np.random.default_rng(1)
    base = cv2.resize(photos.group_photo(), (6000, 5000), interpolation=cv2.INTER_CUBIC)
    noisy = np.clip(base.astype(np.int16) + rng.integers(-12, 12, base.shape, dtype=np.int16), 0, 255).astype(np.uint8)
    group = cv2.resize(photos.group_photo(), (1280, 385))
    return {"7000×7000 RGBA PNG": png(rgba), "7071×7071 16-bit PNG": png(grey16),
            "6000×5000 JPEG": photos.jpeg(noisy, 92), "1280×385 group JPEG": photos.jpeg(group)}


def single_decode_peak(pythonpath: Path, path: Path) -> float:
    """Peak RSS (MB) of a fresh process that imports the decoder of ``pythonpath`` and decodes ``path`` once."""
    code = ("import sys; from pathlib import Path; from inference.decode import decode_image; "
            "decode_image(Path(sys.argv[1]).read_bytes(), 20*2**20, 50_000_000); "
            "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')))")
    env = dict(os.environ, PYTHONPATH=str(pythonpath))  # run from / so that the working directory is not on the path
    out = subprocess.run([sys.executable, "-c", code, str(path)], env=env, capture_output=True, text=True, check=True,
                         cwd="/")
    return int(out.stdout) / 1024  # VmHWM (not ru_maxrss, which a child inherits from its parent at fork)


async def flood(config: PipelineConfig, jobs: int, workers: int, queue: int, inputs: dict[str, bytes]) -> None:
    async with InferencePool(config, workers=workers, queue_size=queue, timeout_s=120) as pool:
        pids = lambda: [os.getpid(), *pool.worker_pids]  # noqa: E731
        idle = sum(rss_mb(p) for p in pids())
        peak = idle
        peak_worker = 0.0
        done = False

        async def sample() -> None:
            nonlocal peak, peak_worker
            while not done:
                values = [rss_mb(p) for p in pids()]
                peak = max(peak, sum(values))
                peak_worker = max([peak_worker, *values[1:]])
                await asyncio.sleep(0.02)

        sampler = asyncio.create_task(sample())
        payloads = list(inputs.values())
        start = time.perf_counter()
        busy = 0

        async def submit(i: int) -> None:
            nonlocal busy
            while True:
                try:
                    await pool.analyze(payloads[i % len(payloads)], annotate=True)
                    return
                except PoolBusy:
                    busy += 1
                    await asyncio.sleep(0.05)

        await asyncio.gather(*(submit(i) for i in range(jobs)))
        elapsed = time.perf_counter() - start
        await asyncio.sleep(0.2)
        after = [rss_mb(p) for p in pids()]
        done = True
        await sampler
        print(f"| {jobs} jobs, {workers} workers, queue {queue} | {idle:.0f} | **{peak:.0f}** | {peak_worker:.0f} | "
              f"{sum(after):.0f} ({', '.join(f'{v:.0f}' for v in after)}) | {jobs / elapsed:.2f} | {pool.recycled} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--before", type=Path, help="another checkout to compare one RGBA-PNG decode with")
    args = parser.parse_args(argv)
    settings = get_settings()
    config = PipelineConfig.from_settings(settings)
    inputs = heavy_inputs()
    print(f"machine: {machine()}")
    print("inputs: " + ", ".join(f"{name} ({len(data) / 1e6:.2f} MB)" for name, data in inputs.items()))
    if args.before:
        import tempfile

        print("| one input decoded in a fresh process: peak RSS MB | before | this tree |\n|---|---|---|")
        for title, data in inputs.items():
            with tempfile.NamedTemporaryFile() as tmp:
                tmp.write(data)
                tmp.flush()
                peaks = [single_decode_peak(path, Path(tmp.name)) for path in (args.before, ROOT)]
            print(f"| {title} | {peaks[0]:.0f} | {peaks[1]:.0f} |")
    print("| flood | RSS idle MB (main + workers) | peak tree RSS MB | peak one worker MB | after MB (each) "
          "| photos/s | recycled |\n|---|---|---|---|---|---|---|")
    asyncio.run(flood(config, args.jobs, settings.inference_workers, settings.inference_queue_size, inputs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
