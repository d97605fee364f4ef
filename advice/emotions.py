"""Emotion labels: the shipped model's set, common aliases from other datasets, and their valence."""

from __future__ import annotations

import re

from inference.labels import FERPLUS_LABELS

KNOWN_EMOTIONS: tuple[str, ...] = FERPLUS_LABELS
"""Labels of the shipped FER+ model; each has its own advice pool."""

NEGATIVE_EMOTIONS: frozenset[str] = frozenset({"sadness", "anger", "disgust", "fear", "contempt"})
"""Moods that are never named per person when others can read the reply."""

GENERIC = "generic"
"""Pool used for labels Shelly has no advice for (custom models)."""

ALIASES: dict[str, str] = {
    "happy": "happiness",
    "joy": "happiness",
    "sad": "sadness",
    "angry": "anger",
    "surprised": "surprise",
    "fearful": "fear",
    "scared": "fear",
    "disgusted": "disgust",
    "contemptuous": "contempt",
    "calm": "neutral",
}
"""Labels other datasets and custom models use for the known emotions."""

_MAX_LABEL_CHARS = 30


def canonical(label: str) -> str:
    """Map a model label to a known emotion (``"happy"`` → ``"happiness"``); unknown labels come back tidied."""
    tidy = re.sub(r"[\s_\-]+", " ", label).strip().lower()
    if tidy in KNOWN_EMOTIONS:
        return tidy
    return ALIASES.get(tidy, tidy[:_MAX_LABEL_CHARS] or "?")


def is_known(emotion: str) -> bool:
    """Whether ``emotion`` (already canonical) has its own advice pool."""
    return emotion in KNOWN_EMOTIONS
