"""A custom emotion classifier from a folder of photos: one sub-folder per class, named after the class.

Faces are found and cropped exactly as Shelly serves them (``inference.decode`` + the configured detector +
``inference.align.crop_face`` with the crop spec that goes into the model's metadata). Photos without
exactly one face, or that cannot be decoded, are skipped and counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inference.align import CropSpec, crop_face
from inference.decode import decode_image
from inference.detect.base import FaceDetector
from inference.errors import ImageError
from inference.training.train import INPUT_SIZE

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".heif", ".gif"})
MAX_BYTES, MAX_PIXELS = 50 * 1024 * 1024, 100_000_000


@dataclass
class FaceFolder:
    """Cropped grayscale faces (N, 48, 48) with class indices, and what was skipped."""

    pixels: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> photos
    skipped_files: list[str] = field(default_factory=list)


def collect_faces(root: Path, detector: FaceDetector, spec: CropSpec) -> FaceFolder:
    """Crop the single face of every photo under ``root/<class>/``."""
    classes = tuple(sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")))
    if len(classes) < 2:
        raise ValueError(f"{root} needs at least two class sub-folders, found {list(classes)}")
    pixels: list[np.ndarray] = []
    labels: list[int] = []
    skipped: Counter[str] = Counter()
    skipped_files: list[str] = []
    for index, name in enumerate(classes):
        for path in sorted((root / name).rglob("*")):
            if not path.is_file() or path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            reason = None
            try:
                image = decode_image(path.read_bytes(), MAX_BYTES, MAX_PIXELS)
            except ImageError:
                reason = "unreadable"
            else:
                found = detector.detect(image.bgr)
                if len(found) != 1:
                    reason = "no face" if not found else "several faces"
                else:
                    pixels.append(crop_face(image.bgr, np.asarray(found[0].landmarks), spec, INPUT_SIZE, 1))
                    labels.append(index)
            if reason:
                skipped[reason] += 1
                skipped_files.append(f"{path.relative_to(root)}: {reason}")
    empty = np.zeros((0, INPUT_SIZE, INPUT_SIZE), np.uint8)
    return FaceFolder(np.stack(pixels) if pixels else empty, np.asarray(labels, np.int64), classes, skipped,
                      skipped_files)


def stratified_split(
    labels: np.ndarray, fractions: tuple[float, float] = (0.15, 0.15), seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train / validation / test indices, class by class; validation and test get at least one photo of
    each class with three or more photos."""
    rng = np.random.default_rng(seed)
    parts: tuple[list[int], list[int], list[int]] = ([], [], [])
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls)).tolist()
        n_val = n_test = 0
        if len(idx) >= 3:
            n_val = max(1, round(len(idx) * fractions[0]))
            n_test = max(1, round(len(idx) * fractions[1]))
        parts[1].extend(idx[:n_val])
        parts[2].extend(idx[n_val : n_val + n_test])
        parts[0].extend(idx[n_val + n_test :])
    train, val, test = (np.asarray(sorted(p), np.int64) for p in parts)
    return train, val, test
