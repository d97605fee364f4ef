"""CenterFace (Xu et al. 2019, MIT) under onnxruntime, with an adaptive input size.

The network predicts, at stride 4, a face-centre heatmap, log box sizes, sub-pixel centre offsets and
5 landmarks relative to the box. Selfies and portraits need little resolution, so the first pass runs
small; a second, larger pass runs only when the first finds nothing or finds faces so small that
smaller ones may have been missed.

When ``shelly setup-models`` has derived the int8 model (``centerface-int8.onnx``, see
:mod:`inference.detect.quantize`), every full-picture pass uses it. Its heatmap runs lower than the float
model's on tiny faces, so the second, larger pass is a cascade: the int8 pass at a low threshold proposes,
candidates at the int8 threshold are kept, and each weaker one is confirmed or dropped by the float model on a
small window around it. The float model's recall at a fraction of a float pass over the whole picture, for the
search for tiny faces (the first pass found none) and for faces much smaller than the smallest the first pass
found (a plain int8 second pass missed some of those: ``python -m benchmarks.detector_margins``).
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from inference.detect.base import Detection, nms
from inference.errors import ModelMissing
from inference.resize import fit_longest

STRIDE = 4
ALIGN = 32  # input sides must be multiples of the backbone's total stride
INPUT_NAME = "input.1"
OUTPUT_NAMES = ["537", "538", "539", "540"]  # heatmap, scale, offset, landmarks
CONFIRM_FACE_PX = 32.0  # the float check of a weak candidate sees it this tall (float is sure of faces this size)
CONFIRM_CONTEXT = 4.0  # ... in a window this many times its size (128 px square once enlarged)


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
        propose_threshold: float = 0.15,  # int8 candidates of the tiny-face search that the float model checks
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
        self.propose_threshold = propose_threshold
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
            faces = boxes[nms(boxes, scores, self.nms_iou)]  # not the raw heatmap hits: weaker, smaller boxes
            smallest = float(np.min(faces[:, 2:4] - faces[:, 0:2]) * factor)  # px at the first pass's scale
            if smallest >= self.small_face_px:
                return self._finish(boxes, marks, scores, bgr.shape[1], bgr.shape[0])
            # just enough resolution to bring the smallest face found to ``target_face_px``, not the maximum
            second = min(second, _align_up(round(first * self.target_face_px / max(smallest, 1.0))))
        elif not thorough:  # the search for tiny faces is left to the caller's bigger copy
            return []
        if second > first:
            b2, m2, s2, _ = self.search_tiny(bgr, second)
            boxes, marks = np.concatenate([boxes, b2]), np.concatenate([marks, m2])
            scores = np.concatenate([scores, s2])
        return self._finish(boxes, marks, scores, bgr.shape[1], bgr.shape[0])

    def run_at(self, bgr: np.ndarray, longest_side: int, fast: bool = False, threshold: float | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """One pass with the image's longest side scaled to ``longest_side`` (``fast``: with the int8 model
        when installed). Returns boxes (x1,y1,x2,y2) and landmarks (n,5,2) in the coordinates of ``bgr``,
        scores, and the scale factor used."""
        resized, factor = fit_longest(bgr, longest_side)
        if threshold is None:
            threshold = self.fast_threshold if fast else self.threshold
        boxes, marks, scores = self._run(resized, fast, threshold)
        return boxes / factor, marks / factor, scores, factor

    def search_tiny(self, bgr: np.ndarray, longest_side: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """The search for faces too small for the first pass, as :meth:`run_at` returns it: an int8 pass proposes
        at ``propose_threshold``; a candidate under the int8 threshold is kept only if the float model, shown a
        small window around it enlarged so that the candidate is ``CONFIRM_FACE_PX`` tall, finds a face centred in
        it (the whole picture in float costs 2-3× the int8 pass)."""
        if self.fast_session is self.session:
            return self.run_at(bgr, longest_side)
        boxes, marks, scores, factor = self.run_at(bgr, longest_side, fast=True, threshold=self.propose_threshold)
        if len(scores):
            keep = nms(boxes, scores, self.nms_iou)
            boxes, marks, scores = boxes[keep], marks[keep], scores[keep]
        sure = scores >= self.fast_threshold
        found = [(boxes[sure], marks[sure], scores[sure])]
        found += [self._confirm(bgr, box) for box in boxes[~sure]]
        boxes, marks, scores = (np.concatenate(part) for part in zip(*found, strict=True))
        return boxes, marks, scores, factor

    def _confirm(self, bgr: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Float detections centred inside ``box`` (x1, y1, x2, y2 in ``bgr``), seen at a face size the float
        model is sure of."""
        size = float(max(box[2:4] - box[0:2]))
        half = CONFIRM_CONTEXT * size / 2
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        h, w = bgr.shape[:2]
        left, top = max(0, int(cx - half)), max(0, int(cy - half))
        window = bgr[top:min(h, int(cy + half) + 1), left:min(w, int(cx + half) + 1)]
        k = CONFIRM_FACE_PX / max(size, 1.0)
        interpolation = cv2.INTER_LINEAR if k > 1 else cv2.INTER_AREA
        seen = cv2.resize(window, None, fx=k, fy=k, interpolation=interpolation)
        boxes, marks, scores = self._run(seen, False, self.threshold)
        offset = np.array([left, top], np.float32)
        boxes, marks = boxes / k + np.tile(offset, 2), marks / k + offset
        centres = (boxes[:, 0:2] + boxes[:, 2:4]) / 2
        inside = np.all((centres >= box[0:2]) & (centres <= box[2:4]), axis=1)
        return boxes[inside], marks[inside], scores[inside]

    def _run(self, image: np.ndarray, fast: bool, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        session = self.fast_session if fast else self.session
        heatmap, scale, offset, lms = session.run(OUTPUT_NAMES, {INPUT_NAME: to_blob(image)})
        return self._decode(heatmap[0, 0], scale[0], offset[0], lms[0], threshold)

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
