"""CenterFace (ours) vs the YuNet anchor, side by side in one process: median time and faces found.

    python -m benchmarks.detector [--yunet PATH] [--repeats 9]

YuNet's model comes from --yunet or $SHELLY_YUNET_ANCHOR (default /work/shared/anchors/...); it is a
benchmark anchor only and is skipped with a message when absent. YuNet runs at each image's own size,
which is how cv2.FaceDetectorYN is normally used and gives it its best recall; "yunet@640" (images
downscaled to 640 px first) is shown for context.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from benchmarks.photos import benchmark_set
from bot.settings import MODELS_DIR
from inference.detect import Detection
from inference.detect.centerface import CenterFaceDetector

DEFAULT_ANCHOR = Path("/work/shared/anchors/face_detection_yunet_2023mar.onnx")


def machine() -> str:
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next((line.split(":", 1)[1].strip() for line in lscpu.splitlines() if line.startswith("Model name")),
                     platform.processor())
    except OSError:
        model = platform.processor()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{model}, {os.cpu_count()} cores, load average {load:.2f} at start"


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def count(found: list[Detection], expected: int) -> tuple[int, int]:
    return min(len(found), expected), max(0, len(found) - expected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--yunet", type=Path, default=Path(os.environ.get("SHELLY_YUNET_ANCHOR", DEFAULT_ANCHOR)))
    parser.add_argument("--centerface", type=Path, default=MODELS_DIR / "centerface.onnx")
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args(argv)

    detectors: dict[str, Callable[[np.ndarray], list[Detection]]] = {
        "centerface": CenterFaceDetector(args.centerface).detect}
    if args.yunet.is_file():
        from inference.detect.yunet import YuNetDetector

        detectors["yunet"] = YuNetDetector(args.yunet).detect
        detectors["yunet@640"] = YuNetDetector(args.yunet, max_side=640).detect  # downscaled to 640 px, for context
    else:
        print(f"YuNet anchor not found at {args.yunet}: set --yunet or SHELLY_YUNET_ANCHOR; CenterFace only")
    print(f"machine: {machine()}; OpenCV threads {cv2.getNumThreads()}; repeats {args.repeats}, median")
    names = list(detectors)
    print("| photo | faces | " + " | ".join(f"{n} found | {n} ms" for n in names) + " |")
    print("|---|---|" + "---|---|" * len(names))
    totals = {n: [0, 0, 0.0] for n in names}  # found, false positives, ms
    expected_total = 0
    for title, image, expected in benchmark_set():
        expected_total += expected
        cells = []
        for name in names:
            detect = detectors[name]
            found, extra = count(detect(image), expected)
            ms = median_ms(lambda d=detect, im=image: d(im), args.repeats)  # type: ignore[misc]
            totals[name][0] += found
            totals[name][1] += extra
            totals[name][2] += ms
            cells.append(f"{found}{f' (+{extra})' if extra else ''} | {ms:.1f}")
        print(f"| {title} | {expected} | " + " | ".join(cells) + " |")
    cells = [f"{t[0]}/{expected_total}{f' (+{t[1]})' if t[1] else ''} | {t[2]:.1f}" for t in totals.values()]
    print(f"| **total** | {expected_total} | " + " | ".join(cells) + " |")
    for anchor in ("yunet", "yunet@640"):
        if anchor in totals:
            ratio = totals["centerface"][2] / totals[anchor][2]
            print(f"\nCenterFace time / {anchor} time = {ratio:.2f} (target ≤ 1.5 vs yunet); recall "
                  f"{totals['centerface'][0]}/{expected_total} vs {totals[anchor][0]}/{expected_total}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
