"""Alignment geometry and the metadata-driven classifier."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from inference.align import CropSpec, crop_face, crop_matrix
from inference.classify import EmotionClassifier
from inference.errors import ModelMissing
from tests.inference.conftest import make_emotion_model

MARKS = np.array([[100, 100], [140, 100], [120, 120], [105, 140], [135, 140]], np.float32)  # d = 40


def test_crop_matrix_geometry() -> None:
    spec = CropSpec(scale=2.0, shift_y=0.5)
    m = crop_matrix(MARKS, spec, 80)  # side 80 px = 2·40 -> scale 1
    eye_mid = m @ np.array([120, 100, 1])
    assert eye_mid == pytest.approx([40, 20])  # centre is 0.5·d = 20 px below the eyes
    assert m[:, :2] == pytest.approx(np.eye(2))


def test_crop_derotates_tilted_face() -> None:
    angle = 30.0
    rot = cv2.getRotationMatrix2D((120, 120), angle, 1.0)
    tilted = (np.hstack([MARKS, np.ones((5, 1))]) @ rot.T).astype(np.float32)
    m = crop_matrix(tilted, CropSpec(), 48)
    eyes = np.hstack([tilted[:2], np.ones((2, 1))]) @ m.T
    assert eyes[0, 1] == pytest.approx(eyes[1, 1], abs=1e-6)  # eyes level
    assert eyes[0, 0] < eyes[1, 0]  # and not mirrored


def test_crop_face_shapes_and_content() -> None:
    image = np.zeros((300, 300, 3), np.uint8)
    image[:, 120:] = 255  # right half white
    gray = crop_face(image, MARKS, CropSpec(), 48, 1)
    bgr = crop_face(image, MARKS * 0.2, CropSpec(), 64, 3)  # tiny face: upsampled
    big = crop_face(cv2.resize(image, None, fx=8, fy=8), MARKS * 8, CropSpec(), 48, 1)  # big face: area-averaged
    assert gray.shape == (48, 48) and bgr.shape == (64, 64, 3) and gray.dtype == np.uint8
    assert gray[:, :20].mean() < 10 and gray[:, 28:].mean() > 245
    assert np.abs(big.astype(int) - gray.astype(int)).mean() < 8


def test_classifier_reads_metadata_and_batches(tmp_path: Path) -> None:
    labels = ["calm", "glad", "cross"]
    path = make_emotion_model(tmp_path / "m.onnx", labels=labels, size=32, channels=3, output="probabilities")
    clf = EmotionClassifier(path)
    assert clf.info.labels == tuple(labels) and clf.info.input_size == 32 and clf.info.channels == 3
    assert clf.model_version == "tiny-test-1" and clf.info.crop == CropSpec(2.4, 0.3)
    image = (np.random.default_rng(1).random((300, 300, 3)) * 255).astype(np.uint8)
    results = clf.classify(image, [MARKS, MARKS + 50, MARKS * 1.5])
    assert len(results) == 3
    for dist in results:
        assert list(dist) == labels and sum(dist.values()) == pytest.approx(1.0, abs=1e-5)
    assert clf.classify(image, []) == []


def test_classifier_softmaxes_logits(emotion_model: Path) -> None:
    clf = EmotionClassifier(emotion_model)
    (dist,) = clf.classify(np.full((200, 200, 3), 90, np.uint8), [MARKS])
    assert len(dist) == 8 and sum(dist.values()) == pytest.approx(1.0)


def test_classifier_missing(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing):
        EmotionClassifier(tmp_path / "absent.onnx")
