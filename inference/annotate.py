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


Box = tuple[float, float, float, float]  # x1, y1, x2, y2 on the drawn picture


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
    original/working per axis, as in :class:`inference.decode.DecodedImage`. A face whose whole label would cover
    another face or another label gets its number only (the reply's text names every number's mood)."""
    small, factor = shrink_to(bgr, max_side)
    canvas = Image.fromarray(cv2.cvtColor(small, cv2.COLOR_BGR2RGB))
    draw = ImageDraw.Draw(canvas)
    w, h = canvas.size
    unit = max(h, w) / 1000  # a phone shows the picture ~1000 px wide: text about 2.2% of the longest side
    font = _font(max(11, round(22 * unit)))
    width = max(1, round(3 * unit))
    pad = max(2, round(4 * unit))
    rects = [(f.box[0] / scale[0] * factor, f.box[1] / scale[1] * factor, (f.box[0] + f.box[2]) / scale[0] * factor,
              (f.box[1] + f.box[3]) / scale[1] * factor) for f in faces]

    def place(text: str, rect: Box) -> tuple[Box, float, float]:
        """The label's box above ``rect``, and the text's own offset inside its bounding box."""
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        tw, th = right - left, bottom - top
        box_top = rect[1] - th - 2 * pad
        if box_top < 0:  # no room above the box: put the label inside its top edge
            box_top = rect[1]
        box_left = min(max(0.0, rect[0]), max(0.0, w - tw - 2 * pad))
        return (box_left, box_top, box_left + tw + 2 * pad, box_top + th + 2 * pad), left, top

    numbers = [f"{face.index}" for face in faces]
    fulls = [f"{face.index} {(label_names or {}).get(face.top_emotion, face.top_emotion)} {face.confidence:.0%}"
             if face.emotions else number for face, number in zip(faces, numbers, strict=True)]
    number_places = [place(t, r) for t, r in zip(numbers, rects, strict=True)]
    full_places = [place(t, r) for t, r in zip(fulls, rects, strict=True)]
    whole = choose_labels(rects, [p[0] for p in number_places], [p[0] for p in full_places])
    for i, face in enumerate(faces):
        colour = _COLOURS[(face.index - 1) % len(_COLOURS)]
        draw.rectangle(rects[i], outline=colour, width=width)
        text, (box, left, top) = (fulls[i], full_places[i]) if whole[i] else (numbers[i], number_places[i])
        draw.rectangle(box, fill=colour)
        draw.text((box[0] + pad - left, box[1] + pad - top), text, font=font, fill=(255, 255, 255))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=quality)
    return out.getvalue()


def choose_labels(faces: Sequence[Box], number_boxes: Sequence[Box], full_boxes: Sequence[Box]) -> list[bool]:
    """Per face, whether its whole label fits: it covers no other face and no label already chosen, nor any
    other face's number (every face shows at least its number)."""
    chosen: list[Box] = []
    fits: list[bool] = []
    for i, full in enumerate(full_boxes):
        others = [box for j, box in enumerate(faces) if j != i] + [box for j, box in enumerate(number_boxes) if j > i]
        fits.append(not any(boxes_overlap(full, box) for box in [*others, *chosen]))
        chosen.append(full if fits[-1] else number_boxes[i])
    return fits


def boxes_overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
