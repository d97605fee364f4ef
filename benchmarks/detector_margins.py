"""Why the detector's passes are as large as they are: faces found by face size, for cheaper settings, in one run.

    python -m benchmarks.detector_margins

Composed 1280×960 scenes of the astronaut's and Grace Hopper's heads on a noisy background: eight faces of one
size (the search for tiny faces: the first pass finds none) and mixed sizes (the second pass, sized from the
smallest face the first pass found). Each setting of :class:`inference.detect.centerface.CenterFaceDetector` runs on
the same scenes; a face counts as found when a box is centred within 0.75 of its size. Prints the faces found per
scene (+ boxes on no face) and the total detection time, so a cheaper setting shows what recall it would cost.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.detector import machine
from benchmarks.photos import Truth, matched
from bot.settings import MODELS_DIR
from inference.detect.centerface import CenterFaceDetector
from tests import photos

SETTINGS: dict[str, dict[str, Any]] = {
    "shipped": {},
    "second pass to 28 px": {"target_face_px": 28.0},
    "second pass to 24 px": {"target_face_px": 24.0},
    "search at ≤ 800 px": {"second_size": 800},
    "both (28 px, 800)": {"target_face_px": 28.0, "second_size": 800},
}


def scene(sizes: list[int], seed: int) -> tuple[np.ndarray, Truth]:
    rng = np.random.default_rng(seed)
    canvas = np.clip(rng.normal(150, 25, (960, 1280, 3)), 0, 255).astype(np.uint8)
    heads = [(photos.astronaut_bgr()[20:260, 140:340], 110), (photos.grace_hopper_bgr()[30:400, 60:460], 200)]
    truth: Truth = []
    x, y = 20, 100
    for i, size in enumerate(sizes):
        head, face_px = heads[i % 2]
        small = cv2.resize(head, None, fx=size / face_px, fy=size / face_px, interpolation=cv2.INTER_AREA)
        h, w = small.shape[:2]
        if x + w > 1260:
            x, y = 20, y + 300
        canvas[y : y + h, x : x + w] = small
        truth.append((x + w / 2, y + h / 2, size))
        x += w + 40
    return canvas, truth


def scenes() -> list[tuple[str, np.ndarray, Truth]]:
    out = [(f"8 faces of {s} px", *scene([s] * 8, s)) for s in (12, 14, 16, 18, 20, 24, 28, 32)]
    for s in (16, 20, 24, 32):
        out.append((f"{s} + {2 * s} + {3 * s} px ×3", *scene([s, 2 * s, 3 * s] * 3, s + 1)))
        out.append((f"{s} + {s * 3 // 2} px ×4", *scene([s, s * 3 // 2] * 4, s + 2)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=MODELS_DIR / "centerface.onnx")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    detectors = {name: CenterFaceDetector(args.model, **kw) for name, kw in SETTINGS.items()}
    print(f"machine: {machine()}; one thread")
    print("| scene | " + " | ".join(detectors) + " |")
    print("|---|" + "---|" * len(detectors))
    totals = {name: [0, 0, 0.0] for name in detectors}
    faces = 0
    for name, image, truth in scenes():
        faces += len(truth)
        cells = []
        for setting, detector in detectors.items():
            start = time.perf_counter()
            boxes = [d.box for d in detector.detect(image)]
            hits = matched(boxes, truth, within=0.75)
            extra = len(boxes) - hits
            totals[setting][2] += time.perf_counter() - start
            totals[setting][0] += hits
            totals[setting][1] += extra
            cells.append(f"{hits}/{len(truth)}" + (f" (+{extra})" if extra else ""))
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("| **found, all scenes** | " + " | ".join(f"**{h}/{faces}** (+{e})" for h, e, _ in totals.values()) + " |")
    print("| detection ms, all scenes | " + " | ".join(f"{t * 1000:.0f}" for _, _, t in totals.values()) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
