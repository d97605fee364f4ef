"""Plain values that cross the storage boundary (no SQLAlchemy, no Telegram)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ChatMode = Literal["off", "on_request", "every_photo"]
CHAT_MODES: tuple[str, ...] = get_args(ChatMode)
CHAT_TYPES: tuple[str, ...] = ("private", "group", "supergroup", "channel")
MAX_LANGUAGE_LEN = 16
# group admin controls (bot/handlers/group_controls.py)
AskPolicy = Literal["everyone", "admins"]
ASK_POLICIES: tuple[str, ...] = get_args(AskPolicy)
MAX_TIME_ZONE_LEN = 40
MAX_AUTO_DELETE_MIN = 47 * 60  # Telegram lets a bot delete a message for 48 hours
MAX_TOPICS = 50
_UTC_OFFSET = re.compile(r"^UTC([+-])(\d{1,2})(?::([0-5]\d))?$")


def parse_time_zone(name: str) -> tzinfo:
    """An IANA zone ("Europe/Berlin") or a fixed offset ("UTC", "UTC+3", "UTC-05:30"); ``ValueError`` otherwise."""
    match = _UTC_OFFSET.match(name)
    if match:
        sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
        if hours > 14 or (hours == 14 and minutes):
            raise ValueError(f"UTC offset out of range: {name!r}")
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if sign == "-" else delta)
    if name == "UTC":
        return UTC
    if not name or len(name) > MAX_TIME_ZONE_LEN or ".." in name or name.startswith("/"):
        raise ValueError(f"not a time zone: {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"not a time zone: {name!r}") from None


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """Per-chat behaviour, editable by chat admins. Defaults match ``Settings`` defaults."""

    mode: ChatMode = "on_request"
    annotate: bool = True
    user_cooldown_s: float = 10.0
    chat_cooldown_s: float = 3.0
    language: str | None = None  # None: use each user's Telegram language
    # --- group admin controls ---
    ask: AskPolicy = "everyone"  # who may ask with /mood
    quiet_start: int | None = None  # quiet hours [start, end) in time_zone, whole hours; None: no quiet hours
    quiet_end: int | None = None
    time_zone: str = "UTC"  # IANA name or "UTC+3" (see parse_time_zone)
    auto_delete_min: int = 0  # delete Shelly's own messages after this many minutes; 0: keep them
    topics: tuple[int, ...] = ()  # forum topics she answers in (0 = General); empty: all
    pulse: bool = False  # weekly mood pulse (bot/pulse.py)

    def validate(self) -> None:
        """Raise ``ValueError`` on values the database should never hold."""
        if self.mode not in CHAT_MODES:
            raise ValueError(f"mode must be one of {CHAT_MODES}, not {self.mode!r}")
        if self.user_cooldown_s < 0 or self.chat_cooldown_s < 0:
            raise ValueError("cooldowns must not be negative")
        if self.language is not None and not (0 < len(self.language) <= MAX_LANGUAGE_LEN):
            raise ValueError(f"language must be 1..{MAX_LANGUAGE_LEN} characters")
        if self.ask not in ASK_POLICIES:
            raise ValueError(f"ask must be one of {ASK_POLICIES}, not {self.ask!r}")
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("quiet hours need both a start and an end")
        if self.quiet_start is not None and self.quiet_end is not None and (
                not (0 <= self.quiet_start <= 23 and 0 <= self.quiet_end <= 23) or self.quiet_start == self.quiet_end):
            raise ValueError("quiet hours must be two different hours 0..23")
        parse_time_zone(self.time_zone)
        if not 0 <= self.auto_delete_min <= MAX_AUTO_DELETE_MIN:
            raise ValueError(f"auto_delete_min must be 0..{MAX_AUTO_DELETE_MIN}")
        if len(self.topics) > MAX_TOPICS or any(t < 0 for t in self.topics) or len(set(self.topics)) != len(
                self.topics):
            raise ValueError(f"topics: at most {MAX_TOPICS} distinct non-negative ids")

    @property
    def tz(self) -> tzinfo:
        """The chat's time zone; UTC if the stored name is no longer known (e.g. older tzdata on this host)."""
        try:
            return parse_time_zone(self.time_zone)
        except ValueError:
            return UTC

    def topics_text(self) -> str:
        """``topics`` as stored: comma-separated ids."""
        return ",".join(str(t) for t in self.topics)

    @staticmethod
    def parse_topics(stored: str | None) -> tuple[int, ...]:
        return tuple(int(t) for t in (stored or "").split(",") if t.strip().isdigit())


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
