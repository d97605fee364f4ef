"""Group admin controls stored with the chat's settings: round trip on both backends, restarts, validation,
and the 0001 -> 0002 migration keeping existing chats' settings (new columns get their defaults)."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

import pytest
from sqlalchemy import text

from bot.storage import ChatSettings, Storage
from bot.storage import schema as storage_schema
from bot.storage.engine import create_engine
from bot.storage.pseudonym import Pseudonymizer
from bot.storage.types import parse_time_zone
from tests.storage.conftest import SECRET, make_storage

GROUP = -100777

RULES = ChatSettings(mode="every_photo", ask="admins", quiet_start=22, quiet_end=7, time_zone="Europe/Berlin",
                     auto_delete_min=15, topics=(0, 42))


async def test_group_controls_survive_a_restart(db_url: str) -> None:
    first = make_storage(db_url)
    await first.start(run_retention=False)
    try:
        assert (await first.get_chat_settings(GROUP)).ask == "everyone"
        await first.save_chat_settings(GROUP, RULES)
    finally:
        await first.close()
    second: Storage = make_storage(db_url)
    await second.start(run_retention=False)
    try:
        assert await second.get_chat_settings(GROUP) == RULES
        assert await second.get_chat_settings(GROUP + 1) == ChatSettings()
    finally:
        await second.close()


@pytest.mark.parametrize("bad", [
    {"ask": "anyone"},
    {"quiet_start": 22},  # no end
    {"quiet_start": 7, "quiet_end": 7},
    {"quiet_start": 24, "quiet_end": 7},
    {"time_zone": "Mars/Olympus"},
    {"time_zone": "UTC+15"},
    {"time_zone": "../../etc/passwd"},
    {"auto_delete_min": -1},
    {"auto_delete_min": 48 * 60},
    {"topics": (3, 3)},
    {"topics": (-1,)},
])
def test_invalid_group_controls_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ChatSettings(**bad).validate()  # type: ignore[arg-type]


def test_time_zones_by_name_and_offset() -> None:
    assert parse_time_zone("UTC") == UTC
    assert parse_time_zone("UTC+3") == timezone(timedelta(hours=3))
    assert parse_time_zone("UTC-05:30") == timezone(-timedelta(hours=5, minutes=30))
    assert str(parse_time_zone("Asia/Kolkata")) == "Asia/Kolkata"
    assert ChatSettings(time_zone="Gone/Away").tz == UTC  # never breaks a reply


async def test_migration_keeps_existing_settings(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await storage_schema.upgrade(engine, "0001")
        async with engine.begin() as conn:  # a chat configured before the group controls existed
            await conn.execute(text(
                "INSERT INTO chat_settings (chat_key, mode, annotate, user_cooldown_s, chat_cooldown_s, language) "
                "VALUES (:key, 'off', false, 5.0, 1.0, 'de')"), {"key": Pseudonymizer(SECRET).chat(GROUP)})
        await storage_schema.upgrade(engine, "0002_group_controls")
    finally:
        await engine.dispose()
    store = make_storage(db_url)
    await store.start(run_retention=False)
    try:
        assert await store.get_chat_settings(GROUP) == ChatSettings(
            mode="off", annotate=False, user_cooldown_s=5.0, chat_cooldown_s=1.0, language="de")
    finally:
        await store.close()
