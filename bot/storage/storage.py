"""``Storage``: the one object the bot talks to (see the package docstring for the interface)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, cast

from sqlalchemy import CursorResult, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.storage import events as ev
from bot.storage.buffer import WriteBuffer
from bot.storage.engine import create_engine
from bot.storage.errors import StorageUnavailable
from bot.storage.models import chat_settings, mood_events, opt_outs
from bot.storage.pseudonym import Pseudonymizer
from bot.storage.queries import K_ANONYMITY, summarise
from bot.storage.schema import prepare_schema
from bot.storage.types import CHAT_MODES, ChatSettings, MoodEvent, MoodSummary

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

BATCH_SIZE = 500  # rows per INSERT (10 bound parameters each: well under SQLite's and asyncpg's limits)
MAX_BACKOFF_S = 60.0
CLOSE_TIMEOUT_S = 5.0
PING_TIMEOUT_S = 3.0
HOT_READ_TIMEOUT_S = 2.0  # reads on the reply path (opt-out, chat settings) give up and answer from memory
CHAT_CACHE_SIZE = 10_000
RETENTION_INTERVAL_S = 24 * 3600.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _insert(dialect: str) -> Any:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _rowcount(result: Any) -> int:
    return max(0, cast(CursorResult[Any], result).rowcount or 0)


class Storage:
    def __init__(
        self,
        database_url: str | URL,
        *,
        pseudonym_secret: str | bytes,
        auto_migrate: bool = False,
        retention_days: int = 365,
        buffer_size: int = 10_000,
        flush_interval_s: float = 1.0,
        default_chat_settings: ChatSettings | None = None,
        batch_size: int = BATCH_SIZE,
        max_backoff_s: float = MAX_BACKOFF_S,
        close_timeout_s: float = CLOSE_TIMEOUT_S,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.engine: AsyncEngine = create_engine(database_url, hide_parameters=True)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._keys = Pseudonymizer(pseudonym_secret)
        self._auto_migrate = auto_migrate
        self.retention_days = retention_days
        self._buffer = WriteBuffer(buffer_size)
        self._interval = flush_interval_s
        self._batch_size = max(1, min(batch_size, buffer_size))
        self._max_backoff = max_backoff_s
        self._close_timeout = close_timeout_s
        self.default_chat_settings = default_chat_settings or ChatSettings()
        self.clock = clock
        self._flush_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._opted_out: set[str] = set()  # last known opt-outs, for answering during an outage
        self._chat_cache: OrderedDict[str, ChatSettings] = OrderedDict()
        self.flush_failures = 0  # consecutive failed flushes (0: healthy)
        self.written_total = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> Storage:
        return cls(
            settings.database_url,
            pseudonym_secret=settings.pseudonym_secret.get_secret_value(),
            auto_migrate=settings.auto_migrate,
            retention_days=settings.retention_days,
            buffer_size=settings.write_buffer_size,
            flush_interval_s=settings.write_flush_interval_s,
            default_chat_settings=ChatSettings(
                user_cooldown_s=settings.user_cooldown_s, chat_cooldown_s=settings.chat_cooldown_s
            ),
        )

    # --- life cycle -----------------------------------------------------------------------------------------

    async def start(self, *, run_retention: bool = True) -> None:
        """Check (or, with auto_migrate, upgrade) the schema, then start the write-behind task and the daily
        retention purge. Raises ``SchemaOutOfDate`` (message names ``shelly db upgrade``) or
        ``StorageUnavailable``. Calling it again while started does nothing."""
        if self._tasks:
            return
        async with self._db_errors("start"):
            await prepare_schema(self.engine, auto_migrate=self._auto_migrate)
            async with self._sessions() as session:
                self._opted_out = set(await session.scalars(select(opt_outs.c.user_key)))
        self._tasks.append(asyncio.create_task(self._flush_loop(), name="storage-write-behind"))
        if run_retention:
            self._tasks.append(asyncio.create_task(self.retention_loop(), name="storage-retention"))

    async def close(self) -> None:
        """Stop the background tasks, flush what is buffered (retrying for at most ``close_timeout_s``), dispose."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._close_timeout):
                for _attempt in itertools.count():
                    if (await self._drain())[1]:
                        break
                    await asyncio.sleep(min(0.5, self._interval))  # the database may be back in a moment
        if len(self._buffer):
            log.warning("storage closed with %d mood events not written", len(self._buffer))
        await self.engine.dispose()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # --- recording (write-behind) ---------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Events waiting in the buffer (including a batch being written)."""
        return len(self._buffer)

    @property
    def dropped(self) -> int:
        """Events dropped because the buffer was full, since start."""
        return self._buffer.dropped

    @property
    def capacity(self) -> int:
        return self._buffer.capacity

    def record_analysis(
        self,
        *,
        update_id: int,
        user_id: int,
        chat_id: int,
        chat_type: str,
        emotions: Sequence[tuple[str, float]],
        model_version: str,
        when: datetime,
    ) -> None:
        """Queue one event per face (index order). Never blocks and never raises; call from the event loop."""
        try:
            update_key, user_key = self._keys.update(update_id, chat_id), self._keys.user(user_id)
            chat_key, hour = self._keys.chat(chat_id), ev.floor_hour(when)
            kind, version = ev.normalise_chat_type(chat_type), ev.normalise_model_version(model_version)
            dropped = 0
            for index, (emotion, confidence) in enumerate(emotions):
                dropped += self._buffer.put(
                    MoodEvent(
                        update_key=update_key,
                        face_index=index,
                        user_key=user_key,
                        chat_key=chat_key,
                        chat_type=kind,
                        emotion=ev.normalise_emotion(emotion),
                        confidence_bucket=ev.confidence_bucket(confidence),
                        face_count=len(emotions),
                        model_version=version,
                        hour=hour,
                    )
                )
        except Exception:
            log.exception("could not queue a mood event")  # statistics must never break a reply
            return
        if dropped:
            log.warning(
                "mood event buffer full (%d): dropped %d oldest, %d dropped in all",
                self._buffer.capacity,
                dropped,
                self._buffer.dropped,
            )
        if len(self._buffer) >= self._batch_size:
            self._wake.set()

    async def flush(self) -> int:
        """Write everything buffered now. Returns the number of new rows (redelivered duplicates are not
        counted). On a database error it logs, keeps the events buffered and returns what it wrote so far."""
        written, _ok = await self._drain()
        return written

    async def _drain(self) -> tuple[int, bool]:
        written = 0
        while len(self._buffer):
            async with self._flush_lock:
                batch = self._buffer.take(self._batch_size)
                if not batch:
                    break
                try:
                    written += await self._write(batch)
                except (SQLAlchemyError, OSError) as exc:
                    dropped = self._buffer.failed()
                    self.flush_failures += 1
                    self.written_total += written
                    log.warning(
                        "could not write %d mood events (%s); keeping %d buffered (%d dropped to fit), will retry",
                        len(batch),
                        type(exc).__name__,
                        len(self._buffer),
                        dropped,
                    )
                    return written, False
                except BaseException:
                    self._buffer.failed()
                    raise
                self._buffer.done()
        if self.flush_failures:
            log.info("mood event writes recovered after %d failed attempts", self.flush_failures)
            self.flush_failures = 0
        self.written_total += written
        return written, True

    async def _write(self, batch: list[MoodEvent]) -> int:
        async with self._sessions.begin() as session:
            # Belt and braces: never store events of a user who opted out after the photo was queued.
            keys = {e.user_key for e in batch}
            opted = set(await session.scalars(select(opt_outs.c.user_key).where(opt_outs.c.user_key.in_(keys))))
            rows = [e.as_row() for e in batch if e.user_key not in opted]
            if not rows:
                return 0
            insert = _insert(session.get_bind().dialect.name)
            stmt = (
                insert(mood_events)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["update_key", "face_index"])
                .returning(mood_events.c.id)
            )
            return len((await session.execute(stmt)).all())

    async def _flush_loop(self) -> None:
        """Flush every ``flush_interval_s`` (sooner when a batch is full); back off exponentially while the
        database is unreachable."""
        delay = self._interval
        while True:
            if self.flush_failures:
                await asyncio.sleep(delay)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._interval)
            self._wake.clear()
            try:
                _written, ok = await self._drain()
            except Exception:
                log.exception("unexpected error in the mood event writer")
                ok = False
            if ok:
                delay = self._interval
            else:
                delay = min(self._max_backoff, max(delay, self._interval) * 2) * random.uniform(0.75, 1.0)

    # --- opt-out, chat settings -----------------------------------------------------------------------------

    async def is_opted_out(self, user_id: int) -> bool:
        """Asked for every photo, so it never fails a reply: when the database does not answer within a couple
        of seconds, the last known answer is used (all opt-outs are loaded at ``start``)."""
        key = self._keys.user(user_id)
        try:
            async with asyncio.timeout(HOT_READ_TIMEOUT_S), self._sessions() as session:
                found = await session.scalar(select(opt_outs.c.user_key).where(opt_outs.c.user_key == key))
        except (SQLAlchemyError, OSError) as exc:
            self._degraded("is_opted_out", exc)
            return key in self._opted_out
        self._remember_opt_out(key, found is not None)
        return found is not None

    async def set_opt_out(self, user_id: int, opted_out: bool) -> None:
        """Opting out also drops the user's events still waiting in the buffer (stored ones stay until
        ``forget_user``). Raises ``StorageUnavailable`` (then nothing changed in the database)."""
        key = self._keys.user(user_id)
        async with self._db_errors("set_opt_out"), self._flush_lock, self._sessions.begin() as session:
            if opted_out:
                self._buffer.remove_if(lambda e: e.user_key == key)
                insert = _insert(session.get_bind().dialect.name)
                await session.execute(insert(opt_outs).values(user_key=key).on_conflict_do_nothing())
            else:
                await session.execute(delete(opt_outs).where(opt_outs.c.user_key == key))
        self._remember_opt_out(key, opted_out)

    async def get_chat_settings(self, chat_id: int) -> ChatSettings:
        """The chat's stored settings, or the defaults (from ``Settings``) when none are stored. Like
        ``is_opted_out`` it never fails a reply: without the database it answers from the last values seen."""
        key = self._keys.chat(chat_id)
        try:
            async with asyncio.timeout(HOT_READ_TIMEOUT_S), self._sessions() as session:
                row = (await session.execute(select(chat_settings).where(chat_settings.c.chat_key == key))).first()
        except (SQLAlchemyError, OSError) as exc:
            self._degraded("get_chat_settings", exc)
            return self._chat_cache.get(key, self.default_chat_settings)
        if row is None:
            found = self.default_chat_settings
        else:
            found = ChatSettings(
                mode=row.mode if row.mode in CHAT_MODES else self.default_chat_settings.mode,
                annotate=bool(row.annotate),
                user_cooldown_s=float(row.user_cooldown_s),
                chat_cooldown_s=float(row.chat_cooldown_s),
                language=row.language,
            )
        self._remember_chat(key, found)
        return found

    def _remember_opt_out(self, key: str, opted_out: bool) -> None:
        (self._opted_out.add if opted_out else self._opted_out.discard)(key)

    def _remember_chat(self, key: str, settings: ChatSettings) -> None:
        self._chat_cache[key] = settings
        self._chat_cache.move_to_end(key)
        while len(self._chat_cache) > CHAT_CACHE_SIZE:
            self._chat_cache.popitem(last=False)

    def _degraded(self, operation: str, exc: BaseException) -> None:
        log.warning("database unavailable for %s (%s): answering from memory", operation, type(exc).__name__)

    async def save_chat_settings(self, chat_id: int, settings: ChatSettings) -> None:
        """Upsert; raises ``ValueError`` on invalid settings."""
        settings.validate()
        values = {
            "mode": settings.mode,
            "annotate": settings.annotate,
            "user_cooldown_s": settings.user_cooldown_s,
            "chat_cooldown_s": settings.chat_cooldown_s,
            "language": settings.language,
        }
        async with self._db_errors("save_chat_settings"), self._sessions.begin() as session:
            insert = _insert(session.get_bind().dialect.name)
            stmt = insert(chat_settings).values(chat_key=self._keys.chat(chat_id), **values)
            await session.execute(stmt.on_conflict_do_update(index_elements=["chat_key"], set_=values))
        self._remember_chat(self._keys.chat(chat_id), settings)

    # --- summaries ------------------------------------------------------------------------------------------

    def _since(self, days: int) -> datetime:
        return ev.floor_hour(self.clock()) - timedelta(days=days)

    async def user_summary(self, user_id: int, days: int = 30) -> MoodSummary:
        """The user's own distribution and daily trend over the last ``days`` days (flushes first, best effort,
        so the photo just sent counts)."""
        await self.flush()
        async with self._db_errors("user_summary"), self._sessions() as session:
            summary = await summarise(session, mood_events.c.user_key == self._keys.user(user_id), self._since(days))
        return summary

    async def chat_summary(self, chat_id: int, days: int = 30) -> MoodSummary | None:
        """The chat's distribution over the last ``days`` days; None below 3 distinct contributors (and trend
        days below 3 are left out)."""
        await self.flush()
        async with self._db_errors("chat_summary"), self._sessions() as session:
            where = mood_events.c.chat_key == self._keys.chat(chat_id)
            summary = await summarise(session, where, self._since(days), min_day_contributors=K_ANONYMITY)
        return summary if summary.contributors >= K_ANONYMITY else None

    async def global_summary(self, days: int = 30) -> MoodSummary | None:
        """Everyone's distribution over the last ``days`` days; same k-anonymity rules as ``chat_summary``."""
        await self.flush()
        async with self._db_errors("global_summary"), self._sessions() as session:
            where = mood_events.c.id.is_not(None)
            summary = await summarise(session, where, self._since(days), min_day_contributors=K_ANONYMITY)
        return summary if summary.contributors >= K_ANONYMITY else None

    async def recent_user_emotions(self, user_id: int, since: timedelta) -> list[str]:
        """Top emotions of the user's faces in roughly the last ``since`` (hour resolution, the cut-off hour
        included), oldest first, including events not yet written."""
        key, cutoff = self._keys.user(user_id), ev.floor_hour(self.clock() - since)
        columns = (mood_events.c.update_key, mood_events.c.face_index, mood_events.c.hour, mood_events.c.emotion)
        async with self._db_errors("recent_user_emotions"), self._sessions() as session:
            rows = (
                await session.execute(
                    select(*columns)
                    .where(mood_events.c.user_key == key, mood_events.c.hour >= cutoff)
                    .order_by(mood_events.c.hour, mood_events.c.id)
                )
            ).all()
        seen = {(r.update_key, r.face_index) for r in rows}
        found = [(r.hour, r.emotion) for r in rows]
        for e in self._buffer.matching(lambda e: e.user_key == key and e.hour >= cutoff):
            if (e.update_key, e.face_index) not in seen:
                seen.add((e.update_key, e.face_index))
                found.append((e.hour, e.emotion))
        return [emotion for _hour, emotion in sorted(found, key=lambda item: item[0])]

    # --- deletion -------------------------------------------------------------------------------------------

    async def forget_user(self, user_id: int) -> int:
        """Delete everything of the user: their events (stored and buffered), their opt-out and the settings of
        their private chat (same id as the user in Telegram). Returns the number of records removed."""
        user_key = self._keys.user(user_id)
        async with self._db_errors("forget_user"), self._flush_lock:
            removed = self._buffer.remove_if(lambda e: e.user_key == user_key)
            async with self._sessions.begin() as session:
                for stmt in (
                    delete(mood_events).where(mood_events.c.user_key == user_key),
                    delete(opt_outs).where(opt_outs.c.user_key == user_key),
                ):
                    removed += _rowcount(await session.execute(stmt))
                if user_id > 0:  # group and channel ids are negative: never the user's own
                    private = delete(chat_settings).where(chat_settings.c.chat_key == self._keys.chat(user_id))
                    removed += _rowcount(await session.execute(private))
        self._opted_out.discard(user_key)
        self._chat_cache.pop(self._keys.chat(user_id), None)
        return removed

    async def purge_expired(self, now: datetime | None = None) -> int:
        """Delete events older than ``retention_days`` (disabled when it is 0 or less); returns rows deleted."""
        if self.retention_days <= 0:
            return 0
        cutoff = ev.to_utc_naive(now or self.clock()) - timedelta(days=self.retention_days)
        async with self._db_errors("purge_expired"), self._sessions.begin() as session:
            return _rowcount(await session.execute(delete(mood_events).where(mood_events.c.hour < cutoff)))

    async def retention_loop(self, interval_s: float = RETENTION_INTERVAL_S) -> None:
        """Run ``purge_expired`` now and then every ``interval_s`` (``start`` schedules it)."""
        while True:
            try:
                purged = await self.purge_expired()
                if purged:
                    log.info("retention: deleted %d mood events older than %d days", purged, self.retention_days)
            except StorageUnavailable as exc:
                log.warning("retention purge failed (%s); retrying next time", exc)
            await asyncio.sleep(interval_s)

    # --- health ---------------------------------------------------------------------------------------------

    async def ping(self) -> bool:
        """True when the database answers within a few seconds. Never raises."""
        try:
            async with asyncio.timeout(PING_TIMEOUT_S), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError):
            return False
        return True

    @contextlib.asynccontextmanager
    async def _db_errors(self, operation: str) -> AsyncIterator[None]:
        try:
            yield
        except (SQLAlchemyError, OSError) as exc:
            raise StorageUnavailable(f"database unavailable during {operation} ({type(exc).__name__})") from exc
