"""Calibrate the serving crop (CONTRACTS.md ``crop``) so that it reproduces the FER training frame.

Each 48x48 FER face is upscaled and padded so the detector sees some context, the detector's landmarks are
mapped back to FER pixels, the eyes are levelled, and the FER frame (centre, 48 px side) is expressed in
units of d = |eye midpoint - mouth midpoint|: side = s·d, centre = eye midpoint + dy·d downwards.
The medians over thousands of faces are the ``scale`` and ``shift_y`` stored in the model metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from inference.detect.base import FaceDetector


@dataclass(frozen=True)
class Framing:
    scale: float
    shift_y: float
    shift_x_median: float  # should be ~0: the crop contract has no horizontal shift
    faces_used: int
    faces_tried: int
    scale_iqr: tuple[float, float]
    shift_y_iqr: tuple[float, float]

    def as_crop(self) -> dict[str, float]:
        return {"scale": round(self.scale, 3), "shift_y": round(self.shift_y, 3)}


def frame_in_eye_units(landmarks: np.ndarray, centre: tuple[float, float], side: float) -> tuple[float, float, float]:
    """(s, dy, dx) of a square frame (``centre``, ``side``) relative to 5 landmarks, eyes levelled."""
    eye_mid = (landmarks[0] + landmarks[1]) / 2
    mouth_mid = (landmarks[3] + landmarks[4]) / 2
    ex, ey = landmarks[1] - landmarks[0]
    angle = np.arctan2(ey, ex)
    cos, sin = np.cos(-angle), np.sin(-angle)
    rotate = np.array([[cos, -sin], [sin, cos]])
    mouth = rotate @ (mouth_mid - eye_mid)
    d = float(np.hypot(*mouth))
    c = rotate @ (np.asarray(centre, dtype=np.float64) - eye_mid)
    return side / d, float(c[1]) / d, float(c[0]) / d


def upscale_with_context(face: np.ndarray, scale: int = 3, pad: int = 24) -> np.ndarray:
    """48x48 gray -> BGR (48·scale + 2·pad)², replicated border so the detector sees a head, not a tight crop."""
    big = cv2.resize(face, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    big = cv2.copyMakeBorder(big, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    return cv2.cvtColor(big, cv2.COLOR_GRAY2BGR)


def calibrate(detector: FaceDetector, faces: np.ndarray, scale: int = 3, pad: int = 24) -> Framing:
    """Median crop parameters that reproduce the FER frame, over faces where exactly one face is found."""
    size = faces.shape[1]
    samples: list[tuple[float, float, float]] = []
    for face in faces:
        found = detector.detect(upscale_with_context(face, scale, pad))
        if len(found) != 1:
            continue
        marks = (np.asarray(found[0].landmarks, dtype=np.float64) - pad + 0.5) / scale - 0.5  # back to FER pixels
        s, dy, dx = frame_in_eye_units(marks, ((size - 1) / 2, (size - 1) / 2), float(size))
        if np.isfinite(s) and 1.0 < s < 8.0:
            samples.append((s, dy, dx))
    if not samples:
        raise RuntimeError("the detector found no usable face in the calibration set")
    arr = np.asarray(samples)
    q: Any = np.percentile(arr, [25, 50, 75], axis=0)
    return Framing(
        scale=float(q[1, 0]),
        shift_y=float(q[1, 1]),
        shift_x_median=float(q[1, 2]),
        faces_used=len(samples),
        faces_tried=len(faces),
        scale_iqr=(float(q[0, 0]), float(q[2, 0])),
        shift_y_iqr=(float(q[0, 1]), float(q[2, 1])),
    )
