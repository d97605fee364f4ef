"""The one place images are scaled: every output side is at least one pixel, whatever the aspect ratio."""

from __future__ import annotations

import cv2
import numpy as np


def scaled_size(width: int, height: int, factor: float) -> tuple[int, int]:
    """(width, height) times ``factor``, rounded, never below 1 (a 20000×1 strip stays 1 px high)."""
    return max(1, round(width * factor)), max(1, round(height * factor))


def fit_longest(bgr: np.ndarray, longest_side: int) -> tuple[np.ndarray, float]:
    """``bgr`` scaled so that its longest side is ``longest_side`` (up or down), and the factor used.
    The image itself is returned when no scaling is needed."""
    h, w = bgr.shape[:2]
    factor = longest_side / max(h, w)
    size = scaled_size(w, h, factor)
    if size == (w, h):
        return bgr, 1.0
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    return cv2.resize(bgr, size, interpolation=interpolation), factor


def shrink_to(bgr: np.ndarray, longest_side: int) -> tuple[np.ndarray, float]:
    """Like :func:`fit_longest`, but never enlarges."""
    if max(bgr.shape[:2]) <= longest_side:
        return bgr, 1.0
    return fit_longest(bgr, longest_side)
