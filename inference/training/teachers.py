"""Teachers for distillation and warm starts.

- Soft predictions of a model on the FER Training rows are kept as a small ``.npz`` (float16 ``probs`` (N, C),
  int32 ``rows``: row indices into ``fer2013.npz``, ``labels``), so later runs can distil from an ensemble
  without re-running its members. ``.onnx`` teachers are run here (horizontal-flip averaged).
- ``warm_start`` loads the weights of an exported Shelly ONNX model (fp32 or int8 QDQ, batch-norm folded into
  the convolutions) back into an ``EmotionNet``, re-creating batch norms that are exact identities in eval mode.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from inference.training.net import EmotionNet


def predict_onnx(path: Path, pixels: np.ndarray, flip: bool = True) -> np.ndarray:
    """Probabilities of an exported model on uint8 faces, averaged with the mirrored faces when ``flip``."""
    from inference.training.evaluate import OnnxClassifier

    model = OnnxClassifier(path)
    probs = model.predict(pixels)
    if flip:
        probs = (probs + model.predict(np.ascontiguousarray(pixels[:, :, ::-1]))) / 2
    return probs.astype(np.float32)


def save_soft_predictions(path: Path, probs: np.ndarray, rows: np.ndarray, labels: Sequence[str], source: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, probs=probs.astype(np.float16), rows=rows.astype(np.int32),
                        labels=np.array(list(labels)), source=np.array(source))
    return path


def load_soft_predictions(path: Path, rows: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """A teacher file's probabilities for ``rows`` (row indices into fer2013.npz), renormalised, float32."""
    with np.load(path) as data:
        if tuple(str(x) for x in data["labels"]) != tuple(labels):
            raise ValueError(f"teacher {path} has labels {list(data['labels'])}, expected {list(labels)}")
        index = {int(r): i for i, r in enumerate(data["rows"])}
        missing = [int(r) for r in rows if int(r) not in index]
        if missing:
            raise ValueError(f"teacher {path} lacks {len(missing)} training rows (first: {missing[:3]})")
        probs = data["probs"][[index[int(r)] for r in rows]].astype(np.float32)
    return probs / probs.sum(axis=1, keepdims=True)


def teacher_targets(paths: Sequence[Path], pixels: np.ndarray, rows: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """Mean probabilities of an ensemble of teachers (``.npz`` soft-prediction files or ``.onnx`` models)."""
    if not paths:
        raise ValueError("no teacher given")
    members = []
    for path in paths:
        if path.suffix == ".onnx":
            meta = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
            if tuple(json.loads(meta["labels"])) != tuple(labels):
                raise ValueError(f"teacher {path} has labels {meta['labels']}, expected {list(labels)}")
            members.append(predict_onnx(path, pixels))
        else:
            members.append(load_soft_predictions(path, rows, labels))
    return np.mean(members, axis=0).astype(np.float32)


def _onnx_layers(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight, bias) of every Conv and Gemm in graph order, with int8 QDQ weights dequantized."""
    graph = onnx.load(str(path)).graph
    values = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and node.input[0] in values:
            q, scale = values[node.input[0]], values[node.input[1]]
            zero = values[node.input[2]] if len(node.input) > 2 else np.zeros_like(scale)
            axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
            if scale.ndim == 1 and q.ndim > 1:
                shape = [1] * q.ndim
                shape[axis] = -1
                scale, zero = scale.reshape(shape), zero.reshape(shape)
            values[node.output[0]] = (q - zero) * scale
    layers = []
    for node in graph.node:
        if node.op_type in ("Conv", "Gemm"):
            weight = values[node.input[1]]
            bias = values[node.input[2]] if len(node.input) > 2 else np.zeros(weight.shape[0])
            if node.op_type == "Gemm" and not any(a.name == "transB" and a.i for a in node.attribute):
                weight = weight.T
            layers.append((weight, bias))
    return layers


@torch.no_grad()
def warm_start(model: EmotionNet, path: Path, sample: torch.Tensor) -> EmotionNet:
    """Load an exported model's weights into ``model`` (same widths). Each folded conv bias goes into a batch
    norm whose running statistics are measured on ``sample``, so eval mode reproduces the export exactly and
    train-mode batch statistics start close to it."""
    layers = _onnx_layers(path)
    convs = [m for m in model.features if isinstance(m, torch.nn.Conv2d)]
    if len(layers) != len(convs) + 1:
        raise ValueError(f"{path} has {len(layers)} weight layers, the network {len(convs) + 1}")
    model.eval()
    plan = iter(layers)
    h = sample
    for module in model.features:
        if isinstance(module, torch.nn.Conv2d):
            weight, bias = next(plan)
            if tuple(weight.shape) != tuple(module.weight.shape):
                raise ValueError(f"{path}: weight shape {weight.shape} does not fit {tuple(module.weight.shape)}")
            module.weight.copy_(torch.from_numpy(weight))
            h = module(h)
            folded_bias = torch.from_numpy(bias).float()
        elif isinstance(module, torch.nn.BatchNorm2d):
            mean, var = h.mean((0, 2, 3)), h.var((0, 2, 3), unbiased=False)
            assert module.running_mean is not None and module.running_var is not None
            module.running_mean.copy_(mean)
            module.running_var.copy_(var)
            module.weight.copy_(torch.sqrt(var + module.eps))
            module.bias.copy_(mean + folded_bias)
            h = module(h)
        else:
            h = module(h)
    weight, bias = next(plan)
    linear = model.head[-1]
    assert isinstance(linear, torch.nn.Linear)
    linear.weight.copy_(torch.from_numpy(weight))
    linear.bias.copy_(torch.from_numpy(bias))
    return model
