"""The group admin controls, applied to a photo request: who may ask, quiet hours, forum topics.

Pure rules (no Telegram, no database): the photo service's gate asks ``refusal(...)`` after the chat-mode
check and before any work, and either goes on (``None``) or stops with a ``Refusal`` (which may carry a short
message for the person who asked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.storage.types import ChatSettings

GENERAL_TOPIC = 0  # messages in a forum's General topic carry no message_thread_id


@dataclass(frozen=True)
class Refusal:
    reason: str  # "other_topic" | "quiet_hours" | "admins_only"
    message_key: str | None = None  # corpus key to answer the asker with; None: stay silent
    fmt: dict[str, object] = field(default_factory=dict)


def topic_of(thread_id: int | None, is_topic_message: bool | None) -> int:
    """The forum topic of a message: its thread id, or the General topic."""
    return thread_id if is_topic_message and thread_id else GENERAL_TOPIC


def in_quiet_hours(cs: ChatSettings, now: datetime) -> bool:
    """``now`` (aware) within [quiet_start, quiet_end) in the chat's time zone; the span may cross midnight."""
    if cs.quiet_start is None or cs.quiet_end is None:
        return False
    hour = now.astimezone(cs.tz).hour
    if cs.quiet_start < cs.quiet_end:
        return cs.quiet_start <= hour < cs.quiet_end
    return hour >= cs.quiet_start or hour < cs.quiet_end


def quiet_until(cs: ChatSettings, now: datetime) -> datetime:
    """When the current quiet hours end, in the chat's time zone."""
    assert cs.quiet_end is not None
    local = now.astimezone(cs.tz)
    end = local.replace(hour=cs.quiet_end, minute=0, second=0, microsecond=0)
    return end if end > local else end + timedelta(days=1)


def refusal(
    cs: ChatSettings, *, explicit: bool, topic: int | None, now: datetime, asker_is_admin: bool,
) -> Refusal | None:
    """Why Shelly must not answer this group photo request, or None.

    ``topic``: the forum topic (``topic_of``) or None outside forums. Other topics and quiet hours: silent for
    plain photos, a short note for an explicit ``/mood`` in quiet hours. "Admins only" applies to explicit
    requests (in "every photo" mode the admins chose to have every photo read)."""
    if topic is not None and cs.topics and topic not in cs.topics:
        return Refusal("other_topic")
    if in_quiet_hours(cs, now):
        if not explicit:
            return Refusal("quiet_hours")
        return Refusal("quiet_hours", "quiet_hours_now", {"until": quiet_until(cs, now).strftime("%H:%M")})
    if explicit and cs.ask == "admins" and not asker_is_admin:
        return Refusal("admins_only", "admins_only_request")
    return None
