"""Fixtures for the deployment tests: the local Redis (shared rate-limit budget). PostgreSQL: ``fresh_postgres_url``
in ``tests/conftest.py``."""

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
