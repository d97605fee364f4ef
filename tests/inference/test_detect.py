"""CenterFace on real photos: counts and box positions, rotations, small faces, no face."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.detector_margins import scene as margin_scene
from benchmarks.photos import benchmark_set, matched, pipeline_set
from inference.detect import Detection
from inference.detect.centerface import CenterFaceDetector
from inference.errors import ModelMissing
from inference.pipeline import Pipeline
from tests import photos

# (x, y, w, h) of each face, measured once by hand-checking the detector's boxes on these photos
ASTRONAUT = (184, 62, 85, 112)
GROUP = [(181, 66, 85, 114), (765, 95, 196, 199), (1435, 66, 88, 114)]


@pytest.fixture(scope="module")
def detector(centerface_model: Path) -> CenterFaceDetector:
    return CenterFaceDetector(centerface_model)


def centre(box: tuple[float, float, float, float]) -> np.ndarray:
    return np.array([box[0] + box[2] / 2, box[1] + box[3] / 2])


def assert_boxes(found: list[Detection], expected: list[tuple[int, int, int, int]], tol: float = 0.2) -> None:
    assert len(found) == len(expected)
    found = sorted(found, key=lambda d: d.box[0])
    for det, box in zip(found, expected, strict=True):
        size = max(box[2], box[3])
        assert np.linalg.norm(centre(det.box) - centre(box)) < tol * size, (det.box, box)
        assert abs(det.box[2] - box[2]) < 0.25 * size, (det.box, box)


def test_missing_model_names_the_setup_command(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing, match="shelly setup-models"):
        CenterFaceDetector(tmp_path / "nope.onnx")


def test_single_faces(detector: CenterFaceDetector) -> None:
    assert_boxes(detector.detect(photos.astronaut_bgr()), [ASTRONAUT])
    (hopper,) = detector.detect(photos.grace_hopper_bgr())
    assert hopper.score > 0.8
    # landmarks: image-left eye first, both eyes above the nose, mouth below
    marks = hopper.landmarks
    assert marks[0, 0] < marks[1, 0] and marks[2, 1] > marks[0, 1] and marks[3, 1] > marks[2, 1]


def test_group_and_no_face(detector: CenterFaceDetector) -> None:
    assert_boxes(detector.detect(photos.group_photo()), GROUP)
    assert detector.detect(photos.coffee_bgr()) == []


@pytest.mark.parametrize("face_px", [40, 30, 20])
def test_small_faces(detector: CenterFaceDetector, face_px: int) -> None:
    found = detector.detect(photos.small_faces_photo(face_px))
    assert len(found) == 4
    xs = sorted(d.box[0] for d in found)
    assert all(abs(x - (i * 320 + 80)) < face_px for i, x in enumerate(xs))
    assert all(abs(d.box[1] + d.box[3] / 2 - (300 + face_px * 0.55)) < face_px for d in found)


def test_a_quick_look_skips_only_the_tiny_face_search(detector: CenterFaceDetector) -> None:
    """``thorough=False`` (a bigger copy will be read next): ordinary faces are found as before, faces only the
    float search finds are left to the bigger copy."""
    assert_boxes(detector.detect(photos.astronaut_bgr(), thorough=False), [ASTRONAUT])
    assert len(detector.detect(photos.group_photo(), thorough=False)) == 3
    tiny = photos.small_faces_photo(20)
    assert len(detector.detect(tiny)) == 4 and detector.detect(tiny, thorough=False) == []


def test_every_face_of_the_benchmark_scenes(detector: CenterFaceDetector) -> None:
    """The scenes the speed benchmarks time (``benchmarks.vs_seeds``, ``benchmarks.detector``): a faster detector
    must still find every face, and nothing where there is none."""
    for name, image, truth in pipeline_set():
        boxes = [d.box for d in detector.detect(image)]
        assert matched(boxes, truth) == len(truth), name
        assert truth or boxes == [], name
    for name, image, count in benchmark_set():
        assert len(detector.detect(image)) == count, name


def test_the_tiny_face_search_confirms_weak_candidates_in_float(detector: CenterFaceDetector,
                                                               centerface_model: Path) -> None:
    """The int8 pass proposes; a candidate under the int8 threshold stays only if the float model agrees."""
    tiny = photos.small_faces_photo(20)
    boxes, marks, scores, _ = detector.run_at(tiny, 960, fast=True)
    assert len(detector._finish(boxes, marks, scores, tiny.shape[1], tiny.shape[0])) < 4  # int8 alone misses some
    assert len(detector.detect(tiny)) == 4
    coffee = photos.coffee_bgr()
    eager = CenterFaceDetector(centerface_model, propose_threshold=0.05)
    assert len(eager.run_at(coffee, 608, fast=True, threshold=0.05)[2]) > 0  # something to confirm ...
    assert eager.detect(coffee) == []  # ... which the float model turns down


@pytest.mark.parametrize("degrees", [30, 45])
def test_tilted_faces_found_upright(detector: CenterFaceDetector, degrees: int) -> None:
    image = photos.rotated(photos.group_photo(), degrees)
    assert len(detector.detect(image)) == 3


@pytest.mark.parametrize("degrees", [90, 180, -90])
def test_sideways_and_upside_down_via_pipeline(pipeline: Pipeline, degrees: int) -> None:
    image = photos.rotated(photos.astronaut_bgr(), degrees)
    (face,) = pipeline.find_faces(image)
    # the face is where the rotated astronaut's face is
    h, w = photos.astronaut_bgr().shape[:2]
    c = centre(ASTRONAUT) - np.array([w / 2, h / 2])
    rad = np.deg2rad(-degrees)  # cv2 rotates counter-clockwise for positive angles, y grows downwards
    rot = np.array([[np.cos(rad), -np.sin(rad)], [np.sin(rad), np.cos(rad)]])
    expected = rot @ c + np.array([image.shape[1] / 2, image.shape[0] / 2])
    assert np.linalg.norm(centre(face.box) - expected) < 40


@pytest.mark.parametrize("sizes", [[20, 40, 60], [24, 48, 72]])
def test_faces_much_smaller_than_the_smallest_found_first(detector: CenterFaceDetector, sizes: list[int]) -> None:
    """The first pass sees the larger faces only; the second pass, sized from them, must still find the small
    ones (a plain int8 second pass found 7 of these 9; ``python -m benchmarks.detector_margins``)."""
    image, truth = margin_scene(sizes * 3, seed=sizes[0] + 1)
    boxes = [d.box for d in detector.detect(image)]
    assert matched(boxes, truth, within=0.75) == len(boxes) == 9
