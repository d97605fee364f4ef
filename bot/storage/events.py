"""Turning what the bot saw into coarse, storable values."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from bot.storage.types import CHAT_TYPES

BUCKETS = 10  # confidence is stored as a decile: bucket b means b/10 <= confidence < (b+1)/10 (1.0 -> 9)
MAX_EMOTION_LEN = 32
MAX_MODEL_VERSION_LEN = 64


def confidence_bucket(confidence: float) -> int:
    """Decile 0..9 of a probability; NaN and out-of-range values are clamped."""
    if math.isnan(confidence):
        return 0
    return min(BUCKETS - 1, max(0, math.floor(confidence * BUCKETS)))


def to_utc_naive(when: datetime) -> datetime:
    """Naive UTC (the database columns hold naive UTC); naive input is taken to be UTC already."""
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when


def floor_hour(when: datetime) -> datetime:
    return to_utc_naive(when).replace(minute=0, second=0, microsecond=0)


def normalise_chat_type(chat_type: str) -> str:
    return chat_type if chat_type in CHAT_TYPES else "other"


def normalise_emotion(emotion: str) -> str:
    return emotion.strip().lower()[:MAX_EMOTION_LEN] or "unknown"


def normalise_model_version(version: str) -> str:
    return version.strip()[:MAX_MODEL_VERSION_LEN] or "unknown"
