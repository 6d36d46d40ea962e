"""Possible duplicate providers, decided by a person; merges that can be undone

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_pairs",
        sa.Column("provider_a", sa.String(length=64), nullable=False),
        sa.Column("provider_b", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("likeness", sa.Float(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint("provider_a < provider_b", name="ck_provider_pairs_order"),
        sa.PrimaryKeyConstraint("provider_a", "provider_b"),
    )
    op.create_index("ix_provider_pairs_status", "provider_pairs", ["status"])
    op.create_table(
        "provider_merges",
        sa.Column("merge_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kept_id", sa.String(length=64), nullable=False),
        sa.Column("merged_id", sa.String(length=64), nullable=False),
        sa.Column("merged_row", sa.JSON(), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merged_by", sa.String(length=100), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("merge_id"),
    )
    op.create_index("ix_provider_merges_kept_id", "provider_merges", ["kept_id"])
    op.create_index("ix_provider_merges_merged_id", "provider_merges", ["merged_id"])


def downgrade() -> None:
    op.drop_index("ix_provider_merges_merged_id", table_name="provider_merges")
    op.drop_index("ix_provider_merges_kept_id", table_name="provider_merges")
    op.drop_table("provider_merges")
    op.drop_index("ix_provider_pairs_status", table_name="provider_pairs")
    op.drop_table("provider_pairs")
