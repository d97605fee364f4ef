"""The weekly pulse's storage on SQLite and PostgreSQL: the lease, the idempotency key per chat and week, and
the sealed chat references (never a raw chat id in the database)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from sqlalchemy import select

from bot.storage import ChatSettings, Storage
from bot.storage.chatref import ChatRefs
from bot.storage.models import chat_settings
from tests.storage.conftest import NOW, SECRET, make_storage

GROUP, OTHER = -1001234567, -1007654321
TTL = timedelta(seconds=30)


async def test_lease_is_held_by_one_holder_until_it_expires(storage: Storage) -> None:
    results = await asyncio.gather(*(storage.acquire_lease("pulse", f"replica-{i}", TTL, NOW) for i in range(8)))
    assert sum(results) == 1
    holder = f"replica-{results.index(True)}"
    other = "replica-x"
    assert await storage.acquire_lease("pulse", holder, TTL, NOW + timedelta(seconds=10))  # renews
    assert not await storage.acquire_lease("pulse", other, TTL, NOW + timedelta(seconds=39))  # renewed at +10
    assert await storage.acquire_lease("pulse", other, TTL, NOW + timedelta(seconds=41))  # expired: taken over
    assert not await storage.acquire_lease("pulse", holder, TTL, NOW + timedelta(seconds=42))
    assert await storage.acquire_lease("other-job", holder, TTL, NOW)  # leases are per name
    await storage.release_lease("pulse", other)
    assert await storage.acquire_lease("pulse", holder, TTL, NOW + timedelta(seconds=43))


async def test_one_claim_per_chat_and_week(storage: Storage) -> None:
    claims = await asyncio.gather(*(storage.claim_pulse(GROUP, "2026-W48") for _ in range(6)))
    assert sum(claims) == 1
    assert await storage.claim_pulse(GROUP, "2026-W49") and await storage.claim_pulse(OTHER, "2026-W48")
    await storage.release_pulse(GROUP, "2026-W49")  # the post failed: a retry may claim again
    assert await storage.claim_pulse(GROUP, "2026-W49")
    await storage.pulse_posted(GROUP, "2026-W48", NOW)
    await storage.release_pulse(GROUP, "2026-W48")  # posted claims are never given back
    assert not await storage.claim_pulse(GROUP, "2026-W48")
    assert [week for week, _ in await storage.pulse_weeks(GROUP)] == ["2026-W48", "2026-W49"]
    assert (await storage.pulse_weeks(GROUP))[0][1] is not None


async def test_pulse_chats_are_stored_sealed(db_url: str) -> None:
    store = make_storage(db_url)
    await store.start(run_retention=False)
    try:
        await store.save_chat_settings(GROUP, ChatSettings(pulse=True))
        await store.save_chat_settings(OTHER, ChatSettings(pulse=True))
        assert sorted(await store.pulse_chats()) == sorted([GROUP, OTHER])
        async with store.engine.connect() as conn:
            refs = list(await conn.scalars(select(chat_settings.c.chat_ref)))
        assert all(ref and str(abs(GROUP)) not in ref and str(abs(OTHER)) not in ref for ref in refs)
        assert ChatRefs("another secret").open(refs[0]) is None and ChatRefs(SECRET).open(refs[0]) in (GROUP, OTHER)

        await store.save_chat_settings(OTHER, dataclasses.replace(await store.get_chat_settings(OTHER), pulse=False))
        assert await store.pulse_chats() == [GROUP]
        async with store.engine.connect() as conn:
            assert len([r for r in await conn.scalars(select(chat_settings.c.chat_ref)) if r]) == 1
    finally:
        await store.close()
