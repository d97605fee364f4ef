"""YuNet (OpenCV's cv2.FaceDetectorYN) with a user-provided model file; the optional second detector."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from inference.detect.base import Detection
from inference.errors import ModelMissing
from inference.resize import shrink_to


class YuNetDetector:
    name = "yunet"

    def __init__(self, model_path: Path, *, threshold: float = 0.6, nms_iou: float = 0.3, max_side: int = 0) -> None:
        if not model_path.is_file():
            raise ModelMissing(
                f"YuNet model {model_path} is missing: set SHELLY_DETECTOR_MODEL to your "
                "face_detection_yunet_2023mar.onnx, or use the default detector (`shelly setup-models`)"
            )
        self.detector = cv2.FaceDetectorYN.create(str(model_path), "", (320, 320), threshold, nms_iou, 5000)
        self.max_side = max_side  # 0: run at the image's own size

    def detect(self, bgr: np.ndarray, thorough: bool = True) -> list[Detection]:  # one pass either way
        factor = 1.0
        if self.max_side:
            bgr, factor = shrink_to(bgr, self.max_side)
        self.detector.setInputSize((bgr.shape[1], bgr.shape[0]))
        _, rows = self.detector.detect(bgr)
        if rows is None:
            return []
        detections = []
        for row in rows:
            x, y, bw, bh = (float(v) / factor for v in row[:4])
            marks = (row[4:14].reshape(5, 2) / factor).astype(np.float32)
            detections.append(Detection(box=(x, y, bw, bh), landmarks=marks, score=float(row[14])))
        return detections
