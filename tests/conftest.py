"""Database fixtures shared by every test package (see ``tests/pgcluster.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.pgcluster import PgCluster, shared_postgres_database


@pytest.fixture
async def fresh_postgres_url() -> AsyncIterator[str]:
    """A new, empty database on the shared PostgreSQL server for one test (dropped afterwards)."""
    async with shared_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A throwaway PostgreSQL cluster for the whole session (created on first use; removed at the end)."""
    cluster = PgCluster.create()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def throwaway_pg(pg_cluster: PgCluster) -> Iterator[PgCluster]:
    """The throwaway cluster, running and thawed; whatever a test did to it is undone afterwards."""
    pg_cluster.thaw()
    if not pg_cluster.running:
        pg_cluster.start()
    try:
        yield pg_cluster
    finally:
        pg_cluster.thaw()
        if not pg_cluster.running:
            pg_cluster.start()
