"""Shelly's statistics storage: anonymised mood events, chat settings and opt-outs (SQLAlchemy 2 async).

Raw Telegram ids go in; only keyed pseudonyms are stored (``HMAC-SHA256(settings.pseudonym_secret,
"user:<id>" | "chat:<id>" | "update:<update_id>:<chat_id>")``, hex). Never names, usernames, photos, captions,
file ids or EXIF.

The interface the bot uses::

    storage = Storage.from_settings(settings)
    await storage.start()          # check the schema (SchemaOutOfDate names `shelly db upgrade`; with
                                   # settings.auto_migrate it upgrades instead), load the opt-outs, replay the
                                   # shutdown journal, start the write-behind task and the daily retention purge.
                                   # Raises StorageUnavailable if the DB is unreachable (the journal is kept).
    await storage.close()          # stop tasks; write the buffer, retrying for settings.db_close_timeout_s even
                                   # while the breaker is open; journal what is left (fsynced); dispose (bounded)

    storage.record_analysis(update_id=..., user_id=..., chat_id=..., chat_type="private"|"group"|"supergroup"|
                            "channel", emotions=[(top_emotion, confidence), ...]  # one per face, index order
                            , model_version="...", when=datetime)  # sync, never blocks, never raises
    await storage.flush() -> int   # write buffered events now; new rows written (duplicates not counted);
                                   # never raises: on DB errors the events stay buffered
    storage.pending: int           # events in the buffer (metrics); also .dropped (full-buffer drops), .capacity,
                                   # .flush_failures (consecutive failed writes, 0 = healthy), .journaled
    storage.available: bool        # False while the circuit breaker is open (for /healthz and metrics); also
                                   # .breaker_opened and .answered_without_database (counters since start)

    await storage.is_opted_out(user_id) -> bool      # from memory, never waits: all opt-outs, loaded at start,
                                                     # changed here at once, reloaded in the background every
                                                     # 10 s (FRESH_S: other replicas' changes)
    await storage.set_opt_out(user_id, opted_out)    # opting out also drops that user's buffered events, and
                                                     # events of opted-out users are never written
    await storage.get_chat_settings(chat_id) -> ChatSettings   # defaults (cooldowns from Settings) if none stored;
                                   # from memory for 10 s after a read (FRESH_S), then read again, concurrent
                                   # reads merged into one query; never raises: without the database, the last
                                   # settings seen (or the defaults)
    await storage.recent_chat_settings(chat_id)   # the last settings this process read or saved; reads only if none
    await storage.save_chat_settings(chat_id, ChatSettings(...))   # ValueError on invalid values (.validate())

    await storage.user_summary(user_id, days=30) -> MoodSummary          # own distribution + daily trend
    await storage.chat_summary(chat_id, days=30) -> MoodSummary | None   # None below 3 distinct contributors;
                                   # trend days with fewer than 3 contributors are left out (totals keep them)
    await storage.global_summary(days=30) -> MoodSummary | None          # same k-anonymity rule
    await storage.recent_user_emotions(user_id, since=timedelta(...)) -> list[str]   # oldest first, hour
                                   # resolution, includes still-buffered events (the "sad several times" rule);
                                   # never raises: without the database, the buffered events only

    await storage.forget_user(user_id) -> int   # deletes the user's events (stored and buffered), opt-out and
                                                # their private chat's settings; returns the number removed
    await storage.purge_expired(now=None) -> int   # events older than settings.retention_days
    # weekly mood pulse, safe with several replicas (bot/storage/pulse.py):
    await storage.acquire_lease(name, holder, ttl: timedelta, now) -> bool   # atomic take/renew/steal-expired
    await storage.release_lease(name, holder)
    await storage.pulse_chats() -> list[int]       # chats with ChatSettings.pulse on (ids stored sealed, AES-GCM)
    await storage.claim_pulse(chat_id, week) -> bool   # idempotency key per chat and ISO week: True once
    await storage.pulse_posted(chat_id, week, when) / release_pulse(chat_id, week) / pulse_weeks(chat_id)
    await storage.ping() -> bool                   # DB answers within the deadline (for /healthz); never raises;
                                                   # False at once while the breaker is open

Exceptions: ``SchemaOutOfDate`` and ``StorageUnavailable`` (both ``RuntimeError``, importable from here).
Everything else that reads or changes data raises ``StorageUnavailable`` when the database is down, hangs, or the
breaker is open; summaries flush first (best effort) so a photo just sent is counted. Summaries count faces, not
photos; the trend lists the UTC days that have data.
Charts for summaries: ``bot.charts.render_mood_chart(summary, title, language) -> PNG bytes``.

A database that fails or hangs costs a reply at most ``settings.db_timeout_s`` (default 1 s): every call runs
under that deadline (writes of the background writer under 5x, the retention purge under the driver's statement
timeout), on top of driver timeouts (asyncpg ``timeout``/``command_timeout``, SQLite ``timeout``/busy_timeout).
The first failure or timeout opens a circuit breaker for ``settings.db_breaker_s`` (default 15 s): calls then
answer from memory, or raise, without touching the database; afterwards one call probes it (the background
writer probes by itself, so ``available`` recovers without traffic).

Durable shutdown: mood events still buffered when ``close`` gives up (or is cancelled) are appended to
``settings.journal_path`` (default ``shelly-journal.jsonl`` next to the SQLite file, else in the working directory):
JSON lines with exactly the stored values (pseudonyms, never raw ids), fsynced, ``flock``ed. ``start`` writes them
and only then deletes the file; a line cut short by a crash is skipped with a warning; replaying again counts
nothing twice (update key + face index are unique). During a long outage the writer also moves the older half of a
half-full buffer to the journal (memory stays bounded, nothing is dropped) and writes it once the database answers;
those events no longer count in ``recent_user_emotions`` until then.

Stored per analysed face (table ``mood_events``): update key + face index (unique: a redelivered update is counted
once), user key, chat key, chat type, emotion, confidence decile 0..9 (``b/10 <= p < (b+1)/10``), number of faces
in the photo, model version, and the time rounded DOWN to the UTC hour. Update ids are hashed too (with the chat
id): they are sequential per bot, so stored raw they would order events within an hour.

Inside (one job each): ``Database`` (engine, deadline, ``Breaker``), ``EventWriter`` (buffer, batches,
``Journal``), ``Preferences`` (opt-outs, chat settings), ``Statistics`` (summaries), ``Retention`` (forget, purge);
``Storage`` composes them. Start-up code without a ``Storage``: ``await check_schema(engine)``.
Schema changes: ``shelly db upgrade [REV] | downgrade [REV] | current`` (migrations in ``migrations/``).
"""

from bot.storage.errors import SchemaOutOfDate, StorageUnavailable
from bot.storage.schema import check_schema
from bot.storage.storage import Storage
from bot.storage.types import ChatSettings, MoodEvent, MoodSummary

__all__ = [
    "ChatSettings",
    "MoodEvent",
    "MoodSummary",
    "SchemaOutOfDate",
    "Storage",
    "StorageUnavailable",
    "check_schema",
]
