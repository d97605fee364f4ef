"""Bytes -> upright 8-bit BGR array at a working size, with the scale back to original pixels.

Order matters for safety: byte limit, then the header's declared size (before any pixel is decoded),
then a size-reduced decode (JPEG draft mode), then EXIF orientation and mode conversion.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from inference.errors import CorruptImage, EmptyImage, ImageTooLarge, TooManyPixels, UnsupportedImage
from inference.resize import shrink_to

DEFAULT_WORKING_SIZE = 1600  # longest side after decoding; detection and crops never need more

_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:  # pragma: no cover - pillow-heif is a declared dependency
            pass
        _heif_registered = True


@dataclass(frozen=True)
class DecodedImage:
    bgr: np.ndarray  # uint8, HxWx3, upright, at most the working size
    original_size: tuple[int, int]  # width, height of the full image after EXIF orientation
    scale: tuple[float, float]  # original / working, per axis: multiply working coordinates by it

    @property
    def working_size(self) -> tuple[int, int]:
        return self.bgr.shape[1], self.bgr.shape[0]


def _oriented_size(img: Image.Image) -> tuple[int, int]:
    orientation = img.getexif().get(0x0112, 1)
    w, h = img.size
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def _to_rgb8(img: Image.Image) -> np.ndarray:
    """Any Pillow mode -> HxWx3 uint8 RGB. Alpha is composited on white (a transparent sticker background
    should not become black); 16/32-bit greys are scaled, not clipped."""
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img)
        if mode == "F":
            peak = float(arr.max()) if arr.size else 1.0
            arr = arr / (peak if peak > 1.0 else 1.0) * 255.0
        else:
            arr = arr.astype(np.float32) / 257.0  # 16-bit range
        gray = np.clip(arr, 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif mode in ("1", "L", "CMYK", "YCbCr", "LAB", "HSV", "RGBX"):
        img = img.convert("RGB")
    elif mode in ("LA", "La", "PA", "RGBa"):
        img = img.convert("RGBA")
    elif mode != "RGB" and mode != "RGBA":
        img = img.convert("RGB")
    if img.mode == "RGBA":
        background = Image.new("RGB", img.size, (255, 255, 255))
        background.paste(img, mask=img.getchannel("A"))
        img = background
    return np.asarray(img, dtype=np.uint8)


def _open(data: bytes, max_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit decides
            img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise TooManyPixels("the picture declares too many pixels") from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedImage("this is not a picture format I can read") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptImage("the picture is damaged or incomplete") from exc
    w, h = img.size
    if w <= 0 or h <= 0:
        raise CorruptImage("the picture has no pixels")
    if w * h > max_pixels:
        raise TooManyPixels(f"the picture is {w}×{h} pixels, more than the {max_pixels:,} I accept")
    return img


def decode_image(
    data: bytes,
    max_bytes: int,
    max_pixels: int,
    working_size: int = DEFAULT_WORKING_SIZE,
) -> DecodedImage:
    """Decode ``data`` (JPEG, PNG, WebP, GIF first frame, BMP, TIFF, HEIC/HEIF) into an upright BGR array
    whose longest side is at most ``working_size``. Raises a typed :class:`inference.errors.ImageError`."""
    if not data:
        raise EmptyImage("the file is empty")
    if len(data) > max_bytes:
        raise ImageTooLarge(f"the file is {len(data) / 1e6:.1f} MB, more than the {max_bytes / 1e6:.0f} MB I accept")
    _register_heif()
    img = _open(data, max_pixels)
    try:
        original_size = _oriented_size(img)
        if img.format == "JPEG" and max(img.size) > working_size:
            # decode at 1/2, 1/4 or 1/8 straight from the DCT: much faster and less memory
            w, h = img.size
            factor = working_size / max(w, h)
            img.draft("RGB", (max(1, int(w * factor)), max(1, int(h * factor))))
        if getattr(img, "n_frames", 1) > 1:
            img.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img.load()
            img = ImageOps.exif_transpose(img) or img
        rgb = _to_rgb8(img)
    except Image.DecompressionBombError as exc:
        raise TooManyPixels("the picture declares too many pixels") from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        raise CorruptImage("the picture is damaged or incomplete") from exc
    except MemoryError as exc:
        raise TooManyPixels("the picture is too big to decode") from exc

    bgr = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR)
    bgr, _ = shrink_to(bgr, working_size)
    h, w = bgr.shape[:2]
    scale = (original_size[0] / w, original_size[1] / h)
    return DecodedImage(bgr=bgr, original_size=original_size, scale=scale)
