"""Table definitions. Migrations in ``migrations/versions`` are the source of truth for the schema; these
mirror them for queries (a test checks that both agree)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    false,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# BigInteger ids autoincrement on PostgreSQL; SQLite only autoincrements INTEGER PRIMARY KEY.
_Id = BigInteger().with_variant(Integer(), "sqlite")

mood_events = Table(
    "mood_events",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("update_key", String(64), nullable=False),  # HMAC of the update id (idempotency only)
    Column("face_index", SmallInteger, nullable=False),
    Column("user_key", String(64), nullable=False),
    Column("chat_key", String(64), nullable=False),
    Column("chat_type", String(16), nullable=False),
    Column("emotion", String(32), nullable=False),
    Column("confidence_bucket", SmallInteger, nullable=False),  # decile 0..9
    Column("face_count", SmallInteger, nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("hour", DateTime(timezone=False), nullable=False),  # naive UTC, rounded down to the hour
    UniqueConstraint("update_key", "face_index", name="uq_mood_events_update_face"),
    Index("ix_mood_events_user_hour", "user_key", "hour"),
    Index("ix_mood_events_chat_hour", "chat_key", "hour"),
    Index("ix_mood_events_hour", "hour"),
)

chat_settings = Table(
    "chat_settings",
    metadata,
    Column("chat_key", String(64), primary_key=True),
    Column("mode", String(16), nullable=False),
    Column("annotate", Boolean, nullable=False),
    Column("user_cooldown_s", Float, nullable=False),
    Column("chat_cooldown_s", Float, nullable=False),
    Column("language", String(16), nullable=True),
    # group admin controls (migration 0002)
    Column("ask", String(16), nullable=False, server_default="everyone"),
    Column("quiet_start", SmallInteger, nullable=True),
    Column("quiet_end", SmallInteger, nullable=True),
    Column("time_zone", String(40), nullable=False, server_default="UTC"),
    Column("auto_delete_min", Integer, nullable=False, server_default="0"),
    Column("topics", String(400), nullable=False, server_default=""),
    # weekly mood pulse (migration 0003): the opt-in, and the chat id sealed (bot/storage/chatref.py)
    Column("pulse", Boolean, nullable=False, server_default=false()),
    Column("chat_ref", String(128), nullable=True),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(64), primary_key=True),  # e.g. "weekly-pulse"
    Column("holder", String(64), nullable=False),  # replica id
    Column("expires_at", DateTime(timezone=False), nullable=False),  # naive UTC
)

pulse_posts = Table(
    "pulse_posts",
    metadata,
    Column("chat_key", String(64), primary_key=True),
    Column("week", String(10), primary_key=True),  # ISO week, "2026-W48"
    Column("posted_at", DateTime(timezone=False), nullable=True),  # None while being sent
)

opt_outs = Table(
    "opt_outs",
    metadata,
    Column("user_key", String(64), primary_key=True),  # presence of the row = opted out
)
