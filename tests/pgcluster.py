"""PostgreSQL for tests: fresh databases on the shared server, and a throwaway cluster to break.

* ``shared_postgres_database()`` creates ``shelly_test_<random>`` on the shared server
  (``SHELLY_TEST_POSTGRES_DSN``, default ``postgresql://postgres@127.0.0.1:5432/test``), yields its asyncpg URL and
  drops it. Never stop or freeze that server.
* ``PgCluster`` is a private cluster (initdb + pg_ctl in a temporary directory, a free port on 127.0.0.1, trust
  auth) for fault injection: ``stop()`` (immediate shutdown: a crash), ``start()`` again on the same port and data,
  ``freeze()`` (SIGSTOP the postmaster and all its children: connections and queries hang) and ``thaw()``. As root
  it runs the server as the ``postgres`` user (root cannot run postgres).

Unavailable PostgreSQL skips the test, except with ``SHELLY_REQUIRE_POSTGRES=1`` (CI), where it fails. The pytest
fixtures are in ``tests/conftest.py``: ``fresh_postgres_url``, ``pg_cluster`` (session) and ``throwaway_pg``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.ports import free_port

ADMIN_DSN = os.environ.get("SHELLY_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
_shared_error: list[str] = []  # cached reachability verdict: [] unknown, [""] reachable, ["why"] unreachable


def unavailable(message: str) -> None:
    """Skip, or fail in CI (``SHELLY_REQUIRE_POSTGRES=1``)."""
    if os.environ.get("SHELLY_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{message} and SHELLY_REQUIRE_POSTGRES=1")
    pytest.skip(message)


@contextlib.asynccontextmanager
async def _create_and_drop(admin_dsn: str, prefix: str) -> AsyncIterator[str]:
    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(admin_dsn, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield make_url(admin_dsn).set(drivername="postgresql+asyncpg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        with contextlib.suppress(OSError, asyncpg.PostgresError, TimeoutError):  # a test may leave it stopped
            admin = await asyncpg.connect(admin_dsn, timeout=5)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()


@contextlib.asynccontextmanager
async def shared_postgres_database(prefix: str = "shelly_test") -> AsyncIterator[str]:
    """A new empty database on the shared server for one test, as an asyncpg SQLAlchemy URL."""
    if not _shared_error:
        try:
            await (await asyncpg.connect(ADMIN_DSN, timeout=5)).close()
            _shared_error.append("")
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            _shared_error.append(f"{type(exc).__name__}: {exc}")
    if _shared_error[0]:
        where = make_url(ADMIN_DSN).render_as_string(hide_password=True)
        unavailable(f"PostgreSQL unreachable at {where} ({_shared_error[0]})")
    async with _create_and_drop(ADMIN_DSN, prefix) as url:
        yield url


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None



def _children(pid: int) -> list[int]:
    """All descendants of ``pid`` (from /proc)."""
    parents: dict[int, list[int]] = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(Path(stat).parent.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class PgCluster:
    def __init__(self, bindir: Path, root: Path, port: int) -> None:
        self.bindir, self.root, self.port = bindir, root, port
        self.data = root / "data"
        self.frozen: list[int] = []

    @classmethod
    def create(cls) -> PgCluster:
        """initdb in a new temporary directory (not started). Calls ``unavailable`` without PostgreSQL."""
        bindir = _bindir()
        if bindir is None:
            unavailable("no PostgreSQL server binaries (initdb) for the throwaway cluster")
            raise AssertionError("unreachable")
        root = Path(tempfile.mkdtemp(prefix="shelly-pg-"))
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        cluster = cls(bindir, root, free_port())
        cluster._pg("initdb", "-D", str(cluster.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        return cluster

    def _pg(self, tool: str, *args: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run(
            [*as_postgres, str(self.bindir / tool), *args], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def running(self) -> bool:
        return self.postmaster_pid is not None

    @property
    def postmaster_pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError):
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            os.kill(pid, 0)
            return pid
        return None

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off "
            "-c max_connections=60 -c shared_buffers=16MB"
        )
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w",
                 "-t", "60", "start")

    def stop(self) -> None:
        """Immediate shutdown (like a crash: no checkpoint; committed data survives)."""
        self.thaw()
        if self.running:
            self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def freeze(self) -> None:
        """SIGSTOP the postmaster (first: it can fork no more) and every child: the server hangs."""
        pid = self.postmaster_pid
        assert pid is not None, "the cluster is not running"
        os.kill(pid, signal.SIGSTOP)
        self.frozen = [pid, *_children(pid)]
        for child in self.frozen[1:]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self.frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self.frozen = []

    def destroy(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    @contextlib.asynccontextmanager
    async def fresh_database(self) -> AsyncIterator[str]:
        """A new empty database in this cluster, as an asyncpg SQLAlchemy URL (dropped afterwards if running)."""
        async with _create_and_drop(self.admin_dsn, "shelly_fault") as url:
            yield url
