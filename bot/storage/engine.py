"""Async engine creation with per-dialect settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

CONNECT_TIMEOUT_S = 5.0  # a dead database must fail fast, never hang a flush for a minute
COMMAND_TIMEOUT_S = 30.0  # driver-level bound on one statement (migrations included); calls have shorter deadlines
LOCK_TIMEOUT_S = 5.0  # SQLite: how long a statement waits for another writer's lock


def normalise_url(url: str | URL) -> URL:
    """Accept plain ``postgresql://`` / ``postgres://`` / ``sqlite://`` URLs and pick the async drivers."""
    if isinstance(url, str) and url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed


def create_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    parsed = normalise_url(url)
    options: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            options.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            options.update(connect_args={"timeout": LOCK_TIMEOUT_S})
        engine = create_async_engine(parsed, **(options | kwargs))
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        options.update(connect_args={"timeout": CONNECT_TIMEOUT_S, "command_timeout": COMMAND_TIMEOUT_S})
    return create_async_engine(parsed, **(options | kwargs))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the write-behind flush
    cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across crashes, fewer fsyncs
    cursor.execute(f"PRAGMA busy_timeout={int(LOCK_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
