"""What the weekly mood pulse needs from the database, safe with several replicas on one database:

- a lease (``leases``: name, holder, expires_at): ``acquire_lease`` is one atomic upsert that takes a free or
  expired lease, or renews the caller's own, on SQLite and PostgreSQL alike;
- the chats to visit: those with the pulse on, their ids opened from the sealed reference;
- an idempotency key per chat and ISO week (``pulse_posts``): ``claim_pulse`` inserts it (only one caller ever
  gets True), ``pulse_posted`` marks it sent, ``release_pulse`` removes a claim whose post failed, so a retry
  may post, but never twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.chatref import ChatRefs
from bot.storage.database import Database
from bot.storage.events import to_utc_naive
from bot.storage.models import chat_settings, leases, pulse_posts
from bot.storage.pseudonym import Pseudonymizer
from bot.storage.writer import insert_for


class PulseStore:
    def __init__(self, db: Database, keys: Pseudonymizer, refs: ChatRefs) -> None:
        self._db = db
        self._keys = keys
        self._refs = refs

    async def acquire_lease(self, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
        """Take ``name`` for ``holder`` until ``now + ttl`` if it is free, expired or already ``holder``'s."""
        at, until = to_utc_naive(now), to_utc_naive(now + ttl)

        async def upsert(session: AsyncSession) -> bool:
            stmt = insert_for(session.get_bind().dialect.name)(leases).values(
                name=name, holder=holder, expires_at=until)
            stmt = stmt.on_conflict_do_update(
                index_elements=["name"], set_={"holder": holder, "expires_at": until},
                where=(leases.c.expires_at < at) | (leases.c.holder == holder),
            ).returning(leases.c.holder)
            return (await session.execute(stmt)).first() is not None

        return await self._db.run(upsert, operation="acquire_lease", write=True)

    async def release_lease(self, name: str, holder: str) -> None:
        async def drop(session: AsyncSession) -> None:
            await session.execute(delete(leases).where(leases.c.name == name, leases.c.holder == holder))

        await self._db.run(drop, operation="release_lease", write=True)

    async def pulse_chats(self) -> list[int]:
        """Chat ids of the chats with the weekly pulse on (references sealed under another secret are skipped)."""

        async def refs(session: AsyncSession) -> list[str]:
            rows = await session.scalars(select(chat_settings.c.chat_ref).where(
                chat_settings.c.pulse.is_(True), chat_settings.c.chat_ref.is_not(None)))
            return [r for r in rows if r]

        opened = (self._refs.open(ref) for ref in await self._db.run(refs, operation="pulse_chats"))
        return [chat_id for chat_id in opened if chat_id is not None]

    async def claim_pulse(self, chat_id: int, week: str) -> bool:
        """True for exactly one caller per chat and week."""
        key = self._keys.chat(chat_id)

        async def claim(session: AsyncSession) -> bool:
            stmt = (insert_for(session.get_bind().dialect.name)(pulse_posts).values(chat_key=key, week=week)
                    .on_conflict_do_nothing().returning(pulse_posts.c.chat_key))
            return (await session.execute(stmt)).first() is not None

        return await self._db.run(claim, operation="claim_pulse", write=True)

    async def pulse_posted(self, chat_id: int, week: str, when: datetime) -> None:
        key, at = self._keys.chat(chat_id), to_utc_naive(when)

        async def mark(session: AsyncSession) -> None:
            await session.execute(update(pulse_posts).where(
                pulse_posts.c.chat_key == key, pulse_posts.c.week == week).values(posted_at=at))

        await self._db.run(mark, operation="pulse_posted", write=True)

    async def release_pulse(self, chat_id: int, week: str) -> None:
        """Give back a claim whose post did not go out (only while it is not marked as posted)."""
        key = self._keys.chat(chat_id)

        async def drop(session: AsyncSession) -> None:
            await session.execute(delete(pulse_posts).where(
                pulse_posts.c.chat_key == key, pulse_posts.c.week == week, pulse_posts.c.posted_at.is_(None)))

        await self._db.run(drop, operation="release_pulse", write=True)

    async def pulse_weeks(self, chat_id: int) -> list[tuple[str, datetime | None]]:
        """(ISO week, posted at) of the chat's pulses, oldest first (tests and support)."""
        key = self._keys.chat(chat_id)

        async def weeks(session: AsyncSession) -> list[tuple[str, datetime | None]]:
            rows = await session.execute(select(pulse_posts.c.week, pulse_posts.c.posted_at)
                                         .where(pulse_posts.c.chat_key == key).order_by(pulse_posts.c.week))
            return [(r.week, r.posted_at) for r in rows]

        return await self._db.run(weeks, operation="pulse_weeks")
