"""bytes -> Analysis on real photos."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inference.errors import CorruptImage
from inference.pipeline import Pipeline
from tests import photos


def test_group_photo_faces_left_to_right(pipeline: Pipeline) -> None:
    analysis = pipeline.analyze(photos.jpeg(photos.group_photo()))
    assert analysis.image_size == (1704, 512)
    assert [f.index for f in analysis.faces] == [1, 2, 3]
    xs = [f.box[0] for f in analysis.faces]
    assert xs == sorted(xs)
    assert abs(xs[0] - 181) < 15 and abs(xs[1] - 765) < 25 and abs(xs[2] - 1435) < 15  # original coordinates
    for face in analysis.faces:
        assert len(face.landmarks) == 5 and face.detection_score > 0.5
        assert len(face.emotions) == 8 and sum(face.emotions.values()) == pytest.approx(1.0)
    assert analysis.model_version == "tiny-test-1"
    assert set(analysis.timings_ms) >= {"decode", "detect", "classify", "annotate", "total"}
    annotated = cv2.imdecode(np.frombuffer(analysis.annotated_jpeg or b"", np.uint8), cv2.IMREAD_COLOR)
    assert annotated is not None and annotated.shape[1] == 1600  # drawn at the working size


def test_exif_rotated_photo_matches_upright(pipeline: Pipeline) -> None:
    upright = pipeline.analyze(photos.jpeg(photos.group_photo()), annotate=False)
    turned = pipeline.analyze(photos.exif_rotated_jpeg(photos.group_photo(), 6), annotate=False)
    assert turned.annotated_jpeg is None and turned.image_size == upright.image_size
    for a, b in zip(upright.faces, turned.faces, strict=True):
        assert np.allclose(a.box, b.box, atol=8)


def test_no_face(pipeline: Pipeline) -> None:
    analysis = pipeline.analyze(photos.jpeg(photos.coffee_bgr()))
    assert analysis.faces == () and analysis.annotated_jpeg


def test_typed_error_passes_through(pipeline: Pipeline) -> None:
    with pytest.raises(CorruptImage):
        pipeline.analyze(photos.jpeg(photos.astronaut_bgr())[:3000])
