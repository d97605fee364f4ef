"""Checkpoint -> ONNX with the metadata contract of docs/CONTRACTS.md, plus static int8 quantization.

The fp32 graph is exported with a dynamic batch axis; ``quantize_int8`` turns it into a QDQ int8 graph
(per-channel weights) calibrated on real faces, which is what Shelly serves (< 1 ms/face on one thread).
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from torch import nn

from inference.training.net import EmotionNet
from inference.training.train import INPUT_SIZE, NORM_MEAN, NORM_STD

INPUT_NAME, OUTPUT_NAME = "input", "output"
OPSET = 17
# The FER frame in the serving crop convention (CONTRACTS.md ``crop``), calibrated by framing.calibrate with
# CenterFace landmarks on 4,000 FER Training faces (48 -> 144 px + 24 px border; 3,344 with one face found):
# median s = 2.83 (IQR 2.62-3.04), dy = 0.25 (IQR 0.20-0.34). YuNet landmarks give s = 2.61, dy = 0.30.
FER_FRAME: dict[str, float] = {"scale": 2.83, "shift_y": 0.25}
# The crop serving cuts. Shipped as the measurement itself; tests/training/test_framing.py shows that
# calibrate() reads such crops as scale ~3.09, i.e. about 2.6/0.27 would look to it like FER faces.
DEFAULT_CROP: dict[str, float] = {"scale": 2.83, "shift_y": 0.25}
CROP_CALIBRATION = (
    "CenterFace landmarks on 4000 FER Training faces (3344 used): median scale 2.83 (IQR 2.62-3.04), "
    "shift_y 0.25 (IQR 0.20-0.34); YuNet landmarks: scale 2.61, shift_y 0.30"
)


class FlipAverage(nn.Module):
    """Softmax of ``model(x)`` averaged with that of the horizontally flipped input."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (F.softmax(self.model(x), 1) + F.softmax(self.model(torch.flip(x, dims=[3])), 1)) / 2


def load_checkpoint(path: Path) -> tuple[EmotionNet, dict[str, Any]]:
    """Rebuild the network of a ``best.pt`` / ``last.pt`` checkpoint (eval mode) and return its config."""
    state = torch.load(path, map_location="cpu", weights_only=False)
    config: dict[str, Any] = dict(state.get("config", {}))
    weights: dict[str, torch.Tensor] = state["model"]
    num_classes = int(weights["head.3.weight"].shape[0])
    widths = tuple(config.get("widths") or (32, 64, 128, 256))
    model = EmotionNet(num_classes, widths, float(config.get("dropout", 0.3)))
    model.load_state_dict(weights)
    model.eval()
    config["num_classes"] = num_classes
    config["epoch"] = state.get("epoch")
    config["val_acc"] = state.get("val_acc")
    return model, config


def build_metadata(
    labels: Sequence[str],
    *,
    model_version: str,
    training_data: str,
    metrics: Mapping[str, Any] | None = None,
    crop: Mapping[str, float] | None = None,
    flip_tta: bool = False,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The string key/value pairs every Shelly emotion model carries."""
    meta = {
        "labels": json.dumps(list(labels)),
        "input_size": str(INPUT_SIZE),
        "channels": "1",
        "norm_mean": str(NORM_MEAN),
        "norm_std": str(NORM_STD),
        "crop": json.dumps(dict(crop or DEFAULT_CROP)),
        "output": "probabilities" if flip_tta else "logits",
        "model_version": model_version,
        "training_data": training_data,
        "metrics": json.dumps(dict(metrics or {}), sort_keys=True),
        "flip_tta": "1" if flip_tta else "0",
        "crop_calibration": CROP_CALIBRATION if crop is None else "given by the caller",
    }
    meta.update(extra or {})
    return meta


def write_metadata(path: Path, meta: Mapping[str, str]) -> None:
    """Replace the ``metadata_props`` of the ONNX file at ``path``."""
    model = onnx.load(str(path))
    del model.metadata_props[:]
    for key, value in meta.items():
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, str(path))


def read_metadata(path: Path) -> dict[str, str]:
    return {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}


def export_onnx(model: nn.Module, path: Path, meta: Mapping[str, str], *, flip_tta: bool = False) -> Path:
    """Export ``model`` (float32, dynamic batch) to ``path`` and attach ``meta``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    graph = FlipAverage(model) if flip_tta else model
    graph.eval()
    dummy = torch.zeros(2, 1, INPUT_SIZE, INPUT_SIZE)
    with warnings.catch_warnings():  # the TorchScript exporter is deprecated but exact for this plain CNN
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            graph,
            (dummy,),
            str(path),
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )
    model_proto = onnx.load(str(path))
    onnx.checker.check_model(model_proto)
    write_metadata(path, meta)
    return path


class _Calibration:
    """onnxruntime CalibrationDataReader over normalised faces."""

    def __init__(self, x: np.ndarray, batch: int = 64):
        self._batches: Iterator[np.ndarray] = iter([x[i : i + batch] for i in range(0, len(x), batch)])

    def get_next(self) -> dict[str, np.ndarray] | None:
        batch = next(self._batches, None)
        return None if batch is None else {INPUT_NAME: batch}


def normalise(pixels: np.ndarray) -> np.ndarray:
    """uint8 (N, S, S) -> float32 (N, 1, S, S) with the model's normalisation."""
    return ((pixels.astype(np.float32) / 255.0 - NORM_MEAN) / NORM_STD)[:, None]


def quantize_int8(fp32_path: Path, out_path: Path, calibration_pixels: np.ndarray) -> Path:
    """Static QDQ int8 (per-channel weights, uint8 activations) calibrated on real faces; keeps the metadata."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    meta = read_metadata(fp32_path)
    with tempfile.TemporaryDirectory() as tmp:
        prepped = Path(tmp) / "prepped.onnx"
        quant_pre_process(str(fp32_path), str(prepped), skip_symbolic_shape=True)
        quantize_static(
            str(prepped),
            str(out_path),
            _Calibration(normalise(calibration_pixels)),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
        )
    write_metadata(out_path, {**meta, "quantization": "int8 static QDQ, per-channel weights"})
    return out_path
