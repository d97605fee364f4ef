"""Realistic photo degradations of 48x48 grayscale faces, for the robustness report and for training.

Every ``DEGRADATIONS`` entry is deterministic: uint8 (N, S, S) -> uint8 (N, S, S) (noise uses a fixed seed).
``random_degrade`` draws the same kinds of damage with random strength for training-time augmentation.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

Degradation = Callable[[np.ndarray], np.ndarray]


def _each(pixels: np.ndarray, op: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    return np.stack([op(p) for p in pixels]).astype(np.uint8) if len(pixels) else pixels.copy()


def jpeg(pixels: np.ndarray, quality: int = 30) -> np.ndarray:
    """Re-encode as JPEG at ``quality``."""
    def one(p: np.ndarray) -> np.ndarray:
        ok, buf = cv2.imencode(".jpg", p, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
        if not ok:
            raise RuntimeError("JPEG encoding failed")
        return np.asarray(cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE))
    return _each(pixels, one)


def blur(pixels: np.ndarray, sigma: float = 1.2) -> np.ndarray:
    """Gaussian blur (out-of-focus or motion-soft photo)."""
    return _each(pixels, lambda p: cv2.GaussianBlur(p, (0, 0), sigmaX=float(sigma), borderType=cv2.BORDER_REPLICATE))


def low_light(pixels: np.ndarray, gain: float = 0.5, gamma: float = 1.5) -> np.ndarray:
    """Under-exposed photo: darker (``gain``) with crushed shadows (``gamma`` > 1)."""
    x = pixels.astype(np.float32) / 255.0
    return np.clip(np.round(255.0 * gain * np.power(x, gamma)), 0, 255).astype(np.uint8)


def noise(pixels: np.ndarray, sigma: float = 10.0, seed: int = 0) -> np.ndarray:
    """Additive Gaussian sensor noise (fixed seed: the same noise every run)."""
    rng = np.random.default_rng(seed)
    noisy = pixels.astype(np.float32) + rng.normal(0.0, sigma, pixels.shape).astype(np.float32)
    return np.clip(np.round(noisy), 0, 255).astype(np.uint8)


def down_up(pixels: np.ndarray, size: int = 24) -> np.ndarray:
    """A small face in a big photo: area-downscale to ``size`` px, bilinear back up."""
    full = pixels.shape[-1]
    return _each(pixels, lambda p: cv2.resize(cv2.resize(p, (size, size), interpolation=cv2.INTER_AREA),
                                              (full, full), interpolation=cv2.INTER_LINEAR))


def reframe(pixels: np.ndarray, shift_x: float = 0.0, shift_y: float = 0.0, scale: float = 1.0) -> np.ndarray:
    """Misframed crop: the frame moved by ``shift_*`` (fraction of the side) and ``scale``d (> 1: zoomed out)."""
    size = pixels.shape[-1]
    c = (size - 1) / 2
    # destination pixel u shows source pixel c + shift + (u - c) * scale
    matrix = np.array([[scale, 0.0, c + shift_x * size - c * scale], [0.0, scale, c + shift_y * size - c * scale]])
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    return _each(pixels, lambda p: cv2.warpAffine(p, matrix, (size, size), flags=flags,
                                                  borderMode=cv2.BORDER_REPLICATE))


def colour_photo(pixels: np.ndarray) -> np.ndarray:
    """A colour photo under warm indoor light, converted to gray as the serving crop does (BGR -> GRAY)."""
    def one(p: np.ndarray) -> np.ndarray:
        x = p.astype(np.float32)
        bgr = np.stack([x * 0.75, x * 0.95, np.minimum(x * 1.15 + 10, 255)], axis=-1)  # warm cast, red lifted
        return np.asarray(cv2.cvtColor(np.clip(np.round(bgr), 0, 255).astype(np.uint8), cv2.COLOR_BGR2GRAY))
    return _each(pixels, one)


DEGRADATIONS: dict[str, Degradation] = {
    "jpeg_q30": lambda p: jpeg(p, 30),
    "blur_sigma1.2": lambda p: blur(p, 1.2),
    "low_light_gain0.5_gamma1.5": lambda p: low_light(p, 0.5, 1.5),
    "noise_sigma10": lambda p: noise(p, 10.0),
    "down_up_24px": lambda p: down_up(p, 24),
    "shift_+10%_x": lambda p: reframe(p, shift_x=0.10),
    "shift_-10%_y": lambda p: reframe(p, shift_y=-0.10),
    "scale_+10%": lambda p: reframe(p, scale=1.10),
    "scale_-10%": lambda p: reframe(p, scale=0.90),
    "colour_to_gray": colour_photo,
}


def random_degrade(pixels: np.ndarray, rng: np.random.Generator, prob: float) -> np.ndarray:
    """Training augmentation: each face, with probability ``prob``, gets one random degradation of random strength."""
    out = pixels.copy()
    chosen = np.nonzero(rng.random(len(pixels)) < prob)[0]
    kinds = rng.integers(0, 6, len(chosen))
    for i, kind in zip(chosen.tolist(), kinds.tolist(), strict=True):
        face = pixels[i : i + 1]
        if kind == 0:
            face = jpeg(face, int(rng.integers(20, 70)))
        elif kind == 1:
            face = blur(face, float(rng.uniform(0.5, 1.6)))
        elif kind == 2:
            face = low_light(face, float(rng.uniform(0.35, 1.0)), float(rng.uniform(0.7, 1.8)))
        elif kind == 3:
            face = noise(face, float(rng.uniform(3.0, 14.0)), int(rng.integers(1 << 31)))
        elif kind == 4:
            face = down_up(face, int(rng.integers(16, 36)))
        else:
            face = colour_photo(face)
        out[i] = face[0]
    return out
