"""Weekly mood pulse: the opt-in and the sealed chat reference on chat_settings, a lease table (one replica
does the weekly work) and one row per chat and ISO week posted (idempotency).

Revision ID: 0003_pulse
Revises: 0002_group_controls
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_pulse"
down_revision: str | Sequence[str] | None = "0002_group_controls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chat_settings") as batch:
        batch.add_column(sa.Column("pulse", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("chat_ref", sa.String(128), nullable=True))
    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=False), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )
    op.create_table(
        "pulse_posts",
        sa.Column("chat_key", sa.String(64), nullable=False),
        sa.Column("week", sa.String(10), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=False), nullable=True),
        sa.PrimaryKeyConstraint("chat_key", "week", name="pk_pulse_posts"),
    )


def downgrade() -> None:
    op.drop_table("pulse_posts")
    op.drop_table("leases")
    with op.batch_alter_table("chat_settings") as batch:
        batch.drop_column("chat_ref")
        batch.drop_column("pulse")
