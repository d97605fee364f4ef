"""Round trip of the crop calibration: cut faces the way serving does, measure them the way FER faces were measured.

Real faces (astronaut, Grace Hopper and both mirrored, at four sizes) are found by the real CenterFace detector,
cut with ``inference.align.crop_face`` to 48x48 grayscale like FER faces, and handed to ``framing.calibrate``, the
measurement that produced ``export.FER_FRAME`` from 4000 FER faces. The shipped crop ``export.DEFAULT_CROP`` is right
when faces cut with it measure like FER faces.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from bot.settings import MODELS_DIR
from inference.align import CropSpec, crop_face
from inference.detect.centerface import CenterFaceDetector
from inference.training import framing
from inference.training.export import DEFAULT_CROP, FER_FRAME
from tests import photos

CENTERFACE = MODELS_DIR / "centerface.onnx"
FER_SIZE = 48
# The medians of calibrate() over 16-32 of these faces moved by at most 0.03 (scale) and 0.01 (shift_y) between
# four different sets of sizes and small rotations. shift_y also carries a constant -0.03: crop_matrix puts the
# frame centre on pixel 24 of 48, calibrate on the geometric centre 23.5 (half a pixel = 0.5·2.83/48 d).
SCALE_TOLERANCE = 0.08
SHIFT_TOLERANCE = 0.05


@pytest.fixture(scope="module")
def detector() -> CenterFaceDetector:
    if not CENTERFACE.is_file():
        pytest.skip("models/centerface.onnx is not installed: run `shelly setup-models`")
    return CenterFaceDetector(CENTERFACE)


@pytest.fixture(scope="module")
def sources(detector: CenterFaceDetector) -> list[tuple[np.ndarray, np.ndarray]]:
    """(image, landmarks) of one face each: 4 faces x 4 sizes."""
    faces = [photos.astronaut_bgr(), photos.grace_hopper_bgr()]
    out = []
    for face in faces + [cv2.flip(f, 1) for f in faces]:
        for size in (0.6, 0.8, 1.0, 1.3):
            image = cv2.resize(face, None, fx=size, fy=size,
                               interpolation=cv2.INTER_AREA if size < 1 else cv2.INTER_CUBIC)
            found = detector.detect(image)
            assert len(found) == 1
            out.append((image, found[0].landmarks))
    return out


def recovered(detector: CenterFaceDetector, sources: list[tuple[np.ndarray, np.ndarray]], scale: float,
              shift_y: float) -> framing.Framing:
    spec = CropSpec(scale=scale, shift_y=shift_y)
    fer_like = np.stack([crop_face(image, marks, spec, FER_SIZE, channels=1) for image, marks in sources])
    result = framing.calibrate(detector, fer_like)
    assert result.faces_used == result.faces_tried == len(sources)
    assert abs(result.shift_x_median) < 0.05  # the crop has no horizontal shift and calibrate finds none
    return result


def test_calibrate_measures_how_the_crop_changes(
    detector: CenterFaceDetector, sources: list[tuple[np.ndarray, np.ndarray]]
) -> None:
    """Differences between crop specs come back as the same differences (measured: 0.35-0.43 for 0.43 in
    scale, 0.21 for 0.20 in shift_y), whatever constant offset the measurement has."""
    base = recovered(detector, sources, 2.83, 0.25)
    tighter = recovered(detector, sources, 2.4, 0.25)
    lower = recovered(detector, sources, 2.83, 0.45)
    assert base.scale - tighter.scale == pytest.approx(2.83 - 2.4, abs=0.1)
    assert abs(base.shift_y - tighter.shift_y) < SHIFT_TOLERANCE
    assert lower.shift_y - base.shift_y == pytest.approx(0.45 - 0.25, abs=0.05)
    assert abs(lower.scale - base.scale) < 0.3  # a lower frame is not a wider one


@pytest.mark.xfail(strict=True, reason=(
    "the shipped crop 2.83/0.25 measures as scale 3.09-3.12 (shift_y 0.23-0.24), FER faces as 2.83/0.25: "
    "calibrate() reads tight crops ~9% wide (the replicated border stretches the chin), so serving cuts wider "
    "than the FER frame; a crop of about 2.6/0.27 measures 2.86/0.25 and would pass"))
def test_serving_crop_reproduces_the_fer_frame(
    detector: CenterFaceDetector, sources: list[tuple[np.ndarray, np.ndarray]]
) -> None:
    """Faces cut with the shipped crop look like FER faces to the measurement that calibrated it on FER.
    Fails for a crop of 2.4/0.25 (measures 2.67-2.74) or 2.83/0.45 (shift_y 0.44)."""
    result = recovered(detector, sources, DEFAULT_CROP["scale"], DEFAULT_CROP["shift_y"])
    assert result.scale == pytest.approx(FER_FRAME["scale"], abs=SCALE_TOLERANCE)
    assert result.shift_y == pytest.approx(FER_FRAME["shift_y"], abs=SHIFT_TOLERANCE)
