"""Initial schema: pseudonymous mood events, chat settings, opt-outs.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mood_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("update_key", sa.String(64), nullable=False),
        sa.Column("face_index", sa.SmallInteger(), nullable=False),
        sa.Column("user_key", sa.String(64), nullable=False),
        sa.Column("chat_key", sa.String(64), nullable=False),
        sa.Column("chat_type", sa.String(16), nullable=False),
        sa.Column("emotion", sa.String(32), nullable=False),
        sa.Column("confidence_bucket", sa.SmallInteger(), nullable=False),
        sa.Column("face_count", sa.SmallInteger(), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mood_events"),
        sa.UniqueConstraint("update_key", "face_index", name="uq_mood_events_update_face"),
    )
    op.create_index("ix_mood_events_user_hour", "mood_events", ["user_key", "hour"])
    op.create_index("ix_mood_events_chat_hour", "mood_events", ["chat_key", "hour"])
    op.create_index("ix_mood_events_hour", "mood_events", ["hour"])
    op.create_table(
        "chat_settings",
        sa.Column("chat_key", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("annotate", sa.Boolean(), nullable=False),
        sa.Column("user_cooldown_s", sa.Float(), nullable=False),
        sa.Column("chat_cooldown_s", sa.Float(), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("chat_key", name="pk_chat_settings"),
    )
    op.create_table(
        "opt_outs",
        sa.Column("user_key", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("user_key", name="pk_opt_outs"),
    )


def downgrade() -> None:
    op.drop_table("opt_outs")
    op.drop_table("chat_settings")
    op.drop_index("ix_mood_events_hour", table_name="mood_events")
    op.drop_index("ix_mood_events_chat_hour", table_name="mood_events")
    op.drop_index("ix_mood_events_user_hour", table_name="mood_events")
    op.drop_table("mood_events")
