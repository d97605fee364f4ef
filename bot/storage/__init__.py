"""Shelly's statistics storage: anonymised mood events, chat settings and opt-outs (SQLAlchemy 2 async).

Raw Telegram ids go in; only keyed pseudonyms are stored (``HMAC-SHA256(settings.pseudonym_secret,
"user:<id>" | "chat:<id>" | "update:<update_id>:<chat_id>")``, hex). Never names, usernames, photos, captions,
file ids or EXIF.

The interface the bot uses::

    storage = Storage.from_settings(settings)
    await storage.start()          # check the schema (SchemaOutOfDate names `shelly db upgrade`; with
                                   # settings.auto_migrate it upgrades instead), start the write-behind task and
                                   # the daily retention purge. Raises StorageUnavailable if the DB is unreachable.
    await storage.close()          # stop tasks, flush the buffer (retrying for at most 5 s), dispose the engine

    storage.record_analysis(update_id=..., user_id=..., chat_id=..., chat_type="private"|"group"|"supergroup"|
                            "channel", emotions=[(top_emotion, confidence), ...]  # one per face, index order
                            , model_version="...", when=datetime)  # sync, never blocks, never raises
    await storage.flush() -> int   # write buffered events now; new rows written (duplicates not counted);
                                   # never raises: on DB errors the events stay buffered
    storage.pending: int           # events in the buffer (metrics); also .dropped (full-buffer drops), .capacity,
                                   # .flush_failures (consecutive failed writes, 0 = healthy)

    await storage.is_opted_out(user_id) -> bool      # never raises: during an outage (or > 2 s) it answers from
                                                     # memory (opt-outs loaded at start, kept current)
    await storage.set_opt_out(user_id, opted_out)    # opting out also drops that user's buffered events, and
                                                     # events of opted-out users are never written
    await storage.get_chat_settings(chat_id) -> ChatSettings   # defaults (cooldowns from Settings) if none stored;
                                   # never raises: during an outage, the last settings seen (or the defaults)
    await storage.save_chat_settings(chat_id, ChatSettings(...))   # ValueError on invalid values (.validate())

    await storage.user_summary(user_id, days=30) -> MoodSummary          # own distribution + daily trend
    await storage.chat_summary(chat_id, days=30) -> MoodSummary | None   # None below 3 distinct contributors;
                                   # trend days with fewer than 3 contributors are left out (totals keep them)
    await storage.global_summary(days=30) -> MoodSummary | None          # same k-anonymity rule
    await storage.recent_user_emotions(user_id, since=timedelta(...)) -> list[str]   # oldest first, hour
                                   # resolution, includes still-buffered events (the "sad several times" rule)

    await storage.forget_user(user_id) -> int   # deletes the user's events (stored and buffered), opt-out and
                                                # their private chat's settings; returns the number removed
    await storage.purge_expired(now=None) -> int   # events older than settings.retention_days
    await storage.ping() -> bool                   # DB reachable (for /healthz); never raises

Exceptions: ``SchemaOutOfDate`` and ``StorageUnavailable`` (both ``RuntimeError``, importable from here).
Everything else that reads or changes data raises ``StorageUnavailable`` when the database is down; summaries flush
first (best effort) so a photo just sent is counted. Summaries count faces, not photos; the trend lists the UTC
days that have data.
Charts for summaries: ``bot.charts.render_mood_chart(summary, title, language) -> PNG bytes``.

Stored per analysed face (table ``mood_events``): update key + face index (unique: a redelivered update is counted
once), user key, chat key, chat type, emotion, confidence decile 0..9 (``b/10 <= p < (b+1)/10``), number of faces
in the photo, model version, and the time rounded DOWN to the UTC hour. Update ids are hashed too (with the chat
id): they are sequential per bot, so stored raw they would order events within an hour.

For start-up code without a ``Storage``: ``await ensure_schema(settings)`` / ``await check_schema(engine)``.
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
