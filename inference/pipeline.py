"""bytes -> :class:`inference.types.Analysis`: decode, detect, align + classify (one batch), annotate."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import cv2
import numpy as np

from inference.annotate import annotate as draw_annotations
from inference.classify import EmotionClassifier
from inference.decode import DEFAULT_MAX_DECODED_BYTES, DEFAULT_WORKING_SIZE, decode_image
from inference.detect import Detection, FaceDetector, create_detector
from inference.resize import shrink_to
from inference.types import Analysis, Face

if TYPE_CHECKING:
    from bot.settings import Settings


@dataclass(frozen=True)
class PipelineConfig:
    """Everything a worker needs to build a pipeline; picklable, so process workers can receive it."""

    detector: Literal["centerface", "yunet"]
    detector_model: Path
    emotion_model: Path
    max_image_bytes: int = 20 * 1024 * 1024
    max_image_pixels: int = 50_000_000
    working_size: int = DEFAULT_WORKING_SIZE
    max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES  # decode budget per image (pixels × bytes a pixel)
    max_faces: int = 500  # a safety cap far above any real crowd photo; never a silent cut in practice
    try_rotations: bool = True  # when nothing is found upright, look at the photo turned 90/270/180°

    @classmethod
    def from_settings(cls, settings: Settings) -> PipelineConfig:
        return cls(
            detector=settings.detector,
            detector_model=settings.detector_model,
            emotion_model=settings.emotion_model,
            max_image_bytes=settings.max_image_bytes,
            max_image_pixels=settings.max_image_pixels,
        )


# (cv2 rotation applied to the upright image, maps a point of the rotated image back to the upright one)
_ROTATIONS: list[tuple[int, Callable[[np.ndarray, int, int], np.ndarray]]] = [
    (cv2.ROTATE_90_CLOCKWISE, lambda p, w, h: np.stack([p[..., 1], h - 1 - p[..., 0]], -1)),
    (cv2.ROTATE_90_COUNTERCLOCKWISE, lambda p, w, h: np.stack([w - 1 - p[..., 1], p[..., 0]], -1)),
    (cv2.ROTATE_180, lambda p, w, h: np.stack([w - 1 - p[..., 0], h - 1 - p[..., 1]], -1)),
]


ROTATION_SIDE = 320


class Pipeline:
    def __init__(self, detector: FaceDetector, classifier: EmotionClassifier, config: PipelineConfig) -> None:
        self.detector = detector
        self.classifier = classifier
        self.config = config

    @classmethod
    def from_config(cls, config: PipelineConfig) -> Pipeline:
        return cls(create_detector(config.detector, config.detector_model), EmotionClassifier(config.emotion_model),
                   config)

    def warm_up(self) -> None:
        """One small run so the first real photo does not pay for lazy initialisation."""
        dummy = np.full((256, 256, 3), 128, np.uint8)
        self.detector.detect(dummy)
        self.classifier.classify(dummy, [np.array([[100, 100], [150, 100], [125, 130], [105, 160], [145, 160]], float)])

    def find_faces(self, bgr: np.ndarray, thorough: bool = True) -> list[Detection]:
        detections = self.detector.detect(bgr, thorough=thorough)
        if detections or not self.config.try_rotations or not thorough:
            return detections
        # sideways photos without an EXIF tag: selfie-sized faces, so a small image is enough and cheap
        small, factor = shrink_to(bgr, ROTATION_SIDE)
        sh, sw = small.shape[:2]
        for code, back in _ROTATIONS:
            found = self.detector.detect(cv2.rotate(small, code))
            if found:
                return [_scaled(_unrotate(d, back, sw, sh), 1 / factor) for d in found]
        return []

    def analyze(self, data: bytes, annotate: bool = True, label_names: Mapping[str, str] | None = None,
                thorough: bool = True) -> Analysis:
        """``label_names`` maps the model's labels to the words drawn on the picture (default: the labels); a photo
        without faces gets no picture.

        ``thorough=False`` skips the searches that only pay when the first detector pass found nothing: the
        search for tiny faces and the sideways rotations. For a first look at a reduced copy of a photo whose
        bigger copy is read next if no face was found (the bot's 800-px-first policy): a photo without faces then
        costs one cheap look here instead of a full search at both sizes.

        A big picture (see :func:`inference.decode.decode_image`) is analysed alone among the pool's workers: its
        decode peak and the other workers' analyses never add up."""
        with contextlib.ExitStack() as big_picture:
            return self._analyze(data, annotate, label_names, thorough, big_picture)

    def _analyze(self, data: bytes, annotate: bool, label_names: Mapping[str, str] | None, thorough: bool,
                 big_picture: contextlib.ExitStack) -> Analysis:
        timings: dict[str, float] = {}
        start = clock = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            timings[name] = round((now - clock) * 1000, 2)
            clock = now

        cfg = self.config
        image = decode_image(data, cfg.max_image_bytes, cfg.max_image_pixels, cfg.working_size, cfg.max_decoded_bytes,
                             big_picture)
        lap("decode")
        detections = self.find_faces(image.bgr, thorough)
        detections = sorted(detections, key=lambda d: -d.score)[: cfg.max_faces]
        detections.sort(key=lambda d: d.box[0] + d.box[2] / 2)
        lap("detect")
        emotions = self.classifier.classify(image.bgr, [d.landmarks for d in detections])
        lap("classify")
        sx, sy = image.scale
        faces = tuple(
            Face(
                index=i,
                box=(d.box[0] * sx, d.box[1] * sy, d.box[2] * sx, d.box[3] * sy),
                landmarks=tuple((float(x) * sx, float(y) * sy) for x, y in d.landmarks),
                detection_score=d.score,
                emotions=probs,
            )
            for i, (d, probs) in enumerate(zip(detections, emotions, strict=True), start=1)
        )
        annotated = None
        if annotate and faces:  # nobody to draw: nobody is shown a picture without faces
            annotated = draw_annotations(image.bgr, faces, image.scale, label_names)
            lap("annotate")
        timings["total"] = round((time.perf_counter() - start) * 1000, 2)
        return Analysis(faces=faces, image_size=image.original_size, model_version=self.classifier.model_version,
                        annotated_jpeg=annotated, timings_ms=timings)


def _unrotate(det: Detection, back: Callable[[np.ndarray, int, int], np.ndarray], w: int, h: int) -> Detection:
    x, y, bw, bh = det.box
    corners = back(np.array([[x, y], [x + bw, y], [x, y + bh], [x + bw, y + bh]], np.float64), w, h)
    (x1, y1), (x2, y2) = corners.min(axis=0), corners.max(axis=0)
    marks = back(np.asarray(det.landmarks, np.float64), w, h).astype(np.float32)
    return Detection(box=(float(x1), float(y1), float(x2 - x1), float(y2 - y1)), landmarks=marks, score=det.score)


def _scaled(det: Detection, k: float) -> Detection:
    x, y, bw, bh = det.box
    return Detection(box=(x * k, y * k, bw * k, bh * k), landmarks=(det.landmarks * k).astype(np.float32),
                     score=det.score)
