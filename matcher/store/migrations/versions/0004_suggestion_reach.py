"""A logged suggestion list keeps its kind, travel limit and the options beyond reach

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = (
    ("kind", sa.String(length=16)),
    ("travel_limit_km", sa.Float()),
    ("max_travel_km", sa.Float()),
    ("beyond_reach", sa.JSON()),
)


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("suggestions", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("suggestions") as batch:  # SQLite drops columns by copying
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
