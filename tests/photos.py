"""Real, public-domain test photos that ship inside PyPI packages, and composites made from them.

- scikit-image ``data.astronaut()``: Eileen Collins, NASA portrait (public domain), smiling, one face.
- matplotlib ``grace_hopper.jpg``: Rear Admiral Grace Hopper (public domain), one face.
- ``data.coffee()``: a cup of coffee, no face.
Images are returned as BGR uint8 arrays (OpenCV order) or encoded bytes.
"""

from __future__ import annotations

import io
from functools import cache

import cv2
import matplotlib.cbook
import numpy as np
from PIL import Image
from skimage import data as skdata


@cache
def astronaut_bgr() -> np.ndarray:
    return cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2BGR)


@cache
def grace_hopper_bgr() -> np.ndarray:
    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None
    return image


@cache
def coffee_bgr() -> np.ndarray:
    """A photo without any face."""
    return cv2.cvtColor(skdata.coffee(), cv2.COLOR_RGB2BGR)


def encode(image: np.ndarray, fmt: str = ".jpg", **params: int) -> bytes:
    flags: list[int] = []
    for key, value in params.items():
        flags += [getattr(cv2, key), value]
    ok, buf = cv2.imencode(fmt, image, flags)
    assert ok
    return buf.tobytes()


def jpeg(image: np.ndarray, quality: int = 92) -> bytes:
    return encode(image, ".jpg", IMWRITE_JPEG_QUALITY=quality)


def group_photo() -> np.ndarray:
    """Three faces side by side on a neutral background: astronaut, Grace Hopper, astronaut (flipped).

    Face order left to right is known, so tests can assert positions and per-face results.
    """
    height = 512
    a = astronaut_bgr()
    g = cv2.resize(grace_hopper_bgr(), (int(600 * height / 512), height))
    canvas = np.full((height, a.shape[1] + g.shape[1] + a.shape[1] + 80, 3), 200, np.uint8)
    x = 0
    for tile in (a, g, cv2.flip(a, 1)):
        canvas[:, x : x + tile.shape[1]] = tile
        x += tile.shape[1] + 40
    return canvas


def small_faces_photo(face_px: int = 40, count: int = 4) -> np.ndarray:
    """Small copies of the astronaut's head on a large background (faces about ``face_px`` wide)."""
    head = astronaut_bgr()[20:260, 140:340]  # the head and shoulders region
    scale = face_px / 110  # the face itself is ~110 px wide in the original
    small = cv2.resize(head, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.full((720, 1280, 3), 180, np.uint8)
    step = 1280 // count
    for i in range(count):
        x, y = i * step + step // 4, 300
        canvas[y : y + small.shape[0], x : x + small.shape[1]] = small
    return canvas


def rotated(image: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate about the centre, expanding the canvas so nothing is cut off."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    matrix[0, 2] += nw / 2 - w / 2
    matrix[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(image, matrix, (nw, nh), borderValue=(128, 128, 128))


def exif_rotated_jpeg(image: np.ndarray, orientation: int = 6) -> bytes:
    """A JPEG stored sideways with an EXIF Orientation tag, as phones write them.

    Orientation 6 means "rotate 90° clockwise to display", so the stored pixels are the upright
    image rotated 90° counter-clockwise.
    """
    stored = {6: cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE), 8: cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE),
              3: cv2.rotate(image, cv2.ROTATE_180)}[orientation]
    pil = Image.fromarray(cv2.cvtColor(stored, cv2.COLOR_BGR2RGB))
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    pil.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()
