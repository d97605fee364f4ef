"""Temperature scaling (fitted, stored, applied) and the photo degradations of the robustness report."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from inference.classify import EmotionClassifier
from inference.training.calibrate import fit_temperature, nll, store_temperature
from inference.training.degrade import DEGRADATIONS, random_degrade
from inference.training.evaluate import OnnxClassifier
from inference.training.evaluate import TestSet as FaceSplit
from inference.training.export import read_metadata
from inference.training.robustness import robustness, robustness_markdown
from tests.photos import astronaut_bgr, grace_hopper_bgr

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "shelly-emotion.onnx"
MARKS = np.array([[190, 130], [250, 130], [220, 160], [195, 195], [245, 195]], np.float32)


def real_faces(count: int = 12) -> np.ndarray:
    """48x48 grayscale crops around the faces of two real photos, at a few framings."""
    faces = []
    for image, box in ((astronaut_bgr(), (150, 60, 190)), (grace_hopper_bgr(), (200, 120, 260))):
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        x0, y0, side = box
        for k in range(count // 2):
            d = 4 * k
            crop = gray[y0 + d : y0 + side - d, x0 + d : x0 + side - d]
            faces.append(cv2.resize(crop, (48, 48), interpolation=cv2.INTER_AREA))
    return np.stack(faces)


def test_fit_temperature_recovers_the_scale() -> None:
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 2, (20000, 8))
    p = np.exp(true_logits) / np.exp(true_logits).sum(1, keepdims=True)
    labels = np.array([rng.choice(8, p=row) for row in p])
    temperature = fit_temperature(2.5 * true_logits, labels)  # over-confident logits by 2.5x
    assert temperature == pytest.approx(2.5, rel=0.05)
    assert nll(2.5 * true_logits, labels, temperature) < nll(2.5 * true_logits, labels, 1.0)


def test_stored_temperature_is_applied_by_the_serving_classifier(tmp_path: Path) -> None:
    model = tmp_path / "m.onnx"
    shutil.copy(SHIPPED, model)
    store_temperature(model, 1.0)
    before = EmotionClassifier(model).classify(astronaut_bgr(), [MARKS])[0]
    store_temperature(model, 0.5)
    assert read_metadata(model)["temperature"] == "0.5"
    clf = EmotionClassifier(model)
    assert clf.info.temperature == 0.5
    after = clf.classify(astronaut_bgr(), [MARKS])[0]
    p = np.array(list(before.values()))
    sharpened = p**2 / (p**2).sum()  # softmax(z / 0.5) = p^2, renormalised
    assert np.allclose(list(after.values()), sharpened, atol=1e-6)
    assert max(after, key=after.__getitem__) == max(before, key=before.__getitem__)
    assert max(after.values()) > max(before.values())
    offline = OnnxClassifier(model).predict(real_faces(4))  # the evaluation harness applies it too
    store_temperature(model, 1.0)
    plain = OnnxClassifier(model).predict(real_faces(4))
    assert np.allclose(offline, plain**2 / (plain**2).sum(1, keepdims=True), atol=1e-5)


@pytest.mark.parametrize("name", sorted(DEGRADATIONS))
def test_degradations_are_deterministic_and_change_the_face(name: str) -> None:
    faces = real_faces()
    first, second = DEGRADATIONS[name](faces), DEGRADATIONS[name](faces)
    assert first.shape == faces.shape and first.dtype == np.uint8
    assert np.array_equal(first, second)
    assert np.abs(first.astype(int) - faces.astype(int)).mean() > 0.5


def test_random_degradation_for_training() -> None:
    faces = real_faces()
    assert np.array_equal(random_degrade(faces, np.random.default_rng(0), 0.0), faces)
    all_hit = random_degrade(faces, np.random.default_rng(0), 1.0)
    assert all(not np.array_equal(a, b) for a, b in zip(all_hit, faces, strict=True))
    assert np.array_equal(all_hit, random_degrade(faces, np.random.default_rng(0), 1.0))


def test_robustness_report_on_the_shipped_model() -> None:
    faces = real_faces()
    model = OnnxClassifier(SHIPPED)
    labels = model.predict(faces).argmax(1)  # the model's own clean answers: clean accuracy is 100 %
    test = FaceSplit(pixels=faces, ferplus=labels, fer2013=np.zeros(len(faces), np.int64))
    report = robustness([model], test)
    rows = report["models"]["shelly-emotion"]
    assert rows["clean"]["accuracy"] == 1.0 and rows["clean"]["drop_points"] == 0
    assert set(rows) == {"clean", *DEGRADATIONS}
    assert all(0 <= r["accuracy"] <= 1 and r["drop_points"] >= 0 for r in rows.values())
    assert "jpeg_q30" in robustness_markdown(report)
