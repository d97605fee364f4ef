"""Nothing a person could be identified by reaches the database: scan every column of every table."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import MetaData, select
from sqlalchemy.engine import Connection

from bot.storage import ChatSettings, Storage

USER_ID = 123456789
OTHER_USER_ID = 987654321
GROUP_ID = -1001234567890
UPDATE_ID = 555666777
USERNAMES = ("shelly_fan_42", "Alice Liddell")


def _all_values(conn: Connection) -> list[tuple[str, str, object]]:
    meta = MetaData()
    meta.reflect(conn)
    found = []
    for table in meta.sorted_tables:
        for row in conn.execute(select(table)):
            for column, value in zip(table.columns.keys(), row, strict=True):
                found.append((table.name, column, value))
    return found


async def test_no_telegram_ids_or_names_in_any_column(storage: Storage) -> None:
    when = datetime(2026, 11, 22, 10, 17, 42, tzinfo=UTC)
    for offset, (user, chat, kind) in enumerate(
        [(USER_ID, USER_ID, "private"), (USER_ID, GROUP_ID, "supergroup"), (OTHER_USER_ID, GROUP_ID, "supergroup")]
    ):
        storage.record_analysis(
            update_id=UPDATE_ID + offset,
            user_id=user,
            chat_id=chat,
            chat_type=kind,
            emotions=[("happiness", 0.91), ("sadness", 0.42)],
            model_version="ferplus-test-1",
            when=when,
        )
    assert await storage.flush() == 6
    await storage.set_opt_out(OTHER_USER_ID, True)
    await storage.save_chat_settings(GROUP_ID, ChatSettings(mode="every_photo", language="de"))
    await storage.save_chat_settings(USER_ID, ChatSettings(annotate=False))

    async with storage.engine.connect() as conn:
        values = await conn.run_sync(_all_values)
    tables = {table for table, _column, _value in values}
    assert {"mood_events", "chat_settings", "opt_outs"} <= tables  # the scan is not vacuous

    needles = [str(n) for n in (USER_ID, OTHER_USER_ID, GROUP_ID, abs(GROUP_ID), UPDATE_ID)]
    needles += [name.lower() for name in USERNAMES]
    # an unkeyed hash of an id would be reversible by trying all ids
    needles += [hashlib.sha256(str(n).encode()).hexdigest() for n in (USER_ID, GROUP_ID, UPDATE_ID)]
    for table, column, value in values:
        if isinstance(value, int) and not isinstance(value, bool):
            assert value not in (USER_ID, OTHER_USER_ID, GROUP_ID, abs(GROUP_ID), UPDATE_ID), (table, column)
        text = str(value).lower()
        for needle in needles:
            assert needle not in text, f"{table}.{column} holds {needle!r}"

    hours = {v for t, c, v in values if (t, c) == ("mood_events", "hour")}
    assert {str(h)[:19] for h in hours} == {"2026-11-22 10:00:00"}  # rounded down to the hour
    buckets = {v for t, c, v in values if (t, c) == ("mood_events", "confidence_bucket")}
    assert buckets == {9, 4}


def test_keys_depend_on_the_secret() -> None:
    from bot.storage.pseudonym import Pseudonymizer

    a, b = Pseudonymizer("one"), Pseudonymizer("two")
    assert a.user(USER_ID) != b.user(USER_ID)
    assert a.user(USER_ID) != a.chat(USER_ID)  # a private chat's key is not the user's key
    assert len(a.update(UPDATE_ID, GROUP_ID)) == 64
    assert a.update(UPDATE_ID, GROUP_ID) != a.update(UPDATE_ID, USER_ID)
    assert a.user(USER_ID) == Pseudonymizer("one").user(USER_ID)
