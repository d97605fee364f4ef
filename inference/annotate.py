"""Draw numbered boxes with the top emotion on a copy of the photo, sized to stay readable on a phone."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from inference.types import Face

_COLOURS = [(230, 120, 30), (40, 160, 40), (30, 90, 230), (160, 40, 160), (0, 140, 200), (120, 120, 0)]  # BGR, distinct
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def annotate(bgr: np.ndarray, faces: Sequence[Face], scale: tuple[float, float], quality: int = 85) -> bytes:
    """JPEG of ``bgr`` with each face's number, top emotion and confidence. ``faces`` are in original
    coordinates; ``scale`` is original/working per axis, as in :class:`inference.decode.DecodedImage`."""
    canvas = bgr.copy()
    h, w = canvas.shape[:2]
    # a phone shows the picture ~1000 px wide: keep text about 2.2% of the longest side
    unit = max(h, w) / 1000
    font_scale = max(0.45, 0.75 * unit)
    thickness = max(1, round(2 * unit))
    for face in faces:
        colour = _COLOURS[(face.index - 1) % len(_COLOURS)]
        x, y, bw, bh = face.box
        x1, y1 = round(x / scale[0]), round(y / scale[1])
        x2, y2 = round((x + bw) / scale[0]), round((y + bh) / scale[1])
        cv2.rectangle(canvas, (x1, y1), (x2, y2), colour, thickness + 1, cv2.LINE_AA)
        label = f"{face.index}"
        if face.emotions:
            label += f" {face.top_emotion} {face.confidence:.0%}"
        (tw, th), base = cv2.getTextSize(label, _FONT, font_scale, thickness)
        pad = max(2, thickness * 2)
        top = y1 - th - base - 2 * pad
        if top < 0:  # no room above the box: put the label inside its top edge
            top = y1
        left = min(max(0, x1), max(0, w - tw - 2 * pad))
        cv2.rectangle(canvas, (left, top), (left + tw + 2 * pad, top + th + base + 2 * pad), colour, cv2.FILLED)
        cv2.putText(canvas, label, (left + pad, top + pad + th), _FONT, font_scale, (255, 255, 255), thickness,
                    cv2.LINE_AA)
    ok, buf = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - encoding a valid uint8 image does not fail
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()
