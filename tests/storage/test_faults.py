"""The database stopped (a crash) or frozen (it hangs) under a running Storage, on a throwaway PostgreSQL cluster
(and SQLite where a file can fail): callers never wait past the deadline, the breaker remembers "down", nothing is
lost or counted twice, and what cannot be written by shutdown is journaled and replayed at the next start."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import ChatSettings, Storage, StorageUnavailable
from tests.pgcluster import PgCluster
from tests.storage.conftest import (
    journal_lines,
    make_storage,
    put_sqlite_file_back,
    stored_rows,
    take_sqlite_file_away,
    wait_until,
)

pytestmark = pytest.mark.postgres

WHEN = datetime(2026, 11, 22, 9, 5, tzinfo=UTC)
SINCE = timedelta(days=2)
EMOTIONS = ("happiness", "sadness", "neutral", "surprise")
OPTED_OUT = 770077007
BREAKER_S = 3.0  # long enough that the calls right after a failure find the breaker open


def record(store: Storage, update_id: int, user_id: int) -> None:
    store.record_analysis(
        update_id=update_id, user_id=user_id, chat_id=user_id, chat_type="private",
        emotions=[(EMOTIONS[update_id % 4], 0.9)], model_version="test", when=WHEN,
    )


@pytest.fixture
async def pg_url(throwaway_pg: PgCluster) -> AsyncIterator[str]:
    async with throwaway_pg.fresh_database() as url:
        yield url


async def started(url: str, **overrides: object) -> Storage:
    store = make_storage(url, breaker_s=BREAKER_S, timeout_s=1.0, **overrides)
    await store.start(run_retention=False)
    for i in range(10):
        record(store, i, 1)
    await store.set_opt_out(OPTED_OUT, True)
    await store.save_chat_settings(-5, ChatSettings(mode="off"))
    assert await store.flush() == 10
    return store


async def assert_answers_from_memory(store: Storage) -> None:
    """The reads on a photo's path answer at once while the breaker is open: opt-outs and recently read chat
    settings from memory, an unknown chat and the recent moods refused by the breaker without waiting."""
    assert not store.available
    refused = store.answered_without_database
    began = time.monotonic()
    assert await store.is_opted_out(OPTED_OUT) is True
    assert await store.is_opted_out(1) is False
    assert (await store.get_chat_settings(-5)).mode == "off"
    assert (await store.get_chat_settings(-6)) == store.default_chat_settings
    assert await store.recent_user_emotions(2, SINCE) == [EMOTIONS[i % 4] for i in range(10, 30)]
    assert time.monotonic() - began < 0.5  # none of them waited on the database (deadline 1 s)
    assert store.answered_without_database >= refused + 2
    assert await store.ping() is False
    with pytest.raises(StorageUnavailable):
        await store.user_summary(1)
    with pytest.raises(StorageUnavailable):
        await store.set_opt_out(3, True)


async def test_stopped_database(throwaway_pg: PgCluster, pg_url: str) -> None:
    store = await started(pg_url)
    try:
        throwaway_pg.stop()
        for i in range(10, 30):
            record(store, i, 2)  # never blocks, never raises
        assert store.pending == 20
        assert await store.flush() == 0  # the failure opens the breaker
        assert store.breaker_opened == 1 and store.flush_failures >= 1
        await assert_answers_from_memory(store)

        throwaway_pg.start()
        await wait_until(lambda: store.available and store.pending == 0)  # the writer probes and catches up
        assert await stored_rows(pg_url) == 30
        assert (await store.user_summary(2)).total == 20
    finally:
        await store.close()


async def test_frozen_database(throwaway_pg: PgCluster, pg_url: str) -> None:
    store = await started(pg_url)
    try:
        throwaway_pg.freeze()
        for i in range(10, 30):
            record(store, i, 2)
        began = time.monotonic()
        assert await store.get_chat_settings(-7) == store.default_chat_settings  # the first read waits out the
        # deadline (an unknown chat: not in memory) ...
        assert time.monotonic() - began < 3.0  # (deadline 1 s; generous for a loaded machine)
        assert store.breaker_opened == 1  # ... and opens the breaker, so the next ones do not wait at all
        await assert_answers_from_memory(store)
        for reply_path_call in (store.user_summary(2), store.set_opt_out(3, True)):
            began = time.monotonic()  # a write hung in flight (5 s batch deadline) must not hold these up
            with pytest.raises(StorageUnavailable):
                await reply_path_call
            assert time.monotonic() - began < 3.0
        assert await store.flush() == 0
        assert store.pending == 20

        throwaway_pg.thaw()
        await wait_until(lambda: store.available and store.pending == 0)
        assert await stored_rows(pg_url) == 30
    finally:
        await store.close()


@pytest.mark.parametrize("fault", ["stop", "freeze"])
async def test_close_with_database_down_journals_and_next_start_replays(
    throwaway_pg: PgCluster, pg_url: str, tmp_path: Path, fault: str
) -> None:
    journal = tmp_path / "journal.jsonl"
    store = await started(pg_url, journal_path=journal, close_timeout_s=0.5)
    getattr(throwaway_pg, fault)()
    for i in range(10, 25):
        record(store, i, 2)
    record(store, 30, OPTED_OUT)  # opted out: journaled like the rest, never stored
    await store.close()
    assert store.pending == 0 and store.journaled == 16
    assert journal_lines(journal) == 16
    assert str(OPTED_OUT) not in journal.read_text()  # pseudonyms only, never raw ids
    saved = journal.read_bytes()

    throwaway_pg.thaw()
    if not throwaway_pg.running:
        throwaway_pg.start()
    for _replay in range(2):  # replaying the same journal twice counts every event once
        journal.write_bytes(saved)
        again = make_storage(pg_url, journal_path=journal)
        await again.start(run_retention=False)
        await again.close()
        assert not journal.exists()
        assert await stored_rows(pg_url) == 25


async def test_sqlite_file_gone_at_shutdown(tmp_path: Path) -> None:
    path, journal = tmp_path / "shelly.db", tmp_path / "shelly-journal.jsonl"
    url = f"sqlite+aiosqlite:///{path}"
    store = await started(url, journal_path=journal, close_timeout_s=0.3)
    await store.engine.dispose()  # no pooled connection keeps the old file
    take_sqlite_file_away(path)
    for i in range(10, 30):
        record(store, i, 2)
    assert await store.flush() == 0
    await assert_answers_from_memory(store)
    await store.close()
    assert journal_lines(journal) == 20

    put_sqlite_file_back(path)
    again = make_storage(url, journal_path=journal)
    await again.start(run_retention=False)
    await again.close()
    assert not journal.exists()
    assert await stored_rows(url) == 30


async def test_sqlite_locked_by_another_process(tmp_path: Path) -> None:
    """Another process holds the write lock (a backup, a migration): writes wait out the deadline once, then the
    breaker answers at once; reads still work (WAL); once the lock is gone, everything is written."""
    url = f"sqlite+aiosqlite:///{tmp_path}/shelly.db"
    store = await started(url)
    holder = sqlite3.connect(tmp_path / "shelly.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageUnavailable):
            await store.set_opt_out(3, True)  # waits out the deadline, opens the breaker
        assert store.breaker_opened == 1 and not store.available
        for i in range(10, 30):
            record(store, i, 2)
        await assert_answers_from_memory(store)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    try:
        await wait_until(lambda: store.available and store.pending == 0)
        assert await store.is_opted_out(3) is False
    finally:
        await store.close()
    assert await stored_rows(url) == 30


async def test_close_cancelled_by_a_shutdown_deadline_still_journals(
    throwaway_pg: PgCluster, pg_url: str, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    store = await started(pg_url, journal_path=journal, close_timeout_s=60)
    throwaway_pg.freeze()
    for i in range(10, 20):
        record(store, i, 2)
    closing = asyncio.create_task(store.close())
    await wait_until(lambda: store.flush_failures > 0 or not store.available)  # close is retrying
    closing.cancel()  # the runtime's own shutdown deadline
    with pytest.raises(asyncio.CancelledError):
        await closing
    assert journal_lines(journal) == 10
    throwaway_pg.thaw()
    again = make_storage(pg_url, journal_path=journal)
    await again.start(run_retention=False)
    await again.close()
    assert await stored_rows(pg_url) == 20


async def test_long_outage_spills_to_the_journal_instead_of_dropping(
    throwaway_pg: PgCluster, pg_url: str, tmp_path: Path
) -> None:
    """A buffer of 40 and 200 events while the database is down: the writer moves the older ones to the journal
    (memory stays bounded, nothing is dropped) and writes them once the database is back."""
    journal = tmp_path / "journal.jsonl"
    store = await started(pg_url, journal_path=journal, buffer_size=40)
    try:
        throwaway_pg.stop()
        for i in range(10, 210):
            record(store, i, 2)
            if store.pending >= 30:  # let the writer run before the buffer is full
                await wait_until(lambda: store.pending < 30)
        assert store.dropped == 0
        assert store.journaled >= 150 and journal_lines(journal) == store.journaled

        throwaway_pg.start()
        await wait_until(lambda: store.available and store.pending == 0 and not journal.exists())
        assert await stored_rows(pg_url) == 210
        assert store.dropped == 0
    finally:
        await store.close()
