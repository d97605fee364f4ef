"""The fixed benchmark set: real public-domain photos composed into scenes with a known number of faces."""

from __future__ import annotations

import cv2
import numpy as np

from tests import photos


def benchmark_set() -> list[tuple[str, np.ndarray, int]]:
    """(name, BGR image, number of faces). Images are at most ~1700 px, like decoded working images."""
    astro, group = photos.astronaut_bgr(), photos.group_photo()
    return [
        ("astronaut 512", astro, 1),
        ("selfie 1280 (astronaut upscaled)", cv2.resize(astro, (1280, 1280), interpolation=cv2.INTER_CUBIC), 1),
        ("grace hopper 512x600", photos.grace_hopper_bgr(), 1),
        ("coffee (no face)", photos.coffee_bgr(), 0),
        ("group of 3, 1704x512", group, 3),
        ("group of 3 tilted 30°", photos.rotated(group, 30), 3),
        ("group of 3 tilted 45°", photos.rotated(group, 45), 3),
        ("astronaut tilted 30°", photos.rotated(astro, 30), 1),
        ("4 faces ~40 px, 1280x720", photos.small_faces_photo(40), 4),
        ("4 faces ~30 px, 1280x720", photos.small_faces_photo(30), 4),
        ("4 faces ~20 px, 1280x720", photos.small_faces_photo(20), 4),
    ]
