"""CenterFace (Xu et al. 2019, MIT) under onnxruntime, with an adaptive input size.

The network predicts, at stride 4, a face-centre heatmap, log box sizes, sub-pixel centre offsets and
5 landmarks relative to the box. Selfies and portraits need little resolution, so the first pass runs
small; a second, larger pass runs only when the first finds nothing or finds faces so small that
smaller ones may have been missed.

When ``shelly setup-models`` has derived the int8 model (``centerface-int8.onnx``, see
:mod:`inference.detect.quantize`), the passes that look for faces of a known, ordinary size (the first pass,
and a second pass sized from the faces the first found) use it; the search for tiny faces in a picture where
the first pass found none keeps the float model, whose recall on ~20 px faces int8 does not match.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnxruntime as ort

from inference.detect.base import Detection, nms
from inference.errors import ModelMissing
from inference.resize import fit_longest

STRIDE = 4
ALIGN = 32  # input sides must be multiples of the backbone's total stride
INPUT_NAME = "input.1"
OUTPUT_NAMES = ["537", "538", "539", "540"]  # heatmap, scale, offset, landmarks


def make_session(model_path: Path, threads: int = 1) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    # no memory arena: it would keep the largest pass's activations (~70 MB at 960 px) for the worker's life
    options.enable_cpu_mem_arena = False
    return ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])


class CenterFaceDetector:
    name = "centerface"

    def __init__(
        self,
        model_path: Path,
        *,
        int8_model: Path | None = None,
        threshold: float = 0.45,
        fast_threshold: float = 0.35,  # int8 heatmap scores run lower; 0.35 adds no false face on any test set
        first_size: int = 320,
        second_size: int = 960,
        small_face_px: float = 28.0,
        target_face_px: float = 32.0,
        nms_iou: float = 0.3,
        threads: int = 1,
    ) -> None:
        if not model_path.is_file():
            raise ModelMissing(
                f"face detector model {model_path} is missing: run `shelly setup-models` (or `make setup`) once"
            )
        self.session = make_session(model_path, threads)
        if int8_model is None:
            int8_model = model_path.with_name(f"{model_path.stem}-int8.onnx")
        self.fast_session = make_session(int8_model, threads) if int8_model.is_file() else self.session
        self.threshold = threshold
        self.fast_threshold = fast_threshold if self.fast_session is not self.session else threshold
        self.first_size = first_size
        self.second_size = second_size
        self.small_face_px = small_face_px
        self.target_face_px = target_face_px
        self.nms_iou = nms_iou

    def detect(self, bgr: np.ndarray, thorough: bool = True) -> list[Detection]:
        longest = max(bgr.shape[:2])
        first = min(self.first_size, _align_up(longest))
        boxes, marks, scores, factor = self.run_at(bgr, first, fast=True)
        second = min(self.second_size, _align_up(longest))
        sized = bool(len(scores))
        if sized:
            smallest = float(np.min(boxes[:, 2:4] - boxes[:, 0:2]) * factor)  # px at the first pass's scale
            if smallest >= self.small_face_px:
                return self._finish(boxes, marks, scores, bgr.shape[1], bgr.shape[0])
            # just enough resolution to bring the smallest face found to ``target_face_px``, not the maximum
            second = min(second, _align_up(round(first * self.target_face_px / max(smallest, 1.0))))
        elif not thorough:  # the float search for tiny faces is left to the caller's bigger copy
            return []
        if second > first:
            b2, m2, s2, _ = self.run_at(bgr, second, fast=sized)
            boxes, marks = np.concatenate([boxes, b2]), np.concatenate([marks, m2])
            scores = np.concatenate([scores, s2])
        return self._finish(boxes, marks, scores, bgr.shape[1], bgr.shape[0])

    def run_at(self, bgr: np.ndarray, longest_side: int, fast: bool = False
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """One pass with the image's longest side scaled to ``longest_side`` (``fast``: with the int8 model
        when installed). Returns boxes (x1,y1,x2,y2) and landmarks (n,5,2) in the coordinates of ``bgr``,
        scores, and the scale factor used."""
        resized, factor = fit_longest(bgr, longest_side)
        session = self.fast_session if fast else self.session
        heatmap, scale, offset, lms = session.run(OUTPUT_NAMES, {INPUT_NAME: to_blob(resized)})
        threshold = self.fast_threshold if fast else self.threshold
        boxes, marks, scores = self._decode(heatmap[0, 0], scale[0], offset[0], lms[0], threshold)
        return boxes / factor, marks / factor, scores, factor

    @staticmethod
    def _decode(
        heatmap: np.ndarray, scale: np.ndarray, offset: np.ndarray, lms: np.ndarray, threshold: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ys, xs = np.nonzero(heatmap > threshold)
        box_h = np.exp(scale[0, ys, xs]) * STRIDE
        box_w = np.exp(scale[1, ys, xs]) * STRIDE
        cy = (ys + offset[0, ys, xs] + 0.5) * STRIDE
        cx = (xs + offset[1, ys, xs] + 0.5) * STRIDE
        x1, y1 = cx - box_w / 2, cy - box_h / 2
        boxes = np.stack([x1, y1, x1 + box_w, y1 + box_h], axis=1).astype(np.float32)
        # landmark channels come as (y0, x0, y1, x1, ...) relative to the box's top-left, in box units
        lm_y = lms[0::2, ys, xs].T * box_h[:, None] + y1[:, None]
        lm_x = lms[1::2, ys, xs].T * box_w[:, None] + x1[:, None]
        marks = np.stack([lm_x, lm_y], axis=2).astype(np.float32)
        return boxes, marks, heatmap[ys, xs].astype(np.float32)

    def _finish(
        self, boxes: np.ndarray, marks: np.ndarray, scores: np.ndarray, width: int, height: int
    ) -> list[Detection]:
        if len(scores) == 0:
            return []
        detections = []
        for i in nms(boxes, scores, self.nms_iou):
            x1, y1 = max(0.0, float(boxes[i, 0])), max(0.0, float(boxes[i, 1]))
            x2, y2 = min(float(width), float(boxes[i, 2])), min(float(height), float(boxes[i, 3]))
            if x2 - x1 < 2 or y2 - y1 < 2:
                continue
            detections.append(Detection(box=(x1, y1, x2 - x1, y2 - y1), landmarks=marks[i], score=float(scores[i])))
        return detections


def to_blob(bgr: np.ndarray) -> np.ndarray:
    """The network's input: RGB planes, 0..255, zero-padded to multiples of ``ALIGN``."""
    nh, nw = bgr.shape[:2]
    blob = np.zeros((1, 3, _align_up(nh), _align_up(nw)), np.float32)
    blob[0, :, :nh, :nw] = bgr[:, :, ::-1].transpose(2, 0, 1)  # BGR -> RGB planes
    return blob


def _align_up(value: int) -> int:
    return max(ALIGN, math.ceil(value / ALIGN) * ALIGN)
