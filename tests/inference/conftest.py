"""Fixtures for the vision-core tests: the installed CenterFace model and a tiny generated emotion model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from bot.settings import MODELS_DIR
from inference.labels import FERPLUS_LABELS as CANONICAL_LABELS
from inference.pipeline import Pipeline, PipelineConfig

FERPLUS_LABELS = list(CANONICAL_LABELS)
CENTERFACE = MODELS_DIR / "centerface.onnx"


def make_emotion_model(
    path: Path,
    *,
    labels: list[str] | None = None,
    size: int = 48,
    channels: int = 1,
    output: str = "logits",
    seed: int = 0,
) -> Path:
    """A linear ONNX 'classifier' with the metadata contract of docs/CONTRACTS.md (dynamic batch)."""
    labels = labels or FERPLUS_LABELS
    rng = np.random.default_rng(seed)
    features = channels * size * size
    weight = numpy_helper.from_array(rng.normal(0, 0.01, (features, len(labels))).astype(np.float32), "W")
    bias = numpy_helper.from_array(np.zeros(len(labels), np.float32), "B")
    nodes = [
        helper.make_node("Flatten", ["input"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "W"], ["mm"]),
        helper.make_node("Add", ["mm", "B"], ["logits" if output == "logits" else "z"]),
    ]
    if output == "probabilities":
        nodes.append(helper.make_node("Softmax", ["z"], ["logits"], axis=1))
    graph = helper.make_graph(
        nodes, "tiny_emotion",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", channels, size, size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", len(labels)])],
        [weight, bias],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    meta = {
        "labels": json.dumps(labels), "input_size": str(size), "channels": str(channels),
        "norm_mean": "0.5", "norm_std": "0.25", "crop": json.dumps({"scale": 2.4, "shift_y": 0.3}),
        "output": output, "model_version": "tiny-test-1", "training_data": "none", "metrics": "{}", "flip_tta": "0",
    }
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    return path


@pytest.fixture(scope="session")
def emotion_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_emotion_model(tmp_path_factory.mktemp("models") / "tiny-emotion.onnx")


@pytest.fixture(scope="session")
def centerface_model() -> Path:
    if not CENTERFACE.is_file():
        pytest.skip("models/centerface.onnx is not installed: run `shelly setup-models`")
    return CENTERFACE


@pytest.fixture(scope="session")
def pipeline_config(centerface_model: Path, emotion_model: Path) -> PipelineConfig:
    return PipelineConfig(detector="centerface", detector_model=centerface_model, emotion_model=emotion_model)


@pytest.fixture(scope="session")
def pipeline(pipeline_config: PipelineConfig) -> Pipeline:
    return Pipeline.from_config(pipeline_config)
