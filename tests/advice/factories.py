"""Build inference values by hand: no model needed."""

from __future__ import annotations

from inference.labels import FERPLUS_LABELS
from inference.types import Analysis, Face


def face(index: int, **emotions: float) -> Face:
    """A face at a fake position; ``emotions`` is the label -> probability table."""
    return Face(
        index=index,
        box=(10.0 * index, 10.0, 50.0, 50.0),
        landmarks=((0.0, 0.0),) * 5,
        detection_score=0.95,
        emotions=dict(emotions),
    )


def analysis(*faces: Face) -> Analysis:
    return Analysis(faces=tuple(faces), image_size=(640, 480), model_version="test")


def spread(emotion: str, confidence: float) -> dict[str, float]:
    """``emotion`` at ``confidence``, the rest split evenly over the other FER+ labels: it stays on top, and no
    runner-up comes within ``CLOSE_CALL_MARGIN`` for confidences from 0.3 up."""
    others = [e for e in FERPLUS_LABELS if e != emotion]
    return {emotion: confidence, **{o: (1.0 - confidence) / len(others) for o in others}}


def single(emotion: str, confidence: float) -> Analysis:
    """One face whose top emotion is ``emotion`` at ``confidence``."""
    return analysis(face(1, **spread(emotion, confidence)))
