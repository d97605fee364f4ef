"""Evaluation metrics on a tiny synthetic set."""

from __future__ import annotations

import numpy as np
import pytest

from inference.training.evaluate import TestSet, score
from inference.training.ferplus import FERPLUS_LABELS
from inference.training.metrics import confusion, reliability, summarise


def test_confusion_and_per_class() -> None:
    y_true = np.array([0, 0, 1, 1, 2])
    probs = np.eye(3)[[0, 1, 1, 1, 0]]
    result = summarise(probs, y_true, ["a", "b", "c"])
    assert result["confusion"] == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert result["accuracy"] == pytest.approx(0.6)
    assert result["per_class"]["b"] == {"precision": pytest.approx(2 / 3), "recall": 1.0, "f1": pytest.approx(0.8),
                                        "support": 2}
    assert result["per_class"]["c"]["f1"] == 0.0


def test_ece_by_hand() -> None:
    # two faces at confidence 0.9 (one right), two at 0.6 (both right): |0.5-0.9|·2/4 + |1-0.6|·2/4 = 0.4
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.4, 0.6]])
    y_true = np.array([0, 1, 0, 1])
    assert reliability(probs, y_true)["ece"] == pytest.approx(0.4)
    perfect = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert reliability(perfect, np.array([0, 1]))["ece"] == pytest.approx(0.0)
    assert confusion(np.array([1]), np.array([0]), 2).tolist() == [[0, 0], [1, 0]]


def test_protocols_drop_contempt_and_map_fer2013() -> None:
    # rows: neutral, contempt, no majority; FER2013 labels angry, neutral, happy
    test = TestSet(pixels=np.zeros((3, 48, 48), np.uint8), ferplus=np.array([0, 7, -1]), fer2013=np.array([0, 6, 3]))
    probs = np.full((3, 8), 0.01)
    probs[0, 0] = probs[1, 7] = 0.9  # neutral, contempt
    probs[1, 0] = 0.05  # without contempt, neutral wins
    probs[2, 1] = 0.5  # happiness
    probs /= probs.sum(axis=1, keepdims=True)
    results = score(probs, FERPLUS_LABELS, test)
    assert results["ferplus8"]["n"] == 2 and results["ferplus8"]["accuracy"] == 1.0
    assert results["ferplus7"]["n"] == 1 and results["ferplus7"]["accuracy"] == 1.0
    # FER2013: row 0 predicted neutral (true angry), row 1 neutral (ok), row 2 happy (ok)
    assert results["fer2013"]["n"] == 3 and results["fer2013"]["accuracy"] == pytest.approx(2 / 3)
    seven = score(probs[:, :7], FERPLUS_LABELS[:7], test)
    assert "ferplus8" not in seven
