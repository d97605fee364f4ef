"""Typed values that cross package boundaries: what the vision pipeline returns."""

from __future__ import annotations

from dataclasses import dataclass, field

Point = tuple[float, float]


@dataclass(frozen=True)
class Face:
    """One detected face, in the coordinates of the (EXIF-oriented) original image."""

    index: int  # 1-based, left to right; the number drawn on the annotated picture
    box: tuple[float, float, float, float]  # x, y, width, height in original pixels
    landmarks: tuple[Point, ...]  # 5 points: right eye, left eye, nose tip, right mouth corner, left mouth corner
    detection_score: float
    emotions: dict[str, float]  # label -> probability, in the model's label order; sums to ~1

    @property
    def top_emotion(self) -> str:
        return max(self.emotions, key=self.emotions.__getitem__)

    @property
    def confidence(self) -> float:
        return self.emotions[self.top_emotion]


@dataclass(frozen=True)
class Analysis:
    """Everything Shelly saw in one photo."""

    faces: tuple[Face, ...]
    image_size: tuple[int, int]  # width, height after EXIF orientation
    model_version: str
    annotated_jpeg: bytes | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
