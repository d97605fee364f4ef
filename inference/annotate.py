"""Draw numbered boxes with the top emotion on a reduced copy of the photo, sized to stay readable on a phone.

Text is drawn with Pillow and DejaVu Sans (shipped with matplotlib, a dependency), so localised emotion names in
any Latin, Greek or Cyrillic script render correctly (OpenCV's Hershey fonts know ASCII only).
"""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from inference.resize import shrink_to
from inference.types import Face

_COLOURS = [(30, 120, 230), (40, 160, 40), (230, 90, 30), (160, 40, 160), (200, 140, 0), (0, 120, 120)]  # RGB
ANNOTATED_SIDE = 1280  # Telegram shows photos at most 1280 px on the longest side: drawing more is wasted


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    spec = importlib.util.find_spec("matplotlib")  # the font file only: importing matplotlib costs a worker ~15 MB
    assert spec is not None and spec.origin is not None, "matplotlib (a dependency) ships the DejaVu fonts"
    path = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
    return ImageFont.truetype(str(path), size)


def annotate(
    bgr: np.ndarray,
    faces: Sequence[Face],
    scale: tuple[float, float],
    label_names: Mapping[str, str] | None = None,
    quality: int = 85,
    max_side: int = ANNOTATED_SIDE,
) -> bytes:
    """JPEG of ``bgr`` (at most ``max_side`` px) with every face's number, top emotion (``label_names[label]``
    when given, else the model's label) and confidence. ``faces`` are in original coordinates; ``scale`` is
    original/working per axis, as in :class:`inference.decode.DecodedImage`. In crowds, faces too small for
    a whole label get their number only, so that no label hides another face."""
    small, factor = shrink_to(bgr, max_side)
    canvas = Image.fromarray(cv2.cvtColor(small, cv2.COLOR_BGR2RGB))
    draw = ImageDraw.Draw(canvas)
    w, h = canvas.size
    unit = max(h, w) / 1000  # a phone shows the picture ~1000 px wide: text about 2.2% of the longest side
    font = _font(max(11, round(22 * unit)))
    width = max(1, round(3 * unit))
    pad = max(2, round(4 * unit))
    for face in faces:
        colour = _COLOURS[(face.index - 1) % len(_COLOURS)]
        x, y, bw, bh = face.box
        x1, y1 = x / scale[0] * factor, y / scale[1] * factor
        x2, y2 = (x + bw) / scale[0] * factor, (y + bh) / scale[1] * factor
        draw.rectangle((x1, y1, x2, y2), outline=colour, width=width)
        label = f"{face.index}"
        if face.emotions:
            name = (label_names or {}).get(face.top_emotion, face.top_emotion)
            full = f"{label} {name} {face.confidence:.0%}"
            if len(faces) <= 8 or draw.textlength(full, font=font) <= 2 * (x2 - x1):
                label = full
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        tw, th = right - left, bottom - top
        box_top = y1 - th - 2 * pad
        if box_top < 0:  # no room above the box: put the label inside its top edge
            box_top = y1
        box_left = min(max(0.0, x1), max(0.0, w - tw - 2 * pad))
        draw.rectangle((box_left, box_top, box_left + tw + 2 * pad, box_top + th + 2 * pad), fill=colour)
        draw.text((box_left + pad - left, box_top + pad - top), label, font=font, fill=(255, 255, 255))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=quality)
    return out.getvalue()
