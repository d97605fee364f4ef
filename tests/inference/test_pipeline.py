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
    assert annotated is not None and annotated.shape[1] == 1280  # drawn on a copy reduced to what Telegram shows


def test_exif_rotated_photo_matches_upright(pipeline: Pipeline) -> None:
    upright = pipeline.analyze(photos.jpeg(photos.group_photo()), annotate=False)
    turned = pipeline.analyze(photos.exif_rotated_jpeg(photos.group_photo(), 6), annotate=False)
    assert turned.annotated_jpeg is None and turned.image_size == upright.image_size
    for a, b in zip(upright.faces, turned.faces, strict=True):  # same faces; a wrong turn would move them far
        assert np.allclose(a.box, b.box, atol=0.08 * max(a.box[2:]))


def test_no_face(pipeline: Pipeline) -> None:
    analysis = pipeline.analyze(photos.jpeg(photos.coffee_bgr()))
    assert analysis.faces == () and analysis.annotated_jpeg is None and "annotate" not in analysis.timings_ms


def test_typed_error_passes_through(pipeline: Pipeline) -> None:
    with pytest.raises(CorruptImage):
        pipeline.analyze(photos.jpeg(photos.astronaut_bgr())[:3000])


@pytest.mark.parametrize("size", [(20000, 1), (1, 20000), (1, 1), (2, 2), (5000, 3), (3, 5000)])
def test_thin_and_tiny_images_give_no_face_not_a_crash(pipeline: Pipeline, size: tuple[int, int]) -> None:
    w, h = size
    image = np.random.default_rng(w * h).integers(0, 255, (h, w, 3), dtype=np.uint8)
    for data in (photos.encode(image, ".png"), photos.jpeg(image)):
        analysis = pipeline.analyze(data)
        assert analysis.faces == () and analysis.image_size == (w, h) and analysis.annotated_jpeg is None


def test_label_names_are_drawn_in_any_script(pipeline: Pipeline) -> None:
    data = photos.jpeg(photos.astronaut_bgr())
    plain = pipeline.analyze(data)
    (face,) = plain.faces
    russian = pipeline.analyze(data, label_names={face.top_emotion: "Удивление и радость"})
    assert russian.faces == plain.faces
    a, b = (cv2.imdecode(np.frombuffer(x.annotated_jpeg or b"", np.uint8), cv2.IMREAD_COLOR)
            for x in (plain, russian))
    diff = np.abs(a.astype(int) - b.astype(int)).sum(axis=2) > 60
    ys, xs = np.nonzero(diff)
    assert xs.size > 200  # the label differs, and only the label above the face
    assert ys.max() < face.box[1] + 10


def test_every_face_of_a_crowd_is_reported_and_numbered(pipeline: Pipeline) -> None:
    from benchmarks.photos import crowd_photo

    image, truth = crowd_photo()
    analysis = pipeline.analyze(photos.jpeg(image))
    assert len(truth) > 20  # more than the old silent cut
    assert len(analysis.faces) >= len(truth) - 1
    assert [f.index for f in analysis.faces] == list(range(1, len(analysis.faces) + 1))
