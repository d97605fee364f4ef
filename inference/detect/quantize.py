"""Derive an int8 CenterFace from the installed float model, at setup time (``shelly setup-models``).

Only the passes that look for faces of a known, ordinary size use it (see :mod:`inference.detect.centerface`):
there it finds what the float model finds in about half the time or less; the search for tiny faces keeps the
float model, because int8 loses ~20 px faces (keeping the stem convolutions float restores them but makes
the model as slow as the float one: measured in docs/benchmarks.md). Static QDQ quantisation, per-channel int8
weights, uint8 activations calibrated (min/max) on generated scenes of Grace Hopper's portrait (shipped with
matplotlib, a dependency) at many sizes, flips and exposures; the five output-head nodes stay float.
Deterministic: a fixed seed, so every setup derives the same model from the pinned original.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import matplotlib.cbook
import numpy as np
import onnx
from onnx import version_converter

from inference.detect.centerface import INPUT_NAME, to_blob

QUANTIZER_VERSION = "1"  # bump when the recipe changes, so setup-models derives the model again
PROVENANCE_KEY = "shelly_int8_of"
FLOAT_HEAD_NODES = 5  # Conv (heatmap), Sigmoid, Conv (scale), Conv (offset), Conv (landmarks)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """onnxruntime's quantizer warns on the root logger about things that do not apply here."""
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def int8_path(float_model: Path) -> Path:
    return float_model.with_name(f"{float_model.stem}-int8.onnx")


def _provenance(float_model: Path) -> str:
    return f"{hashlib.sha256(float_model.read_bytes()).hexdigest()}:v{QUANTIZER_VERSION}"


def is_current(float_model: Path, target: Path) -> bool:
    if not target.is_file():
        return False
    try:
        props = {p.key: p.value for p in onnx.load(str(target), load_external_data=False).metadata_props}
    except Exception:
        return False
    return props.get(PROVENANCE_KEY) == _provenance(float_model)


def calibration_scenes(count: int = 48, seed: int = 0) -> Iterator[np.ndarray]:
    """Noisy backgrounds with 1–30 copies of Grace Hopper's head, faces 10–160 px, flipped and re-exposed."""
    hopper = cv2.imread(str(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)), cv2.IMREAD_COLOR)
    if hopper is None:  # pragma: no cover - matplotlib ships it
        raise FileNotFoundError("matplotlib's grace_hopper.jpg")
    rng = np.random.default_rng(seed)
    for i in range(count):
        w, h = [(640, 480), (480, 640), (960, 720), (320, 256)][i % 4]
        canvas = np.clip(rng.normal(rng.uniform(60, 200), rng.uniform(5, 40), (h, w, 3)), 0, 255).astype(np.uint8)
        for _ in range(int(rng.integers(1, 30))):
            face = float(rng.uniform(14, 160)) if i % 3 else float(rng.uniform(10, 40))
            k = face / 198  # the face is ~198 px wide in the source
            head = cv2.resize(hopper, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
            if rng.random() < 0.5:
                head = cv2.flip(head, 1)
            head = np.clip(head * rng.uniform(0.6, 1.3) + rng.uniform(-30, 30), 0, 255).astype(np.uint8)
            hh, hw = head.shape[:2]
            if hw >= w or hh >= h:
                continue
            x, y = int(rng.integers(0, w - hw)), int(rng.integers(0, h - hh))
            canvas[y : y + hh, x : x + hw] = head
        yield canvas


def quantize_centerface(float_model: Path, target: Path | None = None, force: bool = False) -> bool:
    """Write the int8 model next to ``float_model`` (or at ``target``); False when it is already current."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    target = target or int8_path(float_model)
    if not force and is_current(float_model, target):
        return False
    model = version_converter.convert_version(onnx.load(str(float_model)), 13)  # QDQ needs opset >= 10
    for i, node in enumerate(model.graph.node):
        node.name = node.name or f"{node.op_type}_{i}"
    keep_float = [node.name for node in model.graph.node[-FLOAT_HEAD_NODES:]]

    class Scenes(CalibrationDataReader):
        def __init__(self) -> None:
            self.scenes = calibration_scenes()

        def get_next(self) -> dict[str, np.ndarray] | None:
            scene = next(self.scenes, None)
            return None if scene is None else {INPUT_NAME: to_blob(scene)}

    with tempfile.TemporaryDirectory(prefix="shelly-int8-") as tmp, _quiet():
        source, out = Path(tmp) / "opset13.onnx", Path(tmp) / "int8.onnx"
        onnx.save(model, str(source))
        quantize_static(str(source), str(out), Scenes(), quant_format=QuantFormat.QDQ, per_channel=True,
                        weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8, nodes_to_exclude=keep_float,
                        calibrate_method=CalibrationMethod.MinMax)
        quantized = onnx.load(str(out))
    entry = quantized.metadata_props.add()
    entry.key, entry.value = PROVENANCE_KEY, _provenance(float_model)
    partial = target.with_suffix(".onnx.partial")
    partial.write_bytes(quantized.SerializeToString())
    partial.replace(target)
    return True
