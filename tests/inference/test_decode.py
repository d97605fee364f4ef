"""Decoding: formats, EXIF orientation, odd modes, and every bad input gives its typed error."""

from __future__ import annotations

import contextlib
import io
import os
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from inference.decode import DecodedImage, decode_image
from inference.errors import CorruptImage, EmptyImage, ImageTooLarge, TooManyPixels, UnsupportedImage
from tests import photos

MB = 1024 * 1024


def decode(data: bytes, max_bytes: int = 20 * MB, max_pixels: int = 50_000_000, working: int = 1600,
           budget: int = 200 * MB) -> DecodedImage:
    return decode_image(data, max_bytes, max_pixels, working, budget)


def pil_bytes(img: Image.Image, fmt: str, **kw: object) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **kw)
    return out.getvalue()


def astronaut_pil() -> Image.Image:
    return Image.fromarray(photos.astronaut_bgr()[:, :, ::-1].copy())


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF"])
def test_formats_decode_to_bgr(fmt: str) -> None:
    image = decode(pil_bytes(astronaut_pil(), fmt))
    assert image.bgr.shape == (512, 512, 3) and image.bgr.dtype == np.uint8
    assert image.original_size == (512, 512) and image.scale == (1.0, 1.0)
    # colours stay in BGR order: the astronaut's suit is orange (red > blue) at the bottom left
    b, _, r = image.bgr[450:500, 20:80].reshape(-1, 3).mean(axis=0)
    assert r > b + 40


def test_heic_round_trip() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    image = decode(pil_bytes(astronaut_pil(), "HEIF", quality=80))
    assert image.bgr.shape == (512, 512, 3)
    assert np.abs(image.bgr.astype(int) - photos.astronaut_bgr()).mean() < 12


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_is_applied(orientation: int) -> None:
    upright = photos.group_photo()
    image = decode(photos.exif_rotated_jpeg(upright, orientation))
    assert image.original_size == (upright.shape[1], upright.shape[0])
    ref = cv2.resize(upright, image.working_size, interpolation=cv2.INTER_AREA)
    assert np.abs(image.bgr.astype(int) - ref.astype(int)).mean() < 10


def test_large_jpeg_uses_working_size_and_keeps_scale() -> None:
    big = np.tile(photos.astronaut_bgr(), (4, 8, 1))  # 4096 x 2048
    image = decode(photos.jpeg(big), working=1024)
    assert max(image.bgr.shape[:2]) == 1024
    assert image.original_size == (4096, 2048)
    assert image.scale == pytest.approx((4.0, 4.0), rel=0.01)


def test_cmyk_jpeg() -> None:
    image = decode(pil_bytes(astronaut_pil().convert("CMYK"), "JPEG"))
    assert np.abs(image.bgr.astype(int) - photos.astronaut_bgr()).mean() < 12


def test_16bit_png_is_scaled_not_clipped() -> None:
    gray = (np.linspace(0, 65535, 256 * 64).reshape(64, 256)).astype(np.uint16)
    image = decode(pil_bytes(Image.fromarray(gray), "PNG"))
    assert image.bgr.dtype == np.uint8
    assert image.bgr[:, :, 0].min() <= 1 and image.bgr[:, :, 0].max() >= 254
    assert 100 < image.bgr.mean() < 155


def test_palette_gif_and_rgba_png_and_la() -> None:
    gif = decode(pil_bytes(astronaut_pil().convert("P", palette=Image.Palette.ADAPTIVE), "GIF"))
    assert gif.bgr.shape == (512, 512, 3)
    rgba = Image.new("RGBA", (40, 30), (255, 0, 0, 0))  # fully transparent red -> white background
    rgba.paste((0, 0, 255, 255), (0, 0, 20, 30))  # opaque blue left half
    out = decode(pil_bytes(rgba, "PNG")).bgr
    assert tuple(out[10, 5]) == (255, 0, 0) and tuple(out[10, 35]) == (255, 255, 255)
    la = decode(pil_bytes(Image.new("LA", (10, 10), (50, 255)), "PNG")).bgr
    assert tuple(la[0, 0]) == (50, 50, 50)


def test_animated_gif_first_frame() -> None:
    frames = [Image.new("RGB", (16, 16), colour) for colour in ((255, 0, 0), (0, 255, 0))]
    data = pil_bytes(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert tuple(decode(data).bgr[0, 0]) == (0, 0, 255)


def test_empty() -> None:
    with pytest.raises(EmptyImage):
        decode(b"")


def test_too_many_bytes() -> None:
    with pytest.raises(ImageTooLarge):
        decode(b"\xff" * 2048, max_bytes=1024)


def test_truncated_jpeg() -> None:
    data = photos.jpeg(photos.astronaut_bgr())
    with pytest.raises(CorruptImage):
        decode(data[: len(data) // 2])


def test_random_bytes_and_text() -> None:
    with pytest.raises(UnsupportedImage):
        decode(os.urandom(4096))
    with pytest.raises(UnsupportedImage):
        decode(b"Hello Shelly, this is not a picture\n" * 20)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def test_png_bomb_refused_from_header() -> None:
    """A 100000×100000 PNG header with almost no data: refused before any pixel is decoded."""
    header = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
    data = b"\x89PNG\r\n\x1a\n" + header + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + _png_chunk(b"IEND", b"")
    with pytest.raises(TooManyPixels):
        decode(data)
    with pytest.raises(TooManyPixels):  # also below Pillow's own bomb limit, by our configured limit
        decode(pil_bytes(Image.new("RGB", (300, 300)), "PNG"), max_pixels=10_000)


def test_near_the_pixel_limit_with_the_default_limits() -> None:
    """50 000 000 pixels exactly are accepted (and decoded reduced), one row more is refused from the header."""
    accepted = decode(pil_bytes(Image.new("L", (10_000, 5_000), 77), "PNG"))
    assert accepted.original_size == (10_000, 5_000) and accepted.bgr.shape == (800, 1600, 3)
    assert tuple(accepted.bgr[400, 800]) == (77, 77, 77)
    with pytest.raises(TooManyPixels):
        decode(pil_bytes(Image.new("L", (10_000, 5_001), 77), "PNG"))


@pytest.mark.parametrize(("mode", "bytes_per_pixel"), [("L", 1), ("I;16", 2), ("RGB", 4), ("RGBA", 4)])
def test_decode_budget_counts_channels_and_bit_depth(mode: str, bytes_per_pixel: int) -> None:
    side = 600
    data = pil_bytes(Image.new(mode, (side, side)), "PNG")
    cost = side * side * bytes_per_pixel
    assert decode(data, budget=cost).original_size == (side, side)  # just within the budget
    with pytest.raises(TooManyPixels, match="MB to decode"):
        decode(data, budget=cost - 1)  # just over


def test_big_jpeg_is_budgeted_after_dct_scaling() -> None:
    """A 4096×2048 JPEG decodes at 1/2 (2048×1024 × 4 bytes = 8 MB), so an 8 MB budget is enough."""
    big = np.tile(photos.astronaut_bgr(), (4, 8, 1))
    image = decode(photos.jpeg(big), working=1024, budget=2048 * 1024 * 4)
    assert image.original_size == (4096, 2048) and max(image.bgr.shape[:2]) == 1024


def test_exif_orientation_survives_the_reduced_decode() -> None:
    upright = cv2.resize(photos.group_photo(), (3408, 1024))
    image = decode(photos.exif_rotated_jpeg(upright, 6), working=800)
    assert image.original_size == (3408, 1024) and image.bgr.shape[1] == 800
    big_png = Image.fromarray(cv2.cvtColor(cv2.rotate(upright, cv2.ROTATE_90_COUNTERCLOCKWISE), cv2.COLOR_BGR2RGB))
    exif = Image.Exif()
    exif[0x0112] = 6
    png = decode(pil_bytes(big_png, "PNG", exif=exif), working=800)
    assert png.original_size == (3408, 1024) and png.bgr.shape[1] == 800
    ref = cv2.resize(upright, (800, png.bgr.shape[0]), interpolation=cv2.INTER_AREA)
    assert np.abs(png.bgr.astype(int) - ref.astype(int)).mean() < 10


class SlotRecorder:
    """Stands in for the pool's shared big-picture slot; records when it is taken and let go."""

    def __init__(self, events: list[str]) -> None:
        self.events = events

    def __enter__(self) -> None:
        self.events.append("slot taken")

    def __exit__(self, *exc: object) -> None:
        self.events.append("slot let go")


def test_a_big_picture_takes_the_shared_slot_before_any_pixel_is_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pillow decodes a PNG whole to look for its EXIF: the orientation is read only inside the slot."""
    from PIL import ImageFile

    from inference import decode as decode_module
    events: list[str] = []
    load = ImageFile.ImageFile.load

    def recording_load(self: ImageFile.ImageFile) -> object:
        if self.size[0] > 1000:
            events.append("pixels")
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", recording_load)
    monkeypatch.setattr(decode_module, "_big_decode_slot", SlotRecorder(events))
    monkeypatch.setattr(decode_module, "release_memory", lambda: events.append("memory released"))
    big = pil_bytes(Image.new("RGBA", (4000, 4000), (200, 150, 100, 255)), "PNG")  # 64 MB decoded
    assert decode(big).working_size == (1600, 1600)
    assert events[0] == "slot taken" and "pixels" in events and events[-2:] == ["memory released", "slot let go"]

    events.clear()  # an ordinary photo does not wait for anyone
    decode(photos.jpeg(cv2.resize(photos.astronaut_bgr(), (1280, 960))))
    assert "slot taken" not in events

    events.clear()  # held by the caller (the pipeline) until its whole analysis is done
    with contextlib.ExitStack() as analysis:
        decode_image(big, 20 * MB, 50_000_000, 1600, 200 * MB, analysis)
        assert events[0] == "slot taken" and "slot let go" not in events
    assert events[-2:] == ["memory released", "slot let go"]
