"""Face detectors behind one small interface (:class:`FaceDetector`); CenterFace is the default."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from inference.detect.base import Detection, FaceDetector, nms

__all__ = ["Detection", "FaceDetector", "create_detector", "nms"]


def create_detector(kind: Literal["centerface", "yunet"], model_path: Path) -> FaceDetector:
    if kind == "yunet":
        from inference.detect.yunet import YuNetDetector

        return YuNetDetector(model_path)
    from inference.detect.centerface import CenterFaceDetector

    return CenterFaceDetector(model_path)
