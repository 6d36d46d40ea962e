"""Seat prices: the latest run and each priced option; each list says if it was priced

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seat_price_runs",
        sa.Column("run_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("basis", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("n_waiting", sa.Integer(), nullable=False),
        sa.Column("n_idle", sa.Integer(), nullable=False),
        sa.Column("expected_arrivals", sa.Float(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("run_id"),
    )
    op.create_table(
        "seat_prices",
        sa.Column("run_id", sa.Integer(),
                  sa.ForeignKey("seat_price_runs.run_id", ondelete="CASCADE"), nullable=False),
        sa.Column("option_id", sa.String(length=64), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("held_price", sa.Float(), nullable=False),
        sa.Column("holders", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "option_id"),
    )
    with op.batch_alter_table("suggestions") as batch:
        batch.add_column(sa.Column("pricing", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("suggestions") as batch:
        batch.drop_column("pricing")
    op.drop_table("seat_prices")
    op.drop_table("seat_price_runs")
