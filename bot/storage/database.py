"""The one way to the database: every call has a deadline and goes through the circuit breaker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.breaker import Breaker
from bot.storage.engine import create_engine
from bot.storage.errors import StorageUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[T]]
DISPOSE_TIMEOUT_S = 2.0


class Database:
    """Engine + sessions + breaker. ``run(work)`` gives ``work`` a session (a transaction with ``write=True``)
    and returns its result, or raises ``StorageUnavailable`` when the breaker is open, the database fails, or
    it does not finish within the deadline.

    The work runs in its own task and the caller waits for that task at most the deadline: a frozen server can
    hang not only a query but also the rollback and connection clean-up after a cancellation, and none of that
    may hold up a reply. An abandoned task is cancelled and left to finish on its own (the driver's timeouts
    bound it)."""

    def __init__(self, url: str | URL, *, timeout_s: float, breaker_s: float) -> None:
        self.engine: AsyncEngine = create_engine(url, hide_parameters=True)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.timeout_s = timeout_s
        self.breaker = Breaker(breaker_s)
        self._abandoned: set[asyncio.Task[object]] = set()

    @property
    def available(self) -> bool:
        """False while the breaker is open (the database failed or hung recently)."""
        return self.breaker.closed

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def run(
        self, work: Work[T], *, operation: str, write: bool = False, timeout_s: float | None = None,
        force: bool = False,
    ) -> T:
        """``force`` skips the breaker's refusal (shutdown's last attempts); the outcome still updates it."""
        if not force and not self.breaker.allow():
            raise StorageUnavailable(f"database marked down: {operation} not attempted")
        deadline = self.timeout_s if timeout_s is None else timeout_s
        task: asyncio.Task[T] = asyncio.create_task(self._in_session(work, write), name=f"storage-{operation}")
        try:
            done, _pending = await asyncio.wait({task}, timeout=deadline)
        except BaseException:  # the caller was cancelled
            self._abandon(task)
            self.breaker.abandoned()
            raise
        if not done:
            self._abandon(task)
            self.breaker.failed()
            raise StorageUnavailable(f"database did not answer {operation} within {deadline:g} s")
        try:
            result = task.result()
        except (SQLAlchemyError, OSError) as exc:
            self.breaker.failed()
            raise StorageUnavailable(f"database unavailable during {operation} ({type(exc).__name__})") from exc
        except BaseException:
            self.breaker.abandoned()
            raise
        self.breaker.succeeded()
        return result

    async def _in_session(self, work: Work[T], write: bool) -> T:
        if write:
            async with self._sessions.begin() as session:
                return await work(session)
        async with self._sessions() as session:
            return await work(session)

    def _abandon(self, task: asyncio.Task[T]) -> None:
        task.cancel()
        self._abandoned.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[T]) -> None:
        self._abandoned.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("abandoned database call ended with %s", type(task.exception()).__name__)

    async def ping(self) -> bool:
        """True when the database answers ``SELECT 1`` within the deadline; False at once while the breaker is
        open (a due probe goes through). Never raises."""
        try:
            await self.run(lambda session: session.execute(text("SELECT 1")), operation="ping")
        except StorageUnavailable:
            return False
        return True

    async def dispose(self) -> None:
        """Close the pool, bounded: a frozen server must not hold up shutdown."""
        for task in list(self._abandoned):
            task.cancel()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DISPOSE_TIMEOUT_S):
                await asyncio.gather(*self._abandoned, return_exceptions=True)
        try:
            async with asyncio.timeout(DISPOSE_TIMEOUT_S):
                await self.engine.dispose()
        except (TimeoutError, SQLAlchemyError, OSError) as exc:
            log.warning("database connections not closed cleanly (%s)", type(exc).__name__)
