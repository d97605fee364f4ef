"""``Storage``: the one object the bot talks to (see the package docstring for the interface). It owns the
life cycle and delegates: ``EventWriter`` (write-behind + journal), ``Preferences`` (opt-outs, chat settings),
``Statistics`` (summaries), ``Retention`` (forget, purge); all reach the database through ``Database``
(deadline + circuit breaker)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.chatref import ChatRefs
from bot.storage.database import Database
from bot.storage.errors import StorageUnavailable
from bot.storage.journal import Journal, default_journal_path
from bot.storage.preferences import FRESH_S, Preferences
from bot.storage.pseudonym import Pseudonymizer
from bot.storage.pulse import PulseStore
from bot.storage.retention import Retention
from bot.storage.schema import prepare_schema
from bot.storage.statistics import Statistics
from bot.storage.types import ChatSettings
from bot.storage.writer import BATCH_SIZE, EventWriter

if TYPE_CHECKING:
    from bot.settings import Settings

DEFAULT_TIMEOUT_S = 1.0
DEFAULT_BREAKER_S = 15.0
CLOSE_TIMEOUT_S = 5.0
SCHEMA_TIMEOUT_S = 120.0  # start-up may run migrations


def _utcnow() -> datetime:
    return datetime.now(UTC)


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
        timeout_s: float = DEFAULT_TIMEOUT_S,
        breaker_s: float = DEFAULT_BREAKER_S,
        close_timeout_s: float = CLOSE_TIMEOUT_S,
        journal_path: Path | None = None,
        clock: Callable[[], datetime] = _utcnow,
        fresh_s: float = FRESH_S,
    ) -> None:
        keys = Pseudonymizer(pseudonym_secret)
        self._db = Database(database_url, timeout_s=timeout_s, breaker_s=breaker_s)
        self._auto_migrate = auto_migrate
        self._close_timeout = close_timeout_s
        journal = Journal(journal_path) if journal_path is not None else None
        self._writer = EventWriter(
            self._db, keys, journal, buffer_size=buffer_size, flush_interval_s=flush_interval_s,
            batch_size=batch_size,
        )
        refs = ChatRefs(pseudonym_secret)
        self._preferences = Preferences(
            self._db, keys, self._writer, default_chat_settings or ChatSettings(), refs, fresh_s=fresh_s
        )
        self._pulse = PulseStore(self._db, keys, refs)
        self._statistics = Statistics(self._db, keys, self._writer, clock)
        self._retention = Retention(
            self._db, keys, self._writer, self._preferences, retention_days=retention_days, clock=clock
        )
        self._tasks: list[asyncio.Task[None]] = []
        # The interface, by delegation (see the package docstring).
        self.record_analysis = self._writer.record
        self.flush = self._writer.flush
        self.is_opted_out = self._preferences.is_opted_out
        self.set_opt_out = self._preferences.set_opt_out
        self.get_chat_settings = self._preferences.get_chat_settings
        self.recent_chat_settings = self._preferences.recent_chat_settings
        self.save_chat_settings = self._preferences.save_chat_settings
        self.user_summary = self._statistics.user_summary
        self.chat_summary = self._statistics.chat_summary
        self.global_summary = self._statistics.global_summary
        self.recent_user_emotions = self._statistics.recent_user_emotions
        self.forget_user = self._retention.forget_user
        self.purge_expired = self._retention.purge_expired
        self.ping = self._db.ping
        # weekly mood pulse (bot/pulse.py)
        self.acquire_lease = self._pulse.acquire_lease
        self.release_lease = self._pulse.release_lease
        self.pulse_chats = self._pulse.pulse_chats
        self.claim_pulse = self._pulse.claim_pulse
        self.pulse_posted = self._pulse.pulse_posted
        self.release_pulse = self._pulse.release_pulse
        self.pulse_weeks = self._pulse.pulse_weeks

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
            timeout_s=settings.db_timeout_s,
            breaker_s=settings.db_breaker_s,
            close_timeout_s=settings.db_close_timeout_s,
            journal_path=settings.journal_path or default_journal_path(settings.database_url),
        )

    # --- life cycle -----------------------------------------------------------------------------------------

    async def start(self, *, run_retention: bool = True) -> None:
        """Check (or, with auto_migrate, upgrade) the schema, load the opt-outs, replay the shutdown journal,
        then start the write-behind task and the daily retention purge. Raises ``SchemaOutOfDate`` or
        ``StorageUnavailable``. Calling it again while started does nothing."""
        if self._tasks:
            return
        try:
            async with asyncio.timeout(SCHEMA_TIMEOUT_S):
                await prepare_schema(self.engine, auto_migrate=self._auto_migrate)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            raise StorageUnavailable(f"database unavailable at start ({type(exc).__name__})") from exc
        await self._preferences.load()
        await self._writer.replay()
        self._tasks.append(asyncio.create_task(self._writer.run(), name="storage-write-behind"))
        if run_retention:
            self._tasks.append(asyncio.create_task(self._retention.run(), name="storage-retention"))

    async def close(self) -> None:
        """Stop the background tasks; write what is buffered, retrying for at most ``close_timeout_s`` even
        while the breaker is open; journal the rest (fsynced); dispose the engine (bounded)."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._preferences.close()
        await self._writer.close(self._close_timeout)
        await self._db.dispose()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # --- state for health, metrics and tests ----------------------------------------------------------------

    @property
    def engine(self) -> AsyncEngine:
        return self._db.engine

    @property
    def available(self) -> bool:
        """False while the circuit breaker is open: the database failed or hung within the last
        ``breaker_s`` seconds and calls answer from memory without trying it."""
        return self._db.available

    @property
    def pending(self) -> int:
        """Events waiting in the buffer (including a batch being written)."""
        return self._writer.pending

    @property
    def dropped(self) -> int:
        """Events dropped because the buffer was full, since start."""
        return self._writer.dropped

    @property
    def capacity(self) -> int:
        return self._writer.capacity

    @property
    def flush_failures(self) -> int:
        """Consecutive failed writes (0: healthy)."""
        return self._writer.flush_failures

    @property
    def journaled(self) -> int:
        """Events written to the shutdown journal by ``close``."""
        return self._writer.journaled

    @property
    def journal_path(self) -> Path | None:
        return self._writer.journal.path if self._writer.journal else None

    @property
    def retention_days(self) -> int:
        return self._retention.retention_days

    @retention_days.setter
    def retention_days(self, days: int) -> None:
        self._retention.retention_days = days

    @property
    def default_chat_settings(self) -> ChatSettings:
        return self._preferences.defaults

    @property
    def breaker_opened(self) -> int:
        """How often the breaker opened since start (metrics)."""
        return self._db.breaker.opened

    @property
    def answered_without_database(self) -> int:
        """Calls the open breaker answered without touching the database, since start (metrics, tests)."""
        return self._db.breaker.refused
