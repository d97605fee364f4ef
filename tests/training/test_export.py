"""Export: metadata round trip and onnxruntime-vs-torch agreement on a tiny random network."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from inference.classify import ModelInfo
from inference.training.export import build_metadata, export_onnx, quantize_int8, read_metadata
from inference.training.ferplus import FERPLUS_LABELS
from inference.training.net import EmotionNet
from inference.training.release import max_abs_diff


def tiny_net() -> EmotionNet:
    torch.manual_seed(0)
    return EmotionNet(8, widths=(4, 8), dropout=0.0).eval()


def test_metadata_round_trip_and_agreement(tmp_path: Path) -> None:
    net = tiny_net()
    meta = build_metadata(FERPLUS_LABELS, model_version="t-1", training_data="none", metrics={"acc": 0.5})
    path = export_onnx(net, tmp_path / "m.onnx", meta)
    read = read_metadata(path)
    assert read == meta
    assert json.loads(read["labels"]) == list(FERPLUS_LABELS)
    assert (read["input_size"], read["channels"], read["flip_tta"], read["output"]) == ("48", "1", "0", "logits")
    info = ModelInfo.from_metadata(read, str(path))  # the serving side accepts it
    assert info.labels == FERPLUS_LABELS and info.crop.scale > 0
    pixels = np.random.default_rng(0).integers(0, 256, (5, 48, 48), dtype=np.uint8)
    assert max_abs_diff(net, path, pixels) < 1e-4
    session = ort.InferenceSession(str(path))
    assert session.run(None, {"input": np.zeros((3, 1, 48, 48), np.float32)})[0].shape == (3, 8)  # dynamic batch


def test_flip_tta_graph_outputs_probabilities(tmp_path: Path) -> None:
    net = tiny_net()
    meta = build_metadata(FERPLUS_LABELS, model_version="t", training_data="none", flip_tta=True)
    path = export_onnx(net, tmp_path / "f.onnx", meta, flip_tta=True)
    x = np.random.default_rng(1).normal(size=(2, 1, 48, 48)).astype(np.float32)
    out = ort.InferenceSession(str(path)).run(None, {"input": x})[0]
    with torch.no_grad():
        t = torch.from_numpy(x)
        ref = (torch.softmax(net(t), 1) + torch.softmax(net(torch.flip(t, dims=[3])), 1)) / 2
    np.testing.assert_allclose(out, ref.numpy(), atol=1e-5)
    assert read_metadata(path)["output"] == "probabilities"


def test_int8_keeps_metadata_and_mostly_agrees(tmp_path: Path) -> None:
    net = tiny_net()
    meta = build_metadata(FERPLUS_LABELS, model_version="t", training_data="none")
    fp32 = export_onnx(net, tmp_path / "m.onnx", meta)
    pixels = np.random.default_rng(2).integers(0, 256, (64, 48, 48), dtype=np.uint8)
    int8 = quantize_int8(fp32, tmp_path / "q.onnx", pixels)
    assert read_metadata(int8).items() >= meta.items()
    x = ((pixels.astype(np.float32) / 255 - 0.5) / 0.25)[:, None]
    a = ort.InferenceSession(str(fp32)).run(None, {"input": x})[0]
    b = ort.InferenceSession(str(int8)).run(None, {"input": x})[0]
    assert np.abs(a - b).max() < 0.1 * (np.abs(a).max() + 1e-3) + 0.05
