"""From a trained checkpoint to the ONNX file Shelly serves: fp32 export, check against torch, int8, metrics."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from inference.training.evaluate import OnnxClassifier, single_thread_session
from inference.training.export import (
    DEFAULT_CROP,
    build_metadata,
    export_onnx,
    load_checkpoint,
    normalise,
    quantize_int8,
    read_metadata,
    write_metadata,
)
from inference.training.metrics import summarise


@dataclass(frozen=True)
class Release:
    fp32: Path
    int8: Path | None
    max_abs_diff_vs_torch: float
    metrics: dict[str, Any]


def max_abs_diff(model: torch.nn.Module, onnx_path: Path, pixels: np.ndarray, batch: int = 256) -> float:
    """Largest absolute difference between torch and onnxruntime outputs over ``pixels``."""
    session = single_thread_session(onnx_path)
    name = session.get_inputs()[0].name
    worst = 0.0
    model.eval()
    with torch.no_grad():
        for i in range(0, len(pixels), batch):
            x = normalise(pixels[i : i + batch])
            ours = np.asarray(session.run(None, {name: x})[0])
            ref = model(torch.from_numpy(x)).numpy()
            worst = max(worst, float(np.abs(ours - ref).max()))
    return worst


def holdout_metrics(onnx_path: Path, pixels: np.ndarray, labels: np.ndarray, names: Sequence[str]) -> dict[str, Any]:
    """Accuracy / macro-F1 / ECE of an exported model on a labelled hold-out set (for the metadata)."""
    probs = OnnxClassifier(onnx_path).predict(pixels)
    full = summarise(probs, labels, names)
    return {k: round(float(full[k]), 4) for k in ("accuracy", "macro_f1", "ece")} | {"n": int(full["n"])}


def release(
    checkpoint: Path,
    out_path: Path,
    *,
    calibration_pixels: np.ndarray,
    check_pixels: np.ndarray,
    model_version: str,
    training_data: str,
    eval_pixels: np.ndarray | None = None,
    eval_labels: np.ndarray | None = None,
    eval_name: str = "test",
    crop: Mapping[str, float] | None = None,
    int8: bool = True,
    extra_metrics: Mapping[str, Any] | None = None,
    fp32_path: Path | None = None,
    class_bias: np.ndarray | None = None,
) -> Release:
    """Export ``checkpoint`` to ``out_path`` (int8 unless ``int8=False``; the fp32 twin sits beside it).
    ``class_bias`` is added to the output layer's bias (a post-hoc prior shift, see ``prior.py``)."""
    model, config = load_checkpoint(checkpoint)
    if class_bias is not None:
        linear = model.head[-1]
        assert isinstance(linear, torch.nn.Linear)
        with torch.no_grad():
            linear.bias.add_(torch.from_numpy(np.asarray(class_bias, np.float32)))
    labels = tuple(config.get("labels") or ())
    if len(labels) != config["num_classes"]:
        raise ValueError(f"checkpoint {checkpoint} has no matching label list: {labels}")
    meta = build_metadata(labels, model_version=model_version, training_data=training_data, crop=crop or DEFAULT_CROP)
    fp32 = (fp32_path or out_path.with_name(out_path.stem + "-fp32.onnx")) if int8 else out_path
    export_onnx(model, fp32, meta)
    diff = max_abs_diff(model, fp32, check_pixels)
    quantized = quantize_int8(fp32, out_path, calibration_pixels) if int8 else None
    served = quantized or fp32
    metrics: dict[str, Any] = {"max_abs_diff_fp32_vs_torch": float(f"{diff:.3g}"), **(extra_metrics or {})}
    if eval_pixels is not None and eval_labels is not None:
        metrics[eval_name] = holdout_metrics(served, eval_pixels, eval_labels, labels)
        if quantized is not None:
            metrics[eval_name + "_fp32"] = holdout_metrics(fp32, eval_pixels, eval_labels, labels)
    for path in {served, fp32}:
        write_metadata(path, {**read_metadata(path), "metrics": json.dumps(metrics, sort_keys=True)})
    return Release(fp32=fp32, int8=quantized, max_abs_diff_vs_torch=diff, metrics=metrics)
