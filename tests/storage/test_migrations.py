"""Alembic migrations up and down on both backends, the start-up schema check and ``shelly db``."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.cli import db as db_command
from bot.storage import SchemaOutOfDate, check_schema, schema
from bot.storage.engine import create_engine
from bot.storage.models import metadata
from tests.storage.conftest import make_storage

APP_TABLES = {"mood_events", "chat_settings", "opt_outs"}


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def _diff(conn: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata))


async def test_upgrade_from_empty_and_downgrade_to_base(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            assert not (await conn.run_sync(_tables)) & APP_TABLES
        await schema.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) >= APP_TABLES
            assert await conn.run_sync(_diff) == [], "models.py and the migrations disagree"
        assert await schema.current_revisions(engine) == schema.head_revisions()
        await check_schema(engine)

        await schema.downgrade(engine, "base")
        async with engine.connect() as conn:
            assert not (await conn.run_sync(_tables)) & APP_TABLES
        assert await schema.current_revisions(engine) == set()
        await schema.upgrade(engine)  # and up again from base
        await check_schema(engine)
    finally:
        await engine.dispose()


async def test_schema_check_refuses_out_of_date_schema(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        with pytest.raises(SchemaOutOfDate, match="shelly db upgrade"):
            await check_schema(engine)
        store = make_storage(db_url, auto_migrate=False)
        with pytest.raises(SchemaOutOfDate, match="shelly db upgrade"):
            await store.start()
        await store.close()

        await schema.upgrade(engine)
        await schema.downgrade(engine, "base")  # an older schema than the code's head
        with pytest.raises(SchemaOutOfDate, match="shelly db upgrade"):
            await check_schema(engine)
    finally:
        await engine.dispose()


async def test_auto_migrate_upgrades_at_start(db_url: str) -> None:
    for auto_migrate in (True, False):  # the second start finds the schema the first one created
        store = make_storage(db_url, auto_migrate=auto_migrate)
        await store.start(run_retention=False)
        await store.close()


async def test_schema_newer_than_code_is_refused(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await schema.upgrade(engine)
        async with engine.begin() as conn:
            await conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff'")
        with pytest.raises(SchemaOutOfDate, match="newer"):
            await check_schema(engine)
    finally:
        await engine.dispose()


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    db_command.add_arguments(parser)
    return db_command.run(parser.parse_args(list(argv)))


def test_db_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    assert _cli("--database-url", url, "current") == 1
    assert "shelly db upgrade" in capsys.readouterr().out
    assert _cli("--database-url", url, "upgrade") == 0
    assert _cli("--database-url", url, "current") == 0
    assert "up to date" in capsys.readouterr().out
    assert _cli("--database-url", url, "upgrade", "nonsense") == 2
    assert _cli("--database-url", url, "downgrade", "base") == 0
    assert _cli("--database-url", url, "current") == 1
    assert _cli("--database-url", "postgresql+asyncpg://nobody:secret@127.0.0.1:1/x", "current") == 2
    out = capsys.readouterr().out
    assert "cannot use the database" in out and "secret" not in out
