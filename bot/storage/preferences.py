"""Opt-outs and per-chat settings. Both are read for every photo, so they are answered from memory and never fail
a reply.

* **Opt-outs**: every opt-out is held in memory (loaded at start, one short key each); a lookup never waits on the
  database. The set is reloaded in the background at most every ``fresh_s`` seconds, so an opt-out made on another
  replica applies here within that time; one made in this process applies at once.
* **Chat settings**: a read from the database is trusted for ``fresh_s`` seconds (changes made in this process
  apply at once, another replica's within that time). Older or unknown chats are read from the database, and
  concurrent reads are merged into one query (a burst of new chats costs a few queries, not one per photo).
* Without the database (down, hung, or breaker open) both answer at once from what was last seen, else from the
  defaults.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from cachetools import LRUCache
from sqlalchemy import Row, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.chatref import ChatRefs
from bot.storage.database import Database
from bot.storage.engine import COMMAND_TIMEOUT_S
from bot.storage.errors import StorageUnavailable
from bot.storage.models import chat_settings, opt_outs
from bot.storage.pseudonym import Pseudonymizer
from bot.storage.types import ASK_POLICIES, CHAT_MODES, ChatSettings
from bot.storage.writer import EventWriter, insert_for

log = logging.getLogger(__name__)

CHAT_CACHE_SIZE = 10_000
FRESH_S = 10.0  # how long a read is trusted: what another replica changed applies here within this
MAX_BATCH = 500  # chats per merged settings query


class _Cached(NamedTuple):
    settings: ChatSettings
    read_at: float  # monotonic


class Preferences:
    def __init__(
        self, db: Database, keys: Pseudonymizer, writer: EventWriter, defaults: ChatSettings,
        refs: ChatRefs | None = None, *, fresh_s: float = FRESH_S, monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._refs = refs  # seals the chat id of chats with the weekly pulse on
        self._keys = keys
        self._writer = writer
        self.defaults = defaults
        self.fresh_s = fresh_s
        self._now = monotonic
        self._opted_out: set[str] = set()  # every opt-out, loaded at start and kept current
        self._opt_outs_read_at = -math.inf
        self._opt_out_changes = 0  # bumped by every change made here: a reload begun before it is stale
        self._reload: asyncio.Task[None] | None = None
        self._chats: LRUCache[str, _Cached] = LRUCache(CHAT_CACHE_SIZE)
        self._wanted: dict[str, asyncio.Future[ChatSettings]] = {}  # chats waiting for the next merged query
        self._reader: asyncio.Task[None] | None = None

    async def load(self) -> None:
        """Load all opt-outs (one short key per user who opted out). Raises ``StorageUnavailable``."""
        self._opted_out = await self._all_opt_outs(COMMAND_TIMEOUT_S)
        self._opt_outs_read_at = self._now()

    async def close(self) -> None:
        for task in (self._reload, self._reader):
            if task is not None and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    async def _all_opt_outs(self, timeout_s: float | None = None) -> set[str]:
        async def all_opt_outs(session: AsyncSession) -> set[str]:
            return set(await session.scalars(select(opt_outs.c.user_key)))

        return await self._db.run(all_opt_outs, operation="load opt-outs", timeout_s=timeout_s)

    async def is_opted_out(self, user_id: int) -> bool:
        """From memory, never waits; starts a background reload when the set is older than ``fresh_s``."""
        if self._now() - self._opt_outs_read_at >= self.fresh_s and (self._reload is None or self._reload.done()):
            self._opt_outs_read_at = self._now()  # one attempt per period, whether it succeeds or not
            self._reload = asyncio.create_task(self._reload_opt_outs(), name="storage-reload-opt-outs")
        return self._keys.user(user_id) in self._opted_out

    async def _reload_opt_outs(self) -> None:
        changes = self._opt_out_changes
        try:
            found = await self._all_opt_outs()
        except StorageUnavailable as exc:
            log.debug("opt-outs not reloaded (%s)", exc)
            return
        if changes == self._opt_out_changes:  # else a change made here meanwhile might be missing from ``found``
            self._opted_out = found

    async def set_opt_out(self, user_id: int, opted_out: bool) -> None:
        """Opting out also drops the user's buffered events. Raises ``StorageUnavailable`` (nothing changed)."""
        key = self._keys.user(user_id)

        async def change(session: AsyncSession) -> None:
            if opted_out:
                insert = insert_for(session.get_bind().dialect.name)
                await session.execute(insert(opt_outs).values(user_key=key).on_conflict_do_nothing())
            else:
                await session.execute(delete(opt_outs).where(opt_outs.c.user_key == key))

        async with self._writer.exclusive():
            await self._db.run(change, operation="set_opt_out", write=True)
            if opted_out:
                self._writer.discard(lambda e: e.user_key == key)
        self._opt_out_changes += 1
        (self._opted_out.add if opted_out else self._opted_out.discard)(key)

    async def recent_chat_settings(self, chat_id: int) -> ChatSettings:
        """The settings last read or saved for this chat in this process, however old; the database only if there
        are none. For work that follows a request which has just read them (e.g. auto-delete of the bot's own
        replies)."""
        cached = self._chats.get(self._keys.chat(chat_id))
        return cached.settings if cached is not None else await self.get_chat_settings(chat_id)

    async def get_chat_settings(self, chat_id: int) -> ChatSettings:
        """From memory when read less than ``fresh_s`` ago, else from the database (merged with concurrent reads);
        without the database, the last seen settings or the defaults."""
        key = self._keys.chat(chat_id)
        cached = self._chats.get(key)
        if cached is not None and self._now() - cached.read_at < self.fresh_s:
            return cached.settings
        read_at = self._now()
        try:
            found = await asyncio.shield(self._want(key))
        except StorageUnavailable as exc:
            log.debug("get_chat_settings answered from memory (%s)", exc)
            return cached.settings if cached is not None else self.defaults
        latest = self._chats.get(key)
        if latest is None or latest.read_at <= read_at:  # never overwrite a save made while reading
            self._chats[key] = _Cached(found, read_at)
        return found

    def _want(self, key: str) -> asyncio.Future[ChatSettings]:
        future = self._wanted.get(key)
        if future is None:
            future = self._wanted[key] = asyncio.get_running_loop().create_future()
            future.add_done_callback(_consume_exception)  # a waiter may have been cancelled meanwhile
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_wanted(), name="storage-read-chat-settings")
        return future

    async def _read_wanted(self) -> None:
        """Answer every waiting chat, a merged query at a time; chats asked for meanwhile go in the next one."""
        await asyncio.sleep(0)  # let the reads started in this same turn of the event loop join the first query
        while self._wanted:
            keys = list(self._wanted)[:MAX_BATCH]
            futures = [self._wanted.pop(key) for key in keys]
            try:
                found = await self._db.run(functools.partial(self._read_settings, keys=keys),
                                           operation="get_chat_settings")
            except StorageUnavailable as exc:
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
                continue
            except BaseException as exc:  # cancelled (close) or a bug: no waiter may hang
                for future in futures + list(self._wanted.values()):
                    if not future.done():
                        future.set_exception(StorageUnavailable(f"chat settings not read ({type(exc).__name__})"))
                self._wanted.clear()
                raise
            for key, future in zip(keys, futures, strict=True):
                if not future.done():
                    future.set_result(found.get(key, self.defaults))

    async def _read_settings(self, session: AsyncSession, *, keys: list[str]) -> dict[str, ChatSettings]:
        rows = await session.execute(select(chat_settings).where(chat_settings.c.chat_key.in_(keys)))
        return {row.chat_key: self._settings_of(row) for row in rows}

    def _settings_of(self, row: Row[Any]) -> ChatSettings:
        return ChatSettings(
            mode=row.mode if row.mode in CHAT_MODES else self.defaults.mode,
            annotate=bool(row.annotate),
            user_cooldown_s=float(row.user_cooldown_s),
            chat_cooldown_s=float(row.chat_cooldown_s),
            language=row.language,
            # group admin controls
            ask=row.ask if row.ask in ASK_POLICIES else "everyone",
            quiet_start=row.quiet_start,
            quiet_end=row.quiet_end,
            time_zone=row.time_zone,
            auto_delete_min=int(row.auto_delete_min),
            topics=ChatSettings.parse_topics(row.topics),
            pulse=bool(row.pulse),
        )

    async def save_chat_settings(self, chat_id: int, settings: ChatSettings) -> None:
        """Upsert; raises ``ValueError`` on invalid settings, ``StorageUnavailable`` without the database."""
        settings.validate()
        key = self._keys.chat(chat_id)
        values = {
            "mode": settings.mode,
            "annotate": settings.annotate,
            "user_cooldown_s": settings.user_cooldown_s,
            "chat_cooldown_s": settings.chat_cooldown_s,
            "language": settings.language,
            # group admin controls
            "ask": settings.ask,
            "quiet_start": settings.quiet_start,
            "quiet_end": settings.quiet_end,
            "time_zone": settings.time_zone,
            "auto_delete_min": settings.auto_delete_min,
            "topics": settings.topics_text(),
            # weekly pulse: the chat id is kept (sealed) only while it is on
            "pulse": settings.pulse,
            "chat_ref": self._refs.seal(chat_id) if settings.pulse and self._refs is not None else None,
        }

        async def upsert(session: AsyncSession) -> None:
            stmt = insert_for(session.get_bind().dialect.name)(chat_settings).values(chat_key=key, **values)
            await session.execute(stmt.on_conflict_do_update(index_elements=["chat_key"], set_=values))

        await self._db.run(upsert, operation="save_chat_settings", write=True)
        self._chats[key] = _Cached(settings, self._now())

    def forget(self, user_key: str, private_chat_key: str) -> None:
        """Drop what memory holds about a user who asked to be forgotten."""
        self._opt_out_changes += 1
        self._opted_out.discard(user_key)
        self._chats.pop(private_chat_key, None)


def _consume_exception(future: asyncio.Future[ChatSettings]) -> None:
    if not future.cancelled():
        future.exception()  # retrieved: no "exception was never retrieved" warning when nobody waits any more
