"""FER2013 pixels with FER+ crowd votes: splits, soft training targets and majority labels.

The label protocol follows the FER+ paper (Barsoum et al. 2016): a class with a single
vote is an outlier and is removed first; the test label is the class holding more than
half of the remaining votes, and images whose result is unknown / not-a-face are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inference.labels import FERPLUS_LABELS as FERPLUS_LABELS  # re-exported: training code imports it here

# FER2013 label index -> index into FERPLUS_LABELS (contempt has no FER2013 counterpart).
FER2013_TO_FERPLUS: dict[int, int] = {0: 4, 1: 5, 2: 6, 3: 1, 4: 3, 5: 2, 6: 0}
FER2013_LABELS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
SPLITS = {"train": 0, "val": 1, "test": 2}
UNKNOWN, NOT_FACE = 8, 9


@dataclass(frozen=True)
class FaceSet:
    """Grayscale faces of one split with their FER+ targets."""

    pixels: np.ndarray  # uint8 (N, 48, 48)
    soft: np.ndarray  # float32 (N, 8) vote distribution over the 8 emotions
    majority: np.ndarray  # int64 (N,) FER+ majority label, -1 where there is none
    fer2013: np.ndarray  # int64 (N,) original FER2013 label
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # row indices into the npz


def clean_votes(votes: np.ndarray) -> np.ndarray:
    """Remove single-vote outliers, as the FER+ reference code does."""
    cleaned = votes.astype(np.int64).copy()
    cleaned[cleaned == 1] = 0
    return cleaned


def majority_labels(votes: np.ndarray) -> np.ndarray:
    """FER+ majority label per row, or -1 (no majority, unknown, not a face, unresolved)."""
    cleaned = clean_votes(votes)
    total = cleaned.sum(axis=1)
    top = cleaned.argmax(axis=1)
    top_votes = cleaned.max(axis=1)
    ok = (total > 0) & (top_votes * 2 > total) & (top < UNKNOWN)
    return np.where(ok, top, -1)


def soft_targets(votes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalised emotion-vote distribution and a keep mask (dropped: unknown/NF on top, no votes)."""
    cleaned = clean_votes(votes)
    emotions = cleaned[:, :UNKNOWN].astype(np.float32)
    keep = (emotions.sum(axis=1) > 0) & (cleaned.argmax(axis=1) < UNKNOWN)
    dist = emotions / np.maximum(emotions.sum(axis=1, keepdims=True), 1.0)
    return dist, keep


def load_split(npz_path: Path, split: str, *, training_targets: bool = False) -> FaceSet:
    """Load one split. Training keeps every row with a usable vote distribution; evaluation keeps majority rows."""
    data = np.load(npz_path)
    rows = data["usage"] == SPLITS[split]
    votes = data["ferplus_votes"][rows]
    dist, keep_soft = soft_targets(votes)
    majority = majority_labels(votes)
    keep = keep_soft if training_targets else majority >= 0
    return FaceSet(
        pixels=data["pixels"][rows][keep],
        soft=dist[keep],
        majority=majority[keep].astype(np.int64),
        fer2013=data["emotion"][rows][keep].astype(np.int64),
        rows=np.nonzero(rows)[0][keep],
    )
