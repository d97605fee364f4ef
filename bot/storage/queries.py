"""The few read queries behind the summaries (one dialect-neutral SQL shape, aggregated in Python)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime

from sqlalchemy import ColumnElement, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import mood_events
from bot.storage.types import MoodSummary

K_ANONYMITY = 3  # group summaries need at least this many distinct contributors


def _as_date(value: object) -> date:
    """``date(hour)`` is a ``date`` on PostgreSQL and an ISO string on SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


async def summarise(
    session: AsyncSession, where: ColumnElement[bool], since: datetime, *, min_day_contributors: int = 1
) -> MoodSummary:
    """Counts per emotion, distinct contributors and photos, a per-UTC-day trend (days with data, oldest first).

    Days with fewer than ``min_day_contributors`` distinct users are left out of the trend (still counted in the
    totals), so a group's chart cannot single out the one person who sent photos that day."""
    window = (where, mood_events.c.hour >= since)
    hourly = await session.execute(
        select(mood_events.c.hour, mood_events.c.emotion, func.count())
        .where(*window)
        .group_by(mood_events.c.hour, mood_events.c.emotion)
    )
    counts: Counter[str] = Counter()
    per_day: defaultdict[date, Counter[str]] = defaultdict(Counter)
    for hour, emotion, n in hourly:
        counts[emotion] += n
        per_day[hour.date()][emotion] += n
    contributors = await session.scalar(select(func.count(distinct(mood_events.c.user_key))).where(*window))
    photos = await session.scalar(select(func.count(distinct(mood_events.c.update_key))).where(*window))
    shown = set(per_day)
    if min_day_contributors > 1:
        day = func.date(mood_events.c.hour)
        daily = await session.execute(
            select(day, func.count(distinct(mood_events.c.user_key))).where(*window).group_by(day)
        )
        shown = {_as_date(d) for d, users in daily if users >= min_day_contributors}
    return MoodSummary(
        counts=dict(counts),
        total=sum(counts.values()),
        contributors=int(contributors or 0),
        trend=[(d, dict(per_day[d])) for d in sorted(per_day) if d in shown],
        photos=int(photos or 0),
    )
