"""Fixtures for the storage tests: every ``db_url`` test runs on SQLite and on a fresh PostgreSQL database of the
shared server (``tests/pgcluster.py``; skipped when unreachable, failing with ``SHELLY_REQUIRE_POSTGRES=1``).
Fault tests use the throwaway cluster (``throwaway_pg`` in ``tests/conftest.py``) instead."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.storage import Storage
from bot.storage.models import mood_events
from tests.pgcluster import shared_postgres_database

NOW = datetime(2026, 11, 22, 12, 30, tzinfo=UTC)
SECRET = "test-pseudonym-secret"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/shelly.db"
        return
    async with shared_postgres_database() as url:
        yield url


def make_storage(url: str, **overrides: object) -> Storage:
    options: dict[str, object] = {
        "pseudonym_secret": SECRET,
        "auto_migrate": True,
        "flush_interval_s": 0.05,
        "breaker_s": 0.2,
        "close_timeout_s": 3.0,
        "clock": lambda: NOW,
    }
    options.update(overrides)
    return Storage(url, **options)  # type: ignore[arg-type]


@pytest.fixture
async def storage(db_url: str) -> AsyncIterator[Storage]:
    """A started storage whose background writer stays idle, so tests decide when events are flushed."""
    store = make_storage(db_url, flush_interval_s=3600)
    await store.start(run_retention=False)
    try:
        yield store
    finally:
        await store.close()


async def stored_rows(url: str) -> int:
    """Rows in ``mood_events``, counted through a storage of its own (so it works whatever the test's storage
    is doing)."""
    checker = make_storage(url)
    try:
        async with checker.engine.connect() as conn:
            return int((await conn.scalar(select(func.count()).select_from(mood_events))) or 0)
    finally:
        await checker.close()


async def wait_until(condition: Callable[[], bool], within_s: float = 15.0) -> None:
    async with asyncio.timeout(within_s):
        while not condition():  # noqa: ASYNC110 - polling a plain attribute, nothing to await on
            await asyncio.sleep(0.02)


def journal_lines(path: Path) -> int:
    return len(path.read_bytes().splitlines()) if path.exists() else 0



def take_sqlite_file_away(path: Path) -> None:
    """Move the SQLite file (and its -wal/-shm) aside and put a directory in its place: every new connection
    fails. Dispose the store's engine first so no pooled connection keeps the old file open."""
    away = path.parent / "away"
    away.mkdir()
    for name in os.listdir(path.parent):
        if name.startswith(path.name):
            shutil.move(path.parent / name, away / name)
    path.mkdir()


def put_sqlite_file_back(path: Path) -> None:
    path.rmdir()
    away = path.parent / "away"
    for name in os.listdir(away):
        shutil.move(away / name, path.parent / name)
    away.rmdir()
