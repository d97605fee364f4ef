"""The canonical emotion labels, in the order of the shipped FER+ model's outputs.

One place for the label set: training (``inference/training/ferplus.py``), the advice package and the bot's
charts all use this tuple. Display names per language live in the advice corpus (``advice.emotion_names``).
"""

from __future__ import annotations

FERPLUS_LABELS: tuple[str, ...] = (
    "neutral",
    "happiness",
    "surprise",
    "sadness",
    "anger",
    "disgust",
    "fear",
    "contempt",
)
"""FER+ class names in model output order (FER+ paper, Barsoum et al. 2016)."""
