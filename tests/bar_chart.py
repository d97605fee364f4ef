"""Reading a per-face details chart back from its PNG: how many bars, grouped by face (shared by unit and e2e)."""

from __future__ import annotations

import io
import itertools

import numpy as np
from PIL import Image

from bot.charts import COLOURS
from bot.face_details import TRACK

MIN_BAR_PX = 10  # bars are ~24 px high; thinner bands are noise


def decode(data: bytes, expect_format: str | None = "PNG") -> np.ndarray:
    """RGB pixels (int, height x width x 3); fails unless Pillow reads ``data`` (as ``expect_format``).
    Photos that went through Telegram (or the emulator) come back as JPEG: ``expect_format="JPEG"``."""
    image = Image.open(io.BytesIO(data))
    image.load()
    assert expect_format is None or image.format == expect_format, image.format
    return np.asarray(image.convert("RGB")).astype(int)


def hex_rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i: i + 2], 16) for i in (1, 3, 5)])


def colour_mask(pixels: np.ndarray, colour: str, tolerance: int = 6) -> np.ndarray:
    return np.asarray(np.abs(pixels - hex_rgb(colour)).sum(axis=2) <= tolerance)


def bar_row_runs(pixels: np.ndarray, tolerance: int = 6) -> list[tuple[int, int]]:
    """(first, last) pixel rows of each horizontal band that holds a bar rail or a bar (``tolerance``: summed
    channel difference still counted as the colour; ~30 for JPEG)."""
    mask = colour_mask(pixels, TRACK, tolerance)
    for colour in COLOURS.values():
        mask |= colour_mask(pixels, colour, tolerance)
    rows = mask.sum(axis=1) >= 40  # a rail is well over 40 px wide; anti-aliased glyph edges are not
    runs: list[tuple[int, int]] = []
    start = None
    for y, on in enumerate(rows):
        if on and start is None:
            start = y
        elif not on and start is not None:
            runs.append((start, y - 1))
            start = None
    if start is not None:
        runs.append((start, len(rows) - 1))
    merged: list[tuple[int, int]] = []
    for run in runs:  # compression noise can nick a band: heal gaps of a few pixels
        if merged and run[0] - merged[-1][1] <= 4:
            merged[-1] = (merged[-1][0], run[1])
        else:
            merged.append(run)
    return [run for run in merged if run[1] - run[0] >= MIN_BAR_PX]


def bar_groups(pixels: np.ndarray, tolerance: int = 6) -> list[int]:
    """Bars per group, top to bottom: a gap clearly wider than the gap between one face's bars starts a group."""
    runs = bar_row_runs(pixels, tolerance)
    if not runs:
        return []
    gaps = [b[0] - a[1] for a, b in itertools.pairwise(runs)]
    small = sorted(gaps)[len(gaps) // 3] if gaps else 0  # two of every three gaps lie inside a face's group
    groups = [1]
    for gap in gaps:
        if gap > 2 * small:
            groups.append(1)
        else:
            groups[-1] += 1
    return groups
