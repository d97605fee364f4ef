"""SIGTERM while the database is down, in a real process: the events it could not write are journaled, and the
next start on the recovered database writes them: none lost, none counted twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.storage.models import mood_events
from tests.pgcluster import PgCluster
from tests.storage.conftest import SECRET, journal_lines, make_storage

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def _line(proc: asyncio.subprocess.Process) -> str:
    assert proc.stdout is not None
    async with asyncio.timeout(60):
        return (await proc.stdout.readline()).decode().strip()


async def _command(proc: asyncio.subprocess.Process, text: str) -> str:
    assert proc.stdin is not None
    proc.stdin.write(text.encode() + b"\n")
    await proc.stdin.drain()
    return await _line(proc)


@pytest.mark.parametrize("fault", ["stop", "freeze"])
async def test_sigterm_with_database_down_loses_nothing(throwaway_pg: PgCluster, tmp_path: Path, fault: str) -> None:
    journal = tmp_path / "journal.jsonl"
    async with throwaway_pg.fresh_database() as url:
        env = os.environ | {
            "DATABASE_URL": url, "SHELLY_JOURNAL_PATH": str(journal), "SHELLY_PSEUDONYM_SECRET": SECRET,
            "SHELLY_AUTO_MIGRATE": "1", "SHELLY_DB_CLOSE_TIMEOUT_S": "1", "SHELLY_DB_BREAKER_S": "1",
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.storage.journal_child", env=env,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        try:
            assert await _line(proc) == "ready"
            assert await _command(proc, "record 0 10") == "ok 10 0"
            getattr(throwaway_pg, fault)()
            assert await _command(proc, "record 10 24") == "ok 0 14"
            assert await _command(proc, "record 5 12") == "ok 0 21"  # redeliveries: 5..9 stored, 10, 11 buffered
            proc.send_signal(signal.SIGTERM)
            assert await _line(proc) == "closed journaled=21 pending=0"
            assert await proc.wait() == 0
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        assert journal_lines(journal) == 21

        throwaway_pg.thaw()
        if not throwaway_pg.running:
            throwaway_pg.start()
        store = make_storage(url, journal_path=journal)
        await store.start(run_retention=False)
        try:
            assert not journal.exists()
            async with store.engine.connect() as conn:
                rows = await conn.scalar(select(func.count()).select_from(mood_events))
                updates = await conn.scalar(select(func.count(func.distinct(mood_events.c.update_key))))
            assert rows == updates == 24  # 0 lost, 0 counted twice
        finally:
            await store.close()
