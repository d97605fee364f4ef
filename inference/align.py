"""Face alignment: de-rotate with the eye line and cut the square crop the emotion model was trained on.

The crop is defined by the model's ``crop`` metadata (docs/CONTRACTS.md): with d = distance from the eye
midpoint to the mouth midpoint, after rotating so the eyes are level, the square's centre is the eye
midpoint moved dy·d towards the mouth side and its side is s·d. Training and serving both call
:func:`crop_face`, so the framing cannot drift between them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class CropSpec:
    scale: float = 2.6  # square side in units of d
    shift_y: float = 0.35  # centre below the eye midpoint, in units of d

    @classmethod
    def from_json(cls, text: str) -> CropSpec:
        data = json.loads(text)
        return cls(scale=float(data["scale"]), shift_y=float(data["shift_y"]))

    def to_json(self) -> str:
        return json.dumps({"scale": self.scale, "shift_y": self.shift_y})


def crop_matrix(landmarks: np.ndarray, spec: CropSpec, size: int) -> np.ndarray:
    """2×3 affine matrix mapping image pixels to the ``size``×``size`` aligned crop.

    ``landmarks`` is (5, 2): right eye, left eye (as seen: image-left eye first), nose, mouth corners.
    """
    pts = np.asarray(landmarks, dtype=np.float64).reshape(5, 2)
    eye_a, eye_b = pts[0], pts[1]
    eye_mid = (eye_a + eye_b) / 2
    mouth_mid = (pts[3] + pts[4]) / 2
    angle = math.atan2(eye_b[1] - eye_a[1], eye_b[0] - eye_a[0])
    cos, sin = math.cos(angle), math.sin(angle)
    d = float(np.linalg.norm(mouth_mid - eye_mid))
    if d < 1.0:  # degenerate landmarks: fall back to the eye distance
        d = max(float(np.linalg.norm(eye_b - eye_a)), 1.0)
    down = np.array([-sin, cos])  # the face's "down" once the eye line is horizontal
    centre = eye_mid + spec.shift_y * d * down
    k = size / (spec.scale * d)
    # dst = k · R(-angle) · (src - centre) + size/2
    rot = np.array([[cos, sin], [-sin, cos]]) * k
    offset = np.array([size / 2, size / 2]) - rot @ centre
    return np.hstack([rot, offset[:, None]]).astype(np.float64)


def crop_face(bgr: np.ndarray, landmarks: np.ndarray, spec: CropSpec, size: int, channels: int) -> np.ndarray:
    """The aligned square crop, ``size``×``size``: uint8 grayscale (H, W) for ``channels=1``,
    BGR (H, W, 3) for ``channels=3``. Pixels outside the image repeat the border."""
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, not {channels}")
    source = bgr
    if channels == 1 and bgr.ndim == 3:
        source = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    elif channels == 3 and bgr.ndim == 2:
        source = cv2.cvtColor(bgr, cv2.COLOR_GRAY2BGR)
    matrix = crop_matrix(landmarks, spec, size)
    k = math.hypot(matrix[0, 0], matrix[0, 1])
    if k >= 0.5:
        return cv2.warpAffine(source, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    # large shrink: warp at an intermediate size first, then area-average down (no aliasing)
    factor = min(4, math.ceil(1 / k))
    big = size * factor
    crop = cv2.warpAffine(source, matrix * np.array([[factor], [factor]]), (big, big), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
