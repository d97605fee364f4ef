"""Summaries, k-anonymity, opt-outs, chat settings, forgetting and retention."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.storage import ChatSettings, Storage
from bot.storage.models import chat_settings, mood_events, opt_outs
from tests.storage.conftest import NOW

GROUP = -1001234567890


def record(
    store: Storage,
    update_id: int,
    user_id: int,
    emotions: list[str],
    *,
    chat_id: int = GROUP,
    when: datetime = NOW,
) -> None:
    store.record_analysis(
        update_id=update_id,
        user_id=user_id,
        chat_id=chat_id,
        chat_type="supergroup" if chat_id < 0 else "private",
        emotions=[(e, 0.7) for e in emotions],
        model_version="test",
        when=when,
    )


async def count(store: Storage, table: object) -> int:
    async with store.engine.connect() as conn:
        return int((await conn.scalar(select(func.count()).select_from(table))) or 0)  # type: ignore[arg-type]


async def test_chat_summary_needs_three_contributors(storage: Storage) -> None:
    record(storage, 1, 101, ["happiness", "happiness"])
    record(storage, 2, 102, ["sadness"])
    record(storage, 3, 102, ["happiness"])
    assert await storage.chat_summary(GROUP) is None
    assert await storage.global_summary() is None
    record(storage, 4, 103, ["anger"])
    summary = await storage.chat_summary(GROUP)
    assert summary is not None
    assert summary.counts == {"happiness": 3, "sadness": 1, "anger": 1}
    assert (summary.total, summary.contributors, summary.photos) == (5, 3, 4)  # faces, people, photos
    assert summary.trend == [(date(2026, 11, 22), {"happiness": 3, "sadness": 1, "anger": 1})]
    assert await storage.chat_summary(-42) is None  # another chat: nobody

    record(storage, 5, 101, ["fear"], when=NOW - timedelta(days=3))  # a day with one contributor only
    summary = await storage.chat_summary(GROUP)
    assert summary is not None and summary.counts["fear"] == 1 and summary.total == 6
    assert [day for day, _counts in summary.trend] == [date(2026, 11, 22)]  # that day is not singled out
    everyone = await storage.global_summary()
    assert everyone is not None and everyone.total == 6


async def test_user_summary_distribution_trend_and_window(storage: Storage) -> None:
    record(storage, 1, 7, ["happiness"], when=NOW - timedelta(days=2))
    record(storage, 2, 7, ["sadness", "happiness"], when=NOW)
    record(storage, 3, 7, ["fear"], when=NOW - timedelta(days=40))  # outside the 30-day window
    record(storage, 4, 8, ["anger"])  # someone else
    summary = await storage.user_summary(7)
    assert summary.counts == {"happiness": 2, "sadness": 1}
    assert (summary.total, summary.contributors, summary.photos) == (3, 1, 2)
    assert summary.trend == [
        (date(2026, 11, 20), {"happiness": 1}),
        (date(2026, 11, 22), {"sadness": 1, "happiness": 1}),
    ]
    assert (await storage.user_summary(7, days=60)).total == 4
    empty = await storage.user_summary(999)
    assert (empty.total, empty.contributors, empty.counts, empty.trend) == (0, 0, {}, [])


async def test_recent_user_emotions_includes_buffered_events(storage: Storage) -> None:
    record(storage, 1, 7, ["sadness"], when=NOW - timedelta(hours=30))
    record(storage, 2, 7, ["sadness"], when=NOW - timedelta(hours=5))
    await storage.flush()
    record(storage, 3, 7, ["happiness", "sadness"], when=NOW)  # still in the buffer
    record(storage, 2, 7, ["sadness"], when=NOW - timedelta(hours=5))  # a redelivery: not twice
    assert storage.pending == 3
    assert await storage.recent_user_emotions(7, since=timedelta(hours=24)) == ["sadness", "happiness", "sadness"]
    assert await storage.recent_user_emotions(8, since=timedelta(hours=24)) == []


async def test_opt_out(storage: Storage) -> None:
    assert not await storage.is_opted_out(7)
    record(storage, 1, 7, ["happiness"])
    await storage.set_opt_out(7, True)
    await storage.set_opt_out(7, True)  # idempotent
    assert await storage.is_opted_out(7)
    assert storage.pending == 0  # buffered events of the user are dropped
    record(storage, 2, 7, ["happiness"])  # recorded by mistake after opting out: never written
    record(storage, 3, 8, ["happiness"])
    assert await storage.flush() == 1
    await storage.set_opt_out(7, False)
    assert not await storage.is_opted_out(7)


async def test_chat_settings_defaults_round_trip_and_validation(storage: Storage) -> None:
    assert await storage.get_chat_settings(GROUP) == ChatSettings()
    custom = ChatSettings(mode="every_photo", annotate=False, user_cooldown_s=30, chat_cooldown_s=1.5, language="de")
    await storage.save_chat_settings(GROUP, custom)
    assert await storage.get_chat_settings(GROUP) == custom
    updated = ChatSettings(mode="off")
    await storage.save_chat_settings(GROUP, updated)
    assert await storage.get_chat_settings(GROUP) == updated
    assert await count(storage, chat_settings) == 1
    with pytest.raises(ValueError):
        await storage.save_chat_settings(GROUP, ChatSettings(mode="loud"))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await storage.save_chat_settings(GROUP, ChatSettings(user_cooldown_s=-1))


async def test_forget_user_deletes_only_their_data(storage: Storage) -> None:
    record(storage, 1, 7, ["happiness", "sadness"])
    record(storage, 2, 7, ["fear"], chat_id=7)
    record(storage, 3, 8, ["anger"])
    record(storage, 4, 9, ["anger"], chat_id=9)
    await storage.flush()
    await storage.set_opt_out(9, True)
    await storage.save_chat_settings(7, ChatSettings(language="de"))  # their private chat
    await storage.save_chat_settings(9, ChatSettings(language="en"))
    await storage.save_chat_settings(GROUP, ChatSettings(mode="off"))
    await storage.set_opt_out(7, True)

    assert await storage.forget_user(7) == 3 + 1 + 1  # events, opt-out, private chat settings
    assert (await storage.user_summary(7)).total == 0
    assert not await storage.is_opted_out(7)
    assert await storage.get_chat_settings(7) == ChatSettings()
    # everyone else untouched
    assert (await storage.user_summary(8)).total == 1
    assert (await storage.user_summary(9)).total == 1
    assert await storage.is_opted_out(9)
    assert (await storage.get_chat_settings(9)).language == "en"
    assert (await storage.get_chat_settings(GROUP)).mode == "off"
    assert await count(storage, mood_events) == 2 and await count(storage, opt_outs) == 1
    assert await storage.forget_user(7) == 0


async def test_forget_user_removes_buffered_events(storage: Storage) -> None:
    record(storage, 1, 7, ["happiness", "sadness"])
    assert await storage.forget_user(7) == 2
    assert storage.pending == 0 and await storage.flush() == 0


async def test_purge_expired(storage: Storage) -> None:
    storage.retention_days = 30
    record(storage, 1, 7, ["happiness"], when=NOW - timedelta(days=31))
    record(storage, 2, 7, ["sadness"], when=NOW - timedelta(days=29))
    record(storage, 3, 8, ["anger", "fear"], when=NOW - timedelta(days=400))
    await storage.flush()
    assert await storage.purge_expired(NOW) == 3
    assert await storage.purge_expired(NOW) == 0
    assert await count(storage, mood_events) == 1
    assert await storage.purge_expired(NOW + timedelta(days=60)) == 1
    storage.retention_days = 0  # disabled
    assert await storage.purge_expired(NOW + timedelta(days=999)) == 0


async def test_ping_and_metrics(storage: Storage) -> None:
    assert await storage.ping()
    assert (storage.pending, storage.dropped, storage.capacity) == (0, 0, 10_000)


async def test_from_settings_uses_settings(tmp_path: object) -> None:
    from bot.settings import Settings

    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/s.db", user_cooldown_s=42, write_buffer_size=77)
    store = Storage.from_settings(settings)
    assert store.default_chat_settings.user_cooldown_s == 42 and store.capacity == 77
    await store.close()


def test_utc_conversion_of_aware_times() -> None:
    from bot.storage.events import confidence_bucket, floor_hour

    assert floor_hour(datetime(2026, 1, 1, 1, 59, tzinfo=UTC) + timedelta(hours=0)) == datetime(2026, 1, 1, 1)
    from zoneinfo import ZoneInfo

    berlin = datetime(2026, 1, 1, 2, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert floor_hour(berlin) == datetime(2026, 1, 1, 1)
    assert [confidence_bucket(p) for p in (0.0, 0.099, 0.1, 0.55, 0.999, 1.0, 1.7, -1, float("nan"))] == [
        0, 0, 1, 5, 9, 9, 9, 0, 0,
    ]  # fmt: skip


async def test_start_schedules_the_retention_purge(db_url: str) -> None:
    from tests.storage.conftest import make_storage

    first = make_storage(db_url, flush_interval_s=3600)
    await first.start(run_retention=False)
    record(first, 1, 7, ["happiness"], when=NOW - timedelta(days=400))
    record(first, 2, 7, ["happiness"], when=NOW)
    await first.close()

    second = make_storage(db_url, retention_days=365)
    await second.start()  # runs purge_expired right away, then daily
    try:
        async with asyncio.timeout(10):
            while await count(second, mood_events) != 1:  # noqa: ASYNC110 - polling the database
                await asyncio.sleep(0.02)
    finally:
        await second.close()
