"""Opt-outs and per-chat settings. Both are read for every photo, so the reads never fail a reply: without the
database (down, hung, or breaker open) they answer at once from what was last seen, else from the defaults."""

from __future__ import annotations

import logging

from cachetools import LRUCache
from sqlalchemy import delete, select
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


class Preferences:
    def __init__(
        self, db: Database, keys: Pseudonymizer, writer: EventWriter, defaults: ChatSettings,
        refs: ChatRefs | None = None,
    ) -> None:
        self._db = db
        self._refs = refs  # seals the chat id of chats with the weekly pulse on
        self._keys = keys
        self._writer = writer
        self.defaults = defaults
        self._opted_out: set[str] = set()  # every opt-out, loaded at start and kept current
        self._chats: LRUCache[str, ChatSettings] = LRUCache(CHAT_CACHE_SIZE)

    async def load(self) -> None:
        """Load all opt-outs (one short key per user who opted out). Raises ``StorageUnavailable``."""

        async def all_opt_outs(session: AsyncSession) -> set[str]:
            return set(await session.scalars(select(opt_outs.c.user_key)))

        self._opted_out = await self._db.run(all_opt_outs, operation="load opt-outs", timeout_s=COMMAND_TIMEOUT_S)

    async def is_opted_out(self, user_id: int) -> bool:
        key = self._keys.user(user_id)

        async def lookup(session: AsyncSession) -> bool:
            return await session.scalar(select(opt_outs.c.user_key).where(opt_outs.c.user_key == key)) is not None

        try:
            found = await self._db.run(lookup, operation="is_opted_out")
        except StorageUnavailable as exc:
            log.debug("is_opted_out answered from memory (%s)", exc)
            return key in self._opted_out
        (self._opted_out.add if found else self._opted_out.discard)(key)
        return found

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
        (self._opted_out.add if opted_out else self._opted_out.discard)(key)

    async def recent_chat_settings(self, chat_id: int) -> ChatSettings:
        """The settings last read or saved for this chat in this process; the database only if there are none.
        For work that follows a request which has just read them (e.g. auto-delete of the bot's own replies)."""
        cached = self._chats.get(self._keys.chat(chat_id))
        return cached if cached is not None else await self.get_chat_settings(chat_id)

    async def get_chat_settings(self, chat_id: int) -> ChatSettings:
        key = self._keys.chat(chat_id)

        async def lookup(session: AsyncSession) -> ChatSettings:
            row = (await session.execute(select(chat_settings).where(chat_settings.c.chat_key == key))).first()
            if row is None:
                return self.defaults
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

        try:
            found = await self._db.run(lookup, operation="get_chat_settings")
        except StorageUnavailable as exc:
            log.debug("get_chat_settings answered from memory (%s)", exc)
            return self._chats.get(key, self.defaults)
        self._chats[key] = found
        return found

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
        self._chats[key] = settings

    def forget(self, user_key: str, private_chat_key: str) -> None:
        """Drop what memory holds about a user who asked to be forgotten."""
        self._opted_out.discard(user_key)
        self._chats.pop(private_chat_key, None)
