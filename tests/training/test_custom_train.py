"""``shelly train --data DIR``, end to end, on a tiny generated two-class photo folder (a few seconds)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest

from bot.cli import train as train_command
from bot.settings import MODELS_DIR
from inference.classify import EmotionClassifier
from inference.training.custom import stratified_split
from tests.photos import astronaut_bgr, coffee_bgr, grace_hopper_bgr, jpeg

CENTERFACE = MODELS_DIR / "centerface.onnx"


def variants(image: np.ndarray, count: int, seed: int) -> list[np.ndarray]:
    """Flips, small rotations, rescales and exposure changes of one portrait."""
    rng = np.random.default_rng(seed)
    out = []
    h, w = image.shape[:2]
    for i in range(count):
        m = cv2.getRotationMatrix2D((w / 2, h / 2), float(rng.uniform(-6, 6)), float(rng.uniform(0.85, 1.05)))
        img = cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REFLECT)
        img = cv2.convertScaleAbs(img, alpha=float(rng.uniform(0.8, 1.2)), beta=float(rng.uniform(-20, 20)))
        out.append(cv2.flip(img, 1) if i % 2 else img)
    return out


def make_folder(root: Path) -> Path:
    for name, image, seed in (("astronaut", astronaut_bgr(), 0), ("grace", grace_hopper_bgr(), 1)):
        (root / name).mkdir(parents=True)
        for i, img in enumerate(variants(image, 6, seed)):
            (root / name / f"{i}.jpg").write_bytes(jpeg(img))
    (root / "grace" / "coffee.jpg").write_bytes(jpeg(coffee_bgr()))  # no face: skipped and counted
    (root / "grace" / "notes.txt").write_text("not a photo")  # ignored
    return root


def test_stratified_split_keeps_every_class() -> None:
    labels = np.array([0] * 10 + [1] * 4 + [2] * 2)
    train, val, test = stratified_split(labels, seed=3)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(16))
    assert set(labels[val]) == {0, 1} and set(labels[test]) == {0, 1}
    assert (labels[train] == 2).sum() == 2


@pytest.mark.slow
def test_train_from_photo_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not CENTERFACE.is_file():
        pytest.skip("models/centerface.onnx is not installed: run `shelly setup-models`")
    monkeypatch.setenv("SHELLY_DETECTOR", "centerface")
    monkeypatch.setenv("SHELLY_DETECTOR_MODEL", str(CENTERFACE))
    from bot.settings import get_settings

    get_settings.cache_clear()
    data = make_folder(tmp_path / "faces")
    out = tmp_path / "run"
    parser = argparse.ArgumentParser()
    train_command.add_arguments(parser)
    args = parser.parse_args(["--data", str(data), "--out", str(out), "--epochs", "2", "--widths", "8,16",
                              "--batch-size", "8", "--threads", "1"])
    assert train_command.run(args) == 0
    get_settings.cache_clear()

    report = json.loads((out / "eval.json").read_text())
    assert report["classes"] == ["astronaut", "grace"]
    assert report["faces"] == 12 and report["per_class_faces"] == [6, 6]
    assert report["skipped"] == {"no face": 1}
    assert report["split"]["test"] >= 2

    model = out / "emotion-faces.onnx"
    classifier = EmotionClassifier(model)  # the serving side loads it as SHELLY_EMOTION_MODEL
    assert classifier.info.labels == ("astronaut", "grace")
    assert ort.InferenceSession(str(model)).get_inputs()[0].shape[1:] == [1, 48, 48]
    marks = np.array([[100, 100], [150, 100], [125, 130], [105, 160], [145, 160]], float)
    (probs,) = classifier.classify(astronaut_bgr(), [marks])
    assert set(probs) == {"astronaut", "grace"} and abs(sum(probs.values()) - 1) < 1e-4
