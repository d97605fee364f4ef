"""The face-detector interface and helpers every implementation shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Detection:
    """One face in the coordinates of the image given to ``detect``."""

    box: tuple[float, float, float, float]  # x, y, width, height
    landmarks: np.ndarray  # (5, 2): right eye, left eye, nose, right mouth corner, left mouth corner (image-left first)
    score: float


class FaceDetector(Protocol):
    name: str

    def detect(self, bgr: np.ndarray, thorough: bool = True) -> list[Detection]:
        """All faces in an 8-bit BGR image. ``thorough=False`` lets a detector skip passes that only look for
        faces smaller than its first pass can see (a caller that has a bigger copy of the image to look at next)."""
        ...


def nms(boxes_xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float) -> list[int]:
    """Greedy non-maximum suppression; returns kept indices, best first."""
    order = np.argsort(-scores)
    x1, y1, x2, y2 = boxes_xyxy.T
    areas = np.maximum(0.0, x2 - x1) * np.maximum(0.0, y2 - y1)
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        w = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]))
        h = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]))
        inter = w * h
        iou = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-9)
        order = rest[iou < iou_threshold]
    return keep
