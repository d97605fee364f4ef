"""Write-behind for mood events: a bounded buffer written in batches by a background task, and at shutdown a
journal for whatever the database would not take."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import events as ev
from bot.storage.buffer import WriteBuffer
from bot.storage.database import Database
from bot.storage.errors import StorageUnavailable
from bot.storage.journal import Journal
from bot.storage.models import mood_events, opt_outs
from bot.storage.pseudonym import Pseudonymizer
from bot.storage.types import MoodEvent

log = logging.getLogger(__name__)

BATCH_SIZE = 500  # rows per INSERT (10 bound parameters each: well under SQLite's and asyncpg's limits)
WRITE_TIMEOUT_FACTOR = 5  # a batch may take this many reply deadlines (it is off the reply path)


def insert_for(dialect: str) -> Any:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def insert_events(session: AsyncSession, batch: Sequence[MoodEvent]) -> int:
    """Insert, skipping (update key, face index) pairs already stored and users who opted out (also those who
    opted out after the photo was queued). Returns the number of new rows."""
    keys = {e.user_key for e in batch}
    opted = set(await session.scalars(select(opt_outs.c.user_key).where(opt_outs.c.user_key.in_(keys))))
    rows = [e.as_row() for e in batch if e.user_key not in opted]
    if not rows:
        return 0
    stmt = (
        insert_for(session.get_bind().dialect.name)(mood_events)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["update_key", "face_index"])
        .returning(mood_events.c.id)
    )
    return len((await session.execute(stmt)).all())


class EventWriter:
    def __init__(
        self,
        db: Database,
        keys: Pseudonymizer,
        journal: Journal | None,
        *,
        buffer_size: int,
        flush_interval_s: float,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._db = db
        self._keys = keys
        self.journal = journal
        self._buffer = WriteBuffer(buffer_size)
        self._interval = flush_interval_s
        self._batch_size = max(1, min(batch_size, buffer_size))
        self._lock = asyncio.Lock()  # one batch in flight; opt-out and forget wait for it
        self._wake = asyncio.Event()
        self._wake_at = max(1, min(self._batch_size, buffer_size // 2))
        self._journal_waiting = False  # the journal holds events to write once the database answers
        self.flush_failures = 0  # consecutive failed flushes (0: healthy)
        self.journaled = 0  # events written to the journal (at shutdown, or spilled during a long outage)

    @property
    def pending(self) -> int:
        return len(self._buffer)

    @property
    def dropped(self) -> int:
        return self._buffer.dropped

    @property
    def capacity(self) -> int:
        return self._buffer.capacity

    def record(
        self, *, update_id: int, user_id: int, chat_id: int, chat_type: str,
        emotions: Sequence[tuple[str, float]], model_version: str, when: datetime,
    ) -> None:
        """Queue one event per face (index order). Never blocks and never raises; call from the event loop."""
        try:
            update_key, user_key = self._keys.update(update_id, chat_id), self._keys.user(user_id)
            chat_key, hour = self._keys.chat(chat_id), ev.floor_hour(when)
            kind, version = ev.normalise_chat_type(chat_type), ev.normalise_model_version(model_version)
            dropped = sum(
                self._buffer.put(
                    MoodEvent(
                        update_key=update_key, face_index=index, user_key=user_key, chat_key=chat_key,
                        chat_type=kind, emotion=ev.normalise_emotion(emotion),
                        confidence_bucket=ev.confidence_bucket(confidence), face_count=len(emotions),
                        model_version=version, hour=hour,
                    )
                )
                for index, (emotion, confidence) in enumerate(emotions)
            )
        except Exception:
            log.exception("could not queue a mood event")  # statistics must never break a reply
            return
        if dropped:
            log.warning(
                "mood event buffer full (%d): dropped %d oldest, %d dropped in all",
                self._buffer.capacity, dropped, self._buffer.dropped,
            )
        if len(self._buffer) >= self._wake_at:
            self._wake.set()

    def buffered(self, predicate: Callable[[MoodEvent], bool]) -> list[MoodEvent]:
        return self._buffer.matching(predicate)

    def discard(self, predicate: Callable[[MoodEvent], bool]) -> int:
        """Drop matching buffered events (hold ``exclusive()`` so a batch in flight is not written after)."""
        return self._buffer.remove_if(predicate)

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """No batch in flight while inside; waiting for one is bounded by the database deadline."""
        try:
            async with asyncio.timeout(self._db.timeout_s):
                await self._lock.acquire()
        except TimeoutError as exc:
            raise StorageUnavailable("a write to the database is hanging") from exc
        try:
            yield
        finally:
            self._lock.release()

    async def flush(self, *, timeout_s: float | None = None) -> int:
        """Write everything buffered now; returns new rows. Never raises: on failure events stay buffered.
        ``timeout_s`` bounds each batch (default: ``WRITE_TIMEOUT_FACTOR`` reply deadlines)."""
        written, _ok = await self.drain(timeout_s=timeout_s)
        return written

    async def drain(self, *, force: bool = False, timeout_s: float | None = None) -> tuple[int, bool]:
        deadline = self._db.timeout_s * WRITE_TIMEOUT_FACTOR if timeout_s is None else timeout_s
        written = 0
        while len(self._buffer):
            try:
                async with asyncio.timeout(deadline):  # a hung batch in flight must not hold up a summary
                    await self._lock.acquire()
            except TimeoutError:
                return written, False
            try:
                batch = self._buffer.take(self._batch_size)
                if not batch:
                    break
                try:
                    written += await self._db.run(
                        lambda session, b=batch: insert_events(session, b),  # type: ignore[misc]
                        operation="write", write=True, force=force, timeout_s=deadline,
                    )
                except StorageUnavailable as exc:
                    dropped = self._buffer.failed()
                    self.flush_failures += 1
                    (log.warning if self.flush_failures == 1 else log.debug)(
                        "could not write %d mood events (%s); keeping %d buffered (%d dropped to fit), will retry",
                        len(batch), exc, len(self._buffer), dropped,
                    )
                    return written, False
                except BaseException:
                    self._buffer.failed()
                    raise
                self._buffer.done()
            finally:
                self._lock.release()
        if self.flush_failures:
            log.info("mood event writes recovered after %d failed attempts", self.flush_failures)
            self.flush_failures = 0
        return written, True

    async def run(self) -> None:
        """Flush every ``flush_interval_s`` (sooner when a batch is full). While the database is down: retry when
        the breaker allows, probe it even with nothing to write (so that health recovers by itself), and move the
        older half of a filling buffer to the journal instead of dropping events; once the database answers again,
        write the journal too."""
        while True:
            down = self.flush_failures or not self._db.available
            wait = max(self._interval, self._db.breaker.retry_in) * random.uniform(1.0, 1.2) if down else self._interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
            self._wake.clear()
            try:
                await self._step()
            except Exception:
                log.exception("unexpected error in the mood event writer")

    async def _step(self) -> None:
        if len(self._buffer):
            if not (await self.drain())[1]:
                await self._spill()
                return
        elif not self._db.available and not await self._db.ping():
            return
        if self._journal_waiting:
            await self.replay()

    async def _spill(self) -> None:
        if self.journal is None or len(self._buffer) < self.capacity // 2:
            return
        events = self._buffer.spill(keep=self.capacity // 4)
        try:
            self.journaled += await asyncio.to_thread(self.journal.append, events)
        except OSError as exc:
            for event in events:
                self._buffer.put(event)
            log.error("could not journal %d buffered mood events (%s)", len(events), type(exc).__name__)
            return
        self._journal_waiting = True
        log.warning("database still unavailable: %d buffered mood events moved to the journal", len(events))

    async def close(self, timeout_s: float) -> None:
        """Keep trying to write for ``timeout_s`` (past the breaker: the database may be back), then journal the
        rest; the journal is written even when the caller cancels ``close`` (a shutdown deadline of its own).
        Never raises, except the caller's cancellation."""
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout_s):
                    while not (await self.drain(force=True))[1]:  # noqa: ASYNC110 - retrying, not polling
                        await asyncio.sleep(min(0.5, self._interval))
        finally:
            self._journal_the_rest()

    def _journal_the_rest(self) -> None:
        """Synchronous on purpose (a few milliseconds, once, at shutdown): it must not be interruptible."""
        left = self._buffer.matching(lambda _e: True)
        if not left:
            return
        if self.journal is None:
            log.warning("storage closed with %d mood events not written (no journal configured)", len(left))
            return
        try:
            self.journaled += self.journal.append(left)
        except OSError as exc:
            log.error("could not journal %d mood events (%s): they are lost", len(left), type(exc).__name__)
            return
        self._buffer.remove_if(lambda _e: True)
        log.warning("database unavailable at shutdown: %d mood events journaled for the next start", len(left))

    async def replay(self) -> int:
        """Write the journal (left by a shutdown, or spilled during an outage) and delete it; returns new rows.
        If the database fails meanwhile, the file stays and the writer tries again once the database answers
        (a later replay counts nothing twice)."""
        if self.journal is None:
            return 0
        claim = await asyncio.to_thread(self.journal.claim)
        if claim is None:
            return 0
        written = 0
        try:
            for start in range(0, len(claim.events), self._batch_size):
                batch = claim.events[start : start + self._batch_size]
                written += await self._db.run(
                    lambda session, b=batch: insert_events(session, b),  # type: ignore[misc]
                    operation="replay", write=True, timeout_s=self._db.timeout_s * WRITE_TIMEOUT_FACTOR,
                )
        except StorageUnavailable as exc:
            await asyncio.to_thread(self.journal.release, claim)
            self._journal_waiting = True
            log.warning("journal replay interrupted (%s): file kept for a later attempt", exc)
            return written
        except BaseException:
            self.journal.release(claim)
            raise
        await asyncio.to_thread(self.journal.remove, claim)
        self._journal_waiting = False
        log.info("journal replayed: %d events, %d new", len(claim.events), written)
        return written
