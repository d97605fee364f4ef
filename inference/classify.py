"""The emotion classifier: an ONNX model that describes itself in its metadata (docs/CONTRACTS.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from inference.align import CropSpec, crop_face
from inference.errors import ModelMissing


@dataclass(frozen=True)
class ModelInfo:
    labels: tuple[str, ...]
    input_size: int
    channels: int
    mean: np.ndarray  # broadcastable to (C, 1, 1)
    std: np.ndarray
    crop: CropSpec
    output: str  # "logits" or "probabilities"
    model_version: str
    temperature: float = 1.0  # probabilities = softmax(logits / temperature) (calibration, metadata)

    @classmethod
    def from_metadata(cls, props: dict[str, str], source: str) -> ModelInfo:
        try:
            labels = tuple(str(x) for x in json.loads(props["labels"]))
            channels = int(props.get("channels", "1"))
            return cls(
                labels=labels,
                input_size=int(props["input_size"]),
                channels=channels,
                mean=_per_channel(props.get("norm_mean", "0"), channels),
                std=_per_channel(props.get("norm_std", "1"), channels),
                crop=CropSpec.from_json(props["crop"]),
                output=props.get("output", "logits"),
                model_version=props.get("model_version", Path(source).stem),
                temperature=float(props.get("temperature", "1")),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ModelMissing(f"emotion model {source} lacks valid metadata ({exc}); re-export it") from exc


def _per_channel(text: str, channels: int) -> np.ndarray:
    value = json.loads(text)
    arr = np.asarray(value if isinstance(value, list) else [value] * channels, dtype=np.float32)
    return arr.reshape(-1, 1, 1)


class EmotionClassifier:
    def __init__(self, model_path: Path, threads: int = 1) -> None:
        if not model_path.is_file():
            raise ModelMissing(
                f"emotion model {model_path} is missing: train and export it (`shelly train`), "
                "or point SHELLY_EMOTION_MODEL at one; the face detector comes from `shelly setup-models`"
            )
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        # the metadata from onnxruntime itself: importing ``onnx`` would cost every worker ~20 MB
        self.info = ModelInfo.from_metadata(dict(self.session.get_modelmeta().custom_metadata_map), str(model_path))
        self.input_name = self.session.get_inputs()[0].name

    @property
    def model_version(self) -> str:
        return self.info.model_version

    def crops(self, bgr: np.ndarray, landmarks: Sequence[np.ndarray]) -> np.ndarray:
        """Float32 batch [N, C, S, S], normalised as the model expects."""
        info = self.info
        batch = np.empty((len(landmarks), info.channels, info.input_size, info.input_size), np.float32)
        if info.channels == 1 and bgr.ndim == 3 and landmarks:  # once per photo, not once per face
            bgr = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        for i, marks in enumerate(landmarks):
            crop = crop_face(bgr, marks, info.crop, info.input_size, info.channels)
            planes = crop[None] if crop.ndim == 2 else crop.transpose(2, 0, 1)
            batch[i] = (planes.astype(np.float32) / 255.0 - info.mean) / info.std
        return batch

    def classify(self, bgr: np.ndarray, landmarks: Sequence[np.ndarray]) -> list[dict[str, float]]:
        """One distribution per face, all faces in one batched run."""
        if not landmarks:
            return []
        (scores,) = self.session.run(None, {self.input_name: self.crops(bgr, landmarks)})[:1]
        info = self.info
        probs = _softmax(scores / info.temperature) if info.output == "logits" else np.asarray(scores, np.float64)
        return [{label: float(p) for label, p in zip(self.info.labels, row, strict=True)} for row in probs]


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
