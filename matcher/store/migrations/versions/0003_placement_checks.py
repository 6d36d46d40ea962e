"""Placement follow-ups at 3 and 6 months

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "placement_checks",
        sa.Column("check_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("placement_id", sa.String(length=64),
                  sa.ForeignKey("placements.placement_id"), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("followed_up_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=True),
        sa.Column("income_vnd_day", sa.BigInteger(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), sa.ForeignKey("users.user_id"), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("months IN (3, 6)", name="ck_placement_checks_months"),
        sa.CheckConstraint("status IN ('ongoing', 'completed', 'dropped')",
                           name="ck_placement_checks_status"),
        sa.PrimaryKeyConstraint("check_id"),
        sa.UniqueConstraint("placement_id", "months", name="uq_placement_checks"),
    )
    op.create_index("ix_placement_checks_placement_id", "placement_checks", ["placement_id"])


def downgrade() -> None:
    op.drop_index("ix_placement_checks_placement_id", table_name="placement_checks")
    op.drop_table("placement_checks")
