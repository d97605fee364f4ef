"""Read side: mood summaries for /stats and the user's recent emotions for the advice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import events as ev
from bot.storage.database import Database
from bot.storage.errors import StorageUnavailable
from bot.storage.models import mood_events
from bot.storage.pseudonym import Pseudonymizer
from bot.storage.queries import K_ANONYMITY, summarise
from bot.storage.types import MoodSummary
from bot.storage.writer import EventWriter

log = logging.getLogger(__name__)


class Statistics:
    def __init__(
        self, db: Database, keys: Pseudonymizer, writer: EventWriter, clock: Callable[[], datetime]
    ) -> None:
        self._db = db
        self._keys = keys
        self._writer = writer
        self.clock = clock

    async def _summary(self, operation: str, where: ColumnElement[bool], days: int, min_day: int) -> MoodSummary:
        await self._writer.flush(timeout_s=self._db.timeout_s)  # best effort: the photo just sent should count
        since = ev.floor_hour(self.clock()) - timedelta(days=days)
        return await self._db.run(
            lambda session: summarise(session, where, since, min_day_contributors=min_day), operation=operation
        )

    async def user_summary(self, user_id: int, days: int = 30) -> MoodSummary:
        return await self._summary("user_summary", mood_events.c.user_key == self._keys.user(user_id), days, 1)

    async def chat_summary(self, chat_id: int, days: int = 30) -> MoodSummary | None:
        where = mood_events.c.chat_key == self._keys.chat(chat_id)
        summary = await self._summary("chat_summary", where, days, K_ANONYMITY)
        return summary if summary.contributors >= K_ANONYMITY else None

    async def global_summary(self, days: int = 30) -> MoodSummary | None:
        summary = await self._summary("global_summary", mood_events.c.id.is_not(None), days, K_ANONYMITY)
        return summary if summary.contributors >= K_ANONYMITY else None

    async def recent_user_emotions(self, user_id: int, since: timedelta) -> list[str]:
        """Oldest first, hour resolution, buffered events included. Without the database: buffered only."""
        key, cutoff = self._keys.user(user_id), ev.floor_hour(self.clock() - since)
        columns = (mood_events.c.update_key, mood_events.c.face_index, mood_events.c.hour, mood_events.c.emotion)

        async def stored(session: AsyncSession) -> list[tuple[str, int, datetime, str]]:
            rows = await session.execute(
                select(*columns)
                .where(mood_events.c.user_key == key, mood_events.c.hour >= cutoff)
                .order_by(mood_events.c.hour, mood_events.c.id)
            )
            return [(r.update_key, r.face_index, r.hour, r.emotion) for r in rows]

        try:
            rows = await self._db.run(stored, operation="recent_user_emotions")
        except StorageUnavailable as exc:
            log.debug("recent_user_emotions answered from the buffer (%s)", exc)
            rows = []
        seen = {(update_key, face) for update_key, face, _hour, _emotion in rows}
        found = [(hour, emotion) for _update_key, _face, hour, emotion in rows]
        for e in self._writer.buffered(lambda e: e.user_key == key and e.hour >= cutoff):
            if (e.update_key, e.face_index) not in seen:
                seen.add((e.update_key, e.face_index))
                found.append((e.hour, e.emotion))
        return [emotion for _hour, emotion in sorted(found, key=lambda item: item[0])]
