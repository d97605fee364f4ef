"""Write-behind: idempotency under concurrency, outages, a full buffer, shutdown."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.storage import ChatSettings, Storage, StorageUnavailable
from bot.storage.models import mood_events
from tests.storage.conftest import make_storage, put_sqlite_file_back, stored_rows, take_sqlite_file_away, wait_until

WHEN = datetime(2026, 11, 22, 9, 5, tzinfo=UTC)
EMOTIONS = ("happiness", "sadness", "neutral", "surprise")


def record(store: Storage, update_id: int, user_id: int, faces: int = 1, chat_id: int = -100500) -> None:
    store.record_analysis(
        update_id=update_id,
        user_id=user_id,
        chat_id=chat_id,
        chat_type="group",
        emotions=[(EMOTIONS[(update_id + i) % len(EMOTIONS)], 0.8) for i in range(faces)],
        model_version="test",
        when=WHEN,
    )


async def test_concurrent_users_with_redeliveries_counted_once(db_url: str) -> None:
    """50 users × 20 photos through two replicas at once; every 4th update is delivered twice to each."""
    primary, replica = make_storage(db_url, flush_interval_s=0.01), make_storage(db_url, flush_interval_s=0.01)
    await primary.start(run_retention=False)
    await replica.start(run_retention=False)
    expected: dict[int, int] = {}

    async def user(uid: int) -> None:
        for photo in range(20):
            update_id = uid * 1000 + photo
            faces = 1 + (update_id % 3)
            expected[uid] = expected.get(uid, 0) + faces
            record(primary, update_id, uid, faces)
            if photo % 4 == 0:
                record(primary, update_id, uid, faces)  # redelivered to the same replica
                record(replica, update_id, uid, faces)  # ... and to another one
            if photo % 7 == 0:
                await primary.flush()
            await asyncio.sleep(0)

    await asyncio.gather(*(user(uid) for uid in range(1, 51)))
    await asyncio.gather(primary.close(), replica.close())
    assert primary.pending == replica.pending == 0

    assert await stored_rows(db_url) == sum(expected.values())
    checker = make_storage(db_url)
    try:
        for uid in (1, 17, 50):
            summary = await checker.user_summary(uid)
            assert summary.total == expected[uid]
        async with checker.engine.connect() as conn:
            distinct = await conn.scalar(
                select(func.count()).select_from(
                    select(mood_events.c.update_key, mood_events.c.face_index).distinct().subquery()
                )
            )
        assert distinct == sum(expected.values())
    finally:
        await checker.close()


async def test_same_update_in_separate_flushes_is_counted_once(storage: Storage, db_url: str) -> None:
    record(storage, 1, 10, faces=2)
    assert await storage.flush() == 2
    record(storage, 1, 10, faces=2)
    assert await storage.flush() == 0
    assert await stored_rows(db_url) == 2


async def test_dead_database_keeps_events_buffered() -> None:
    store = make_storage("postgresql+asyncpg://postgres@127.0.0.1:1/x", close_timeout_s=1.0)
    for i in range(1000):
        record(store, i, 7)  # synchronous: it cannot wait for the database
    assert store.pending == 1000 and store.available
    assert await store.flush() == 0  # no exception for the caller
    assert store.pending == 1000
    assert store.flush_failures == 1 and not store.available
    assert await store.ping() is False
    with pytest.raises(StorageUnavailable):
        await store.user_summary(7)
    with pytest.raises(StorageUnavailable):
        await store.set_opt_out(7, True)
    # the reads on the reply path answer anyway
    assert await store.is_opted_out(7) is False
    assert await store.get_chat_settings(-5) == store.default_chat_settings
    await store.close()  # bounded, does not raise


async def test_sqlite_outage_and_recovery(tmp_path: Path) -> None:
    path = tmp_path / "shelly.db"
    store = make_storage(f"sqlite+aiosqlite:///{path}")
    await store.start(run_retention=False)
    try:
        for i in range(10):
            record(store, i, 1)
        assert await store.flush() == 10
        await store.set_opt_out(99, True)
        await store.save_chat_settings(-5, ChatSettings(mode="off"))

        await store.engine.dispose()  # no pooled connection keeps the old file
        take_sqlite_file_away(path)

        for i in range(10, 30):
            record(store, i, 2)
        assert await store.flush() == 0
        assert store.pending == 20
        assert not await store.ping()
        await wait_until(lambda: store.flush_failures >= 2)  # the background task keeps retrying
        assert await store.is_opted_out(99)  # replies go on with the last known answers
        assert (await store.get_chat_settings(-5)).mode == "off"
        assert not await store.is_opted_out(1)

        put_sqlite_file_back(path)
        await wait_until(lambda: store.pending == 0)  # ... and catches up by itself
        assert store.flush_failures == 0
        assert await stored_rows(f"sqlite+aiosqlite:///{path}") == 30
    finally:
        await store.close()


async def test_full_buffer_drops_oldest_and_counts(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = make_storage(f"sqlite+aiosqlite:///{tmp_path}/s.db", buffer_size=5)
    await store.start(run_retention=False)
    try:
        await store.engine.dispose()
        for i in range(8):
            record(store, i, 123456789)
        assert store.pending == 5 and store.dropped == 3
        assert "dropped" in caplog.text and "123456789" not in caplog.text
        assert await store.flush() == 5
        assert await store.recent_user_emotions(123456789, since=WHEN - WHEN.replace(hour=0)) == [
            EMOTIONS[i % 4] for i in range(3, 8)
        ]
    finally:
        await store.close()


async def test_close_flushes_the_buffer(db_url: str) -> None:
    store = make_storage(db_url, flush_interval_s=3600)
    await store.start(run_retention=False)
    for i in range(12):
        record(store, i, 3)
    assert store.pending == 12
    await store.close()
    assert store.pending == 0
    assert await stored_rows(db_url) == 12


async def test_recent_chat_settings_answer_from_memory_and_read_only_what_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "shelly.db"
    store = make_storage(f"sqlite+aiosqlite:///{path}")
    await store.start(run_retention=False)
    try:
        await store.save_chat_settings(-5, ChatSettings(mode="off"))
        other = make_storage(f"sqlite+aiosqlite:///{path}")  # another process: nothing seen yet, reads the DB
        await other.start(run_retention=False)
        assert (await other.recent_chat_settings(-5)).mode == "off"
        await other.close()

        await store.engine.dispose()
        take_sqlite_file_away(path)
        assert (await store.recent_chat_settings(-5)).mode == "off"
        assert store.available  # answered from memory: the database was not even tried
        assert await store.recent_chat_settings(-6) == store.default_chat_settings  # unknown: tried, defaults
        assert not store.available
        put_sqlite_file_back(path)
    finally:
        await store.close()
