"""Deleting data: a user's "forget me" and the retention purge of old events."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import events as ev
from bot.storage.database import Database
from bot.storage.engine import COMMAND_TIMEOUT_S
from bot.storage.errors import StorageUnavailable
from bot.storage.models import chat_settings, mood_events, opt_outs
from bot.storage.preferences import Preferences
from bot.storage.pseudonym import Pseudonymizer
from bot.storage.writer import EventWriter

log = logging.getLogger(__name__)

RETENTION_INTERVAL_S = 24 * 3600.0


def _rowcount(result: Any) -> int:
    return max(0, cast(CursorResult[Any], result).rowcount or 0)


class Retention:
    def __init__(
        self, db: Database, keys: Pseudonymizer, writer: EventWriter, preferences: Preferences, *,
        retention_days: int, clock: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._keys = keys
        self._writer = writer
        self._preferences = preferences
        self.retention_days = retention_days
        self.clock = clock

    async def forget_user(self, user_id: int) -> int:
        """Delete the user's events (stored and buffered), opt-out and private chat's settings (same id as the
        user in Telegram; group ids are negative). Returns records removed; raises ``StorageUnavailable``."""
        user_key, private_chat_key = self._keys.user(user_id), self._keys.chat(user_id)

        async def delete_all(session: AsyncSession) -> int:
            removed = 0
            for stmt in (
                delete(mood_events).where(mood_events.c.user_key == user_key),
                delete(opt_outs).where(opt_outs.c.user_key == user_key),
            ):
                removed += _rowcount(await session.execute(stmt))
            if user_id > 0:
                private = delete(chat_settings).where(chat_settings.c.chat_key == private_chat_key)
                removed += _rowcount(await session.execute(private))
            return removed

        async with self._writer.exclusive():
            removed = await self._db.run(delete_all, operation="forget_user", write=True)
            removed += self._writer.discard(lambda e: e.user_key == user_key)
        self._preferences.forget(user_key, private_chat_key)
        return removed

    async def purge_expired(self, now: datetime | None = None) -> int:
        """Delete events older than ``retention_days`` (off when 0 or less); returns rows deleted."""
        if self.retention_days <= 0:
            return 0
        cutoff = ev.to_utc_naive(now or self.clock()) - timedelta(days=self.retention_days)

        async def purge(session: AsyncSession) -> int:
            return _rowcount(await session.execute(delete(mood_events).where(mood_events.c.hour < cutoff)))

        # A background job that may have a lot to delete: bounded by the statement timeout, not a reply's.
        return await self._db.run(purge, operation="purge_expired", write=True, timeout_s=COMMAND_TIMEOUT_S)

    async def run(self, interval_s: float = RETENTION_INTERVAL_S) -> None:
        """``purge_expired`` now and then every ``interval_s``."""
        while True:
            try:
                purged = await self.purge_expired()
                if purged:
                    log.info("retention: deleted %d mood events older than %d days", purged, self.retention_days)
            except StorageUnavailable as exc:
                log.warning("retention purge failed (%s); retrying next time", exc)
            await asyncio.sleep(interval_s)
