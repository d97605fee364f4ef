"""The fixed benchmark sets: real public-domain photos composed into scenes with known faces."""

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


# --- the pipeline benchmark set: scenes at Telegram's photo sizes with known face centres -----------------------

Truth = list[tuple[float, float, float]]  # per face: centre x, centre y, size (px)

# face centres and sizes in the source photos (CenterFace boxes, checked by eye)
_ASTRONAUT: Truth = [(227.0, 119.0, 98.0)]
_HOPPER: Truth = [(273.0, 229.0, 198.0)]
_GROUP: Truth = [(223.5, 123.0, 99.0), (863.0, 194.5, 198.0), (1479.0, 123.0, 100.0)]


def _paste(canvas: np.ndarray, src: np.ndarray, truth: Truth, matrix: np.ndarray) -> Truth:
    """Warp ``src`` onto ``canvas`` in place with the 2×3 ``matrix``; return the faces' new centres and sizes."""
    h, w = canvas.shape[:2]
    cv2.warpAffine(src, matrix, (w, h), dst=canvas, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_TRANSPARENT)
    k = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
    return [(*(matrix @ np.array([x, y, 1.0])).tolist(), s * k) for x, y, s in truth]  # type: ignore[misc]


def _fit(canvas: np.ndarray, src: np.ndarray, truth: Truth, degrees: float = 0.0, fill: float = 0.95,
         box: tuple[int, int, int, int] | None = None) -> Truth:
    """Rotate ``src`` by ``degrees`` and scale it to fill ``box`` (x, y, w, h; default the canvas), centred."""
    bx, by, bw, bh = box or (0, 0, canvas.shape[1], canvas.shape[0])
    h, w = src.shape[:2]
    rad = np.deg2rad(degrees)
    rw, rh = abs(w * np.cos(rad)) + abs(h * np.sin(rad)), abs(w * np.sin(rad)) + abs(h * np.cos(rad))
    scale = fill * min(bw / rw, bh / rh)
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, scale)
    matrix[:, 2] += np.array([bx + bw / 2, by + bh / 2]) - np.array([w / 2, h / 2])
    return _paste(canvas, src, truth, matrix)


def _canvas(width: int, height: int, seed: int) -> np.ndarray:
    """A plain, slightly noisy background (a flat one would make decoding and detection unrealistically cheap)."""
    rng = np.random.default_rng(seed)
    base = np.full((height, width, 3), (150, 160, 170), np.uint8)
    noise = rng.integers(-12, 12, (height // 8 + 1, width // 8 + 1, 3))
    return np.clip(base + cv2.resize(noise.astype(np.float32), (width, height)), 0, 255).astype(np.uint8)


def crowd_photo(columns: int = 9, rows: int = 6, size: tuple[int, int] = (1280, 960)) -> tuple[np.ndarray, Truth]:
    """A crowd: ``columns × rows`` small heads (astronaut and Grace Hopper alternating, faces 30–46 px)."""
    canvas = _canvas(*size, seed=7)
    heads = [(photos.astronaut_bgr()[20:260, 140:340], [(227.0 - 140, 119.0 - 20, 98.0)]),
             (photos.grace_hopper_bgr()[79:379, 148:398], [(273.0 - 148, 229.0 - 79, 198.0)])]
    cell_w, cell_h = size[0] / columns, size[1] / rows
    truth: Truth = []
    for r in range(rows):
        for c in range(columns):
            head, head_truth = heads[(r + c) % 2]
            face_px = 30 + 16 * ((r * columns + c) * 7 % 11) / 10
            k = face_px / head_truth[0][2]
            cx, cy = (c + 0.5) * cell_w, (r + 0.5) * cell_h
            hx, hy, _ = head_truth[0]
            matrix = np.array([[k, 0, cx - hx * k], [0, k, cy - hy * k]])
            truth += _paste(canvas, head, head_truth, matrix)
    return canvas, truth


def pipeline_set() -> list[tuple[str, np.ndarray, Truth]]:
    """12 scenes at the sizes Telegram delivers (640×480 and 1280×960), 74 faces: portraits, a selfie,
    groups, tilted and sideways faces, a crowd of 54 small faces, and no face."""
    astro, hopper = photos.astronaut_bgr(), photos.grace_hopper_bgr()
    group, coffee = photos.group_photo(), photos.coffee_bgr()
    scenes: list[tuple[str, np.ndarray, Truth]] = []

    def scene(name: str, width: int, height: int, *parts: tuple[np.ndarray, Truth, float]) -> None:
        canvas = _canvas(width, height, seed=len(scenes))
        truth: Truth = []
        n = len(parts)
        for i, (src, src_truth, degrees) in enumerate(parts):
            box = (0, round(i * height / n), width, round(height / n))
            truth += _fit(canvas, src, src_truth, degrees, box=box)
        scenes.append((name, canvas, truth))

    scene("portrait 640×480", 640, 480, (astro, _ASTRONAUT, 0))
    scene("portrait 1280×960", 1280, 960, (hopper, _HOPPER, 0))
    scene("selfie 1280×960", 1280, 960, (astro[0:300, 77:377], _shift(_ASTRONAUT, 77, 0), 0))
    scene("group of 3, 640×480", 640, 480, (group, _GROUP, 0))
    scene("group of 3, 1280×960", 1280, 960, (group, _GROUP, 0))
    scene("group of 6, 1280×960", 1280, 960, (group, _GROUP, 0), (cv2.flip(group, 1), _flipped(_GROUP, group), 0))
    scene("portrait tilted 30°, 640×480", 640, 480, (astro, _ASTRONAUT, 30))
    scene("group of 3 tilted 20°, 1280×960", 1280, 960, (group, _GROUP, -20))
    scene("sideways portrait (90°, no EXIF), 640×480", 640, 480, (astro, _ASTRONAUT, 90))
    scenes.append(("no face 640×480", cv2.resize(coffee, (640, 480), interpolation=cv2.INTER_AREA), []))
    scenes.append(("no face 1280×960", cv2.resize(coffee, (1280, 960), interpolation=cv2.INTER_CUBIC), []))
    crowd, crowd_truth = crowd_photo()
    scenes.append(("crowd of 54 small faces, 1280×960", crowd, crowd_truth))
    return scenes


def _shift(truth: Truth, dx: float, dy: float) -> Truth:
    return [(x - dx, y - dy, s) for x, y, s in truth]


def _flipped(truth: Truth, image: np.ndarray) -> Truth:
    return [(image.shape[1] - 1 - x, y, s) for x, y, s in truth]


def matched(found: list[tuple[float, float, float, float]], truth: Truth, within: float = 0.5) -> int:
    """How many true faces some box (x, y, w, h) is centred on (within ``within`` of a face, default half); each
    box counts once."""
    left = list(range(len(found)))
    hits = 0
    for x, y, s in truth:
        for i in left:
            bx, by, bw, bh = found[i]
            if np.hypot(bx + bw / 2 - x, by + bh / 2 - y) < within * s:
                left.remove(i)
                hits += 1
                break
    return hits
