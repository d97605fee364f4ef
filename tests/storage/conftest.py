"""Fixtures for the storage tests: every ``db_url`` test runs on SQLite and on a fresh PostgreSQL database.

PostgreSQL comes from ``SHELLY_TEST_POSTGRES_DSN`` (default: the local server's ``test`` database, used only
to create and drop ``shelly_test_<random>``). When it is unreachable the PostgreSQL cases are skipped, except
with ``SHELLY_REQUIRE_POSTGRES=1`` (CI), where they fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.storage import Storage

ADMIN_DSN = os.environ.get("SHELLY_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 11, 22, 12, 30, tzinfo=UTC)
SECRET = "test-pseudonym-secret"

_pg_error: list[str] = []  # cached reachability verdict: [] unknown, [""] reachable, ["why"] unreachable


async def _require_postgres() -> None:
    if not _pg_error:
        try:
            conn = await asyncpg.connect(ADMIN_DSN, timeout=5)
            await conn.close()
            _pg_error.append("")
        except (OSError, asyncpg.PostgresError) as exc:
            _pg_error.append(f"{type(exc).__name__}: {exc}")
    if _pg_error[0]:
        message = f"PostgreSQL unreachable at {make_url(ADMIN_DSN).render_as_string(hide_password=True)}"
        if os.environ.get("SHELLY_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{message} and SHELLY_REQUIRE_POSTGRES=1 ({_pg_error[0]})")
        pytest.skip(f"{message} ({_pg_error[0]})")


@contextlib.asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """Create ``shelly_test_<random>``, yield its async URL, drop it (even with connections left)."""
    await _require_postgres()
    name = f"shelly_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(ADMIN_DSN, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield (
            make_url(ADMIN_DSN)
            .set(drivername="postgresql+asyncpg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        admin = await asyncpg.connect(ADMIN_DSN, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/shelly.db"
        return
    async with fresh_postgres_database() as url:
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


class TcpProxy:
    """A local TCP relay in front of a server: ``stop()`` is an outage (refuses and cuts connections),
    ``start()`` again on the same port ends it, without touching the shared server."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()
        await self._server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, RuntimeError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
