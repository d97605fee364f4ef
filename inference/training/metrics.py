"""Classification metrics on numpy arrays: confusion matrix, per-class precision/recall/F1, calibration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

ECE_BINS = 15


def confusion(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts, rows = true class, columns = predicted class."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def per_class(matrix: np.ndarray, labels: Sequence[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support per class (0 where undefined)."""
    tp = np.diag(matrix).astype(np.float64)
    predicted, support = matrix.sum(axis=0), matrix.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return {
        label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    }


def reliability(probs: np.ndarray, y_true: np.ndarray, bins: int = ECE_BINS) -> dict[str, Any]:
    """Expected calibration error over equal-width confidence bins, with the per-bin data for a diagram."""
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == y_true).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    counts = np.bincount(index, minlength=bins)
    acc = np.bincount(index, weights=correct, minlength=bins).astype(np.float64)
    conf = np.bincount(index, weights=confidence, minlength=bins).astype(np.float64)
    nonzero = counts > 0
    acc[nonzero] /= counts[nonzero]
    conf[nonzero] /= counts[nonzero]
    ece = float(np.sum(np.abs(acc - conf) * counts) / max(len(y_true), 1))
    return {"ece": ece, "edges": edges.tolist(), "counts": counts.tolist(), "accuracy": acc.tolist(),
            "confidence": conf.tolist()}


def summarise(probs: np.ndarray, y_true: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro F1, per-class scores, confusion matrix and ECE of ``probs`` (N, C) against ``y_true``."""
    y_pred = probs.argmax(axis=1)
    matrix = confusion(y_true, y_pred, len(labels))
    classes = per_class(matrix, labels)
    calib = reliability(probs, y_true)
    return {
        "n": len(y_true),
        "accuracy": float((y_pred == y_true).mean()) if len(y_true) else 0.0,
        "macro_f1": float(np.mean([c["f1"] for c in classes.values()])),
        "ece": calib["ece"],
        "per_class": classes,
        "confusion": matrix.tolist(),
        "reliability": calib,
        "labels": list(labels),
    }
