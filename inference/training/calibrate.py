"""Temperature scaling (Guo et al. 2017): one scalar T, fitted on PublicTest, stored as the model's
``temperature`` metadata; probabilities are softmax(logits / T). The weights are never touched."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from inference.training.export import read_metadata, write_metadata

T_RANGE = (0.05, 20.0)


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    z = np.asarray(logits, np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(labels)), labels].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray, iterations: int = 80) -> float:
    """The T minimising the negative log-likelihood (golden-section search on log T; NLL is unimodal in T)."""
    lo, hi = math.log(T_RANGE[0]), math.log(T_RANGE[1])
    golden = (math.sqrt(5) - 1) / 2
    a, b = hi - golden * (hi - lo), lo + golden * (hi - lo)
    fa, fb = nll(logits, labels, math.exp(a)), nll(logits, labels, math.exp(b))
    for _ in range(iterations):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - golden * (hi - lo)
            fa = nll(logits, labels, math.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + golden * (hi - lo)
            fb = nll(logits, labels, math.exp(b))
    return round(math.exp((lo + hi) / 2), 4)


def store_temperature(model: Path, temperature: float) -> None:
    """Write ``temperature`` into the model's metadata (other metadata and the weights stay as they are)."""
    meta = read_metadata(model)
    if meta.get("output", "logits") != "logits":
        raise ValueError(f"{model} outputs probabilities; temperature scaling needs logits")
    write_metadata(model, {**meta, "temperature": f"{temperature:.4g}"})


def calibrate_on_publictest(model: Path, npz: Path) -> tuple[float, float, float]:
    """Fit T on the FER+ PublicTest majority rows and store it. Returns (T, NLL before, NLL after)."""
    from inference.training.evaluate import OnnxClassifier
    from inference.training.ferplus import FERPLUS_LABELS, load_split

    classifier = OnnxClassifier(model)
    missing = set(FERPLUS_LABELS) - set(classifier.labels)
    if missing:
        raise ValueError(f"{model} lacks FER+ classes {sorted(missing)}")
    val = load_split(npz, "val")
    columns = [list(classifier.labels).index(label) for label in FERPLUS_LABELS]
    logits = classifier.logits(val.pixels)[:, columns]
    temperature = fit_temperature(logits, val.majority)
    store_temperature(model, temperature)
    return temperature, nll(logits, val.majority, 1.0), nll(logits, val.majority, temperature)
