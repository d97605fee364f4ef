"""Fixtures for the deployment tests: the local Redis (shared rate-limit budget) and PostgreSQL."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator

import pytest


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """The real Redis on 127.0.0.1:6379 (skip if absent unless SHELLY_REQUIRE_REDIS=1)."""
    if not _reachable("127.0.0.1", 6379):
        if os.environ.get("SHELLY_REQUIRE_REDIS") == "1":
            pytest.fail("Redis is required (SHELLY_REQUIRE_REDIS=1) but 127.0.0.1:6379 is not reachable")
        pytest.skip("no Redis on 127.0.0.1:6379")
    yield "redis://127.0.0.1:6379/15"


@pytest.fixture
def namespace() -> str:
    return f"shelly-test:{uuid.uuid4().hex[:10]}"


def postgres_reachable() -> bool:
    return _reachable("127.0.0.1", 5432)


ADMIN_DSN = os.environ.get("SHELLY_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
async def fresh_postgres_url() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for one test (dropped afterwards), as an asyncpg SQLAlchemy URL."""
    import asyncpg
    from sqlalchemy.engine import make_url

    try:
        admin = await asyncpg.connect(ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("SHELLY_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required (SHELLY_REQUIRE_POSTGRES=1) but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    name = f"shelly_deploy_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield make_url(ADMIN_DSN).set(drivername="postgresql+asyncpg", database=name).render_as_string(
            hide_password=False)
    finally:
        admin = await asyncpg.connect(ADMIN_DSN, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
