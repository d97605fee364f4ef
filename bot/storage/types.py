"""Plain values that cross the storage boundary (no SQLAlchemy, no Telegram)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, get_args

ChatMode = Literal["off", "on_request", "every_photo"]
CHAT_MODES: tuple[str, ...] = get_args(ChatMode)
CHAT_TYPES: tuple[str, ...] = ("private", "group", "supergroup", "channel")
MAX_LANGUAGE_LEN = 16


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """Per-chat behaviour, editable by chat admins. Defaults match ``Settings`` defaults."""

    mode: ChatMode = "on_request"
    annotate: bool = True
    user_cooldown_s: float = 10.0
    chat_cooldown_s: float = 3.0
    language: str | None = None  # None: use each user's Telegram language

    def validate(self) -> None:
        """Raise ``ValueError`` on values the database should never hold."""
        if self.mode not in CHAT_MODES:
            raise ValueError(f"mode must be one of {CHAT_MODES}, not {self.mode!r}")
        if self.user_cooldown_s < 0 or self.chat_cooldown_s < 0:
            raise ValueError("cooldowns must not be negative")
        if self.language is not None and not (0 < len(self.language) <= MAX_LANGUAGE_LEN):
            raise ValueError(f"language must be 1..{MAX_LANGUAGE_LEN} characters")


@dataclass(slots=True)
class MoodSummary:
    """Emotion counts (faces, not photos) over a window, plus a per-day trend (UTC days, oldest first)."""

    counts: dict[str, int]
    total: int  # faces
    contributors: int  # distinct pseudonymous users behind the counts
    trend: list[tuple[date, dict[str, int]]] = field(default_factory=list)
    photos: int = 0  # distinct photos (update keys) behind the counts


@dataclass(frozen=True, slots=True)
class MoodEvent:
    """One analysed face as it is stored: pseudonyms and coarse values only (see ``bot.storage.events``)."""

    update_key: str
    face_index: int
    user_key: str
    chat_key: str
    chat_type: str
    emotion: str
    confidence_bucket: int
    face_count: int
    model_version: str
    hour: datetime  # naive UTC, rounded down to the hour

    def as_row(self) -> dict[str, object]:
        return {
            "update_key": self.update_key,
            "face_index": self.face_index,
            "user_key": self.user_key,
            "chat_key": self.chat_key,
            "chat_type": self.chat_type,
            "emotion": self.emotion,
            "confidence_bucket": self.confidence_bucket,
            "face_count": self.face_count,
            "model_version": self.model_version,
            "hour": self.hour,
        }
