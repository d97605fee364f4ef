"""The reads on every photo's path (opt-out, chat settings) come from memory: what this process changes applies at
once, what another replica changes applies within ``fresh_s``, and a burst of unknown chats costs a few merged
queries instead of one per photo. Two ``Storage`` instances on one database stand for two replicas; queries are
counted at the driver (SQLAlchemy's ``before_cursor_execute``), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from sqlalchemy import event

from bot.storage import ChatSettings, Storage
from tests.storage.conftest import make_storage

FRESH_S = 0.3
GROUP = -100555


@asynccontextmanager
async def replica(url: str, fresh_s: float = FRESH_S) -> AsyncIterator[Storage]:
    store = make_storage(url, fresh_s=fresh_s)
    await store.start(run_retention=False)
    try:
        yield store
    finally:
        await store.close()


@contextmanager
def statements(store: Storage, table: str) -> Iterator[list[str]]:
    """The SQL statements sent that name ``table`` while the block runs."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if table in statement:
            seen.append(statement)

    event.listen(store.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", count)


async def eventually(check: Any, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, "not within the time limit"
        await asyncio.sleep(0.02)


async def test_opt_out_reads_never_query_and_another_replicas_opt_out_applies_within_fresh_s(db_url: str) -> None:
    async with replica(db_url) as first, replica(db_url) as second:
        with statements(second, "opt_outs") as queries:
            assert await second.is_opted_out(7) is False
            assert queries == []  # loaded at start, answered from memory
        await first.set_opt_out(7, True)
        assert await first.is_opted_out(7) is True  # this process: at once
        began = time.monotonic()
        await eventually(lambda: second.is_opted_out(7))  # the other replica: after its next reload
        assert time.monotonic() - began < FRESH_S + 2.0
        with statements(second, "opt_outs") as queries:
            for _ in range(50):
                assert await second.is_opted_out(7) is True
            assert len(queries) <= 1  # at most one background reload per period, never one per photo
        await second.set_opt_out(7, False)
        assert await second.is_opted_out(7) is False
        await eventually(lambda: _negated(first.is_opted_out(7)))


async def _negated(read: Any) -> bool:
    return not await read


async def test_chat_settings_trusted_for_fresh_s_then_read_again(db_url: str) -> None:
    async with replica(db_url) as first, replica(db_url) as second:
        assert await second.get_chat_settings(GROUP) == ChatSettings()
        await first.save_chat_settings(GROUP, ChatSettings(mode="off"))
        assert (await first.get_chat_settings(GROUP)).mode == "off"  # this process: at once
        with statements(second, "chat_settings") as queries:
            assert (await second.get_chat_settings(GROUP)).mode != "off"  # still fresh in the other replica
            assert queries == []
        await asyncio.sleep(FRESH_S)
        with statements(second, "chat_settings") as queries:
            assert (await second.get_chat_settings(GROUP)).mode == "off"
            assert len(queries) == 1


async def test_a_burst_of_unknown_chats_is_read_in_a_few_merged_queries(db_url: str) -> None:
    async with replica(db_url, fresh_s=60) as store:
        for chat in (1, 2, 3):
            await store.save_chat_settings(chat, ChatSettings(language="de"))
        async with replica(db_url, fresh_s=60) as other:  # a replica that has read nothing yet
            with statements(other, "chat_settings") as queries:
                found = await asyncio.gather(*(other.get_chat_settings(chat) for chat in range(1, 101)))
            assert [s.language for s in found[:3]] == ["de"] * 3
            assert all(s == ChatSettings() for s in found[3:])
            assert 1 <= len(queries) <= 3, queries
            with statements(other, "chat_settings") as queries:
                again = await asyncio.gather(*(other.get_chat_settings(chat) for chat in range(1, 101)))
            assert again == found and queries == []  # all in memory now, the chats without a row included

