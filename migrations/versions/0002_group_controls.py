"""Group admin controls on chat_settings: who may ask, quiet hours and time zone, auto-delete, forum topics.

Revision ID: 0002_group_controls
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_group_controls"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("ask", sa.String(16), nullable=False, server_default="everyone"),
        sa.Column("quiet_start", sa.SmallInteger(), nullable=True),
        sa.Column("quiet_end", sa.SmallInteger(), nullable=True),
        sa.Column("time_zone", sa.String(40), nullable=False, server_default="UTC"),
        sa.Column("auto_delete_min", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("topics", sa.String(400), nullable=False, server_default=""),
    ]


def upgrade() -> None:
    with op.batch_alter_table("chat_settings") as batch:  # batch: SQLite cannot drop columns in place
        for column in _columns():
            batch.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table("chat_settings") as batch:
        for column in reversed(_columns()):
            batch.drop_column(column.name)
