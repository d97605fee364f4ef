"""Bytes -> upright 8-bit BGR array at a working size, with the scale back to original pixels.

Order matters for safety and memory: byte limit, then the header's declared size (before any pixel is
decoded), then a size-reduced decode where the format allows it (JPEG: 1/2, 1/4, 1/8 straight from the DCT),
then the decoded-memory budget (pixels × bytes a pixel in Pillow's mode: 4 for RGB, RGBA, CMYK, 32-bit; 2 for
16-bit grey; 1 for 8-bit grey and palettes), then the decode, reduced at once (box filter) to just above the
working size so the full-size copy is freed before any conversion, then EXIF orientation and mode conversion.
Peak memory is therefore about the budget plus a working-size image, whatever the format. A process pool also
shares one slot for big decodes between its workers (:func:`share_big_decodes`), so the pool never holds more
than one big picture's pixels at a time.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from inference.errors import CorruptImage, EmptyImage, ImageTooLarge, TooManyPixels, UnsupportedImage
from inference.memory import release_memory
from inference.resize import shrink_to

DEFAULT_WORKING_SIZE = 1600  # longest side after decoding; detection and crops never need more
DEFAULT_MAX_DECODED_BYTES = 200 * 1024 * 1024  # 50 MP at 4 bytes a pixel
BIG_DECODE_BYTES = 48 * 1024 * 1024  # a decode above this takes the shared slot (a big JPEG is drafted below it)
_big_decode_slot: AbstractContextManager[Any] = contextlib.nullcontext()


def share_big_decodes(slot: AbstractContextManager[Any]) -> None:
    """Decodes in this process that need more than ``BIG_DECODE_BYTES`` hold ``slot`` (one shared by all the
    workers of a pool) while the full-size pixels exist."""
    global _big_decode_slot
    _big_decode_slot = slot

# bytes per pixel of Pillow's in-memory modes (every mode not listed takes 4: RGB is stored as RGBX); palette and
# 1-bit images count their full-size RGB(A) conversion too (they cannot be averaged before it)
_BYTES_PER_PIXEL = {"L": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2, "1": 2, "P": 5, "PA": 8}
_WIDE_GREY = ("I;16", "I;16B", "I;16L", "I;16N", "I")
_ORIENTATION = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
                5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
                8: Image.Transpose.ROTATE_90}

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


def decoded_bytes(img: Image.Image) -> int:
    """Memory Pillow needs for the decoded pixels of ``img`` (at its current, possibly draft-reduced size)."""
    w, h = img.size
    return w * h * _BYTES_PER_PIXEL.get(img.mode, 4)


def _orientation(img: Image.Image) -> int:
    try:
        value = int(img.getexif().get(0x0112, 1))
    except (TypeError, ValueError):
        return 1
    return value if value in _ORIENTATION else 1


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


def _reduce(img: Image.Image, working_size: int) -> Image.Image:
    """Box-reduce by the largest integer factor that keeps the longest side at least ``working_size``, so
    the full-size pixels are freed before any mode conversion copies them."""
    factor = max(img.size) // working_size
    if factor < 2:
        return img
    if img.mode == "1":
        img = img.convert("L")
    elif img.mode in ("P", "PA"):  # palette indices cannot be averaged
        img = img.convert("RGBA" if img.mode == "PA" or "transparency" in img.info else "RGB")
    w, h = img.size
    # in bands of about 16 MB: Pillow reduces RGBA through a premultiplied full-size copy otherwise
    rows = max(1, (16 * 2**20) // (w * 4 * factor)) * factor
    wide = img.mode in _WIDE_GREY  # 16/32-bit grey: to 8 bits band by band (as _to_rgb8 would), then reduced
    try:
        out = Image.new("L" if wide else img.mode, (-(-w // factor), -(-h // factor)))
        for top in range(0, h, rows):
            band = img.crop((0, top, w, min(h, top + rows)))
            if wide:
                band = Image.fromarray(np.clip(np.asarray(band, np.float32) / 257.0, 0, 255).astype(np.uint8))
            out.paste(band.reduce(factor), (0, top // factor))
    except ValueError:  # a mode Pillow cannot reduce: the final resize does it, at a higher peak
        return img
    return out


def decode_image(
    data: bytes,
    max_bytes: int,
    max_pixels: int,
    working_size: int = DEFAULT_WORKING_SIZE,
    max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES,
    hold: contextlib.ExitStack | None = None,
) -> DecodedImage:
    """Decode ``data`` (JPEG, PNG, WebP, GIF first frame, BMP, TIFF, HEIC/HEIF) into an upright BGR array
    whose longest side is at most ``working_size``. Raises a typed :class:`inference.errors.ImageError`.

    A big picture takes the shared slot (:func:`share_big_decodes`) for its decode, or until ``hold`` closes when
    given: the whole analysis of a big picture then runs alone among the pool's workers."""
    if not data:
        raise EmptyImage("the file is empty")
    if len(data) > max_bytes:
        raise ImageTooLarge(f"the file is {len(data) / 1e6:.1f} MB, more than the {max_bytes / 1e6:.0f} MB I accept")
    _register_heif()
    img = _open(data, max_pixels)
    try:
        w, h = img.size
        if img.format == "JPEG" and max(img.size) > working_size:
            # decode at 1/2, 1/4 or 1/8 straight from the DCT: much faster and less memory
            factor = working_size / max(w, h)
            img.draft("RGB", (max(1, int(w * factor)), max(1, int(h * factor))))
        if decoded_bytes(img) > max_decoded_bytes:
            raise TooManyPixels(f"the picture would take {decoded_bytes(img) / 2**20:.0f} MB to decode, more "
                                f"than the {max_decoded_bytes / 2**20:.0f} MB I allow")
        if getattr(img, "n_frames", 1) > 1:
            img.seek(0)
        big = decoded_bytes(img) > BIG_DECODE_BYTES
        with contextlib.ExitStack() as decoding, warnings.catch_warnings():
            if big:
                holding = decoding if hold is None else hold
                holding.enter_context(_big_decode_slot)
                holding.callback(release_memory)  # LIFO: the memory goes back before the slot is let go
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img.load()
            orientation = _orientation(img)  # only now: Pillow reads a PNG's EXIF by decoding the whole picture
            img = _reduce(img, working_size)
            if big:  # the full-size pixels are gone (only the reduced copy is referenced): give them back now
                release_memory()
        original_size = (h, w) if orientation in (5, 6, 7, 8) else (w, h)
        if orientation != 1:
            img = img.transpose(_ORIENTATION[orientation])
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
