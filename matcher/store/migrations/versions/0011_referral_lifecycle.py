"""Closed-loop referrals: the provider's answer, what the provider or social worker reports

A placement may now end as ``not_started``: the provider declined it, or the client never
came. Its seat went back to the option; it is no outcome of the client's (training leaves it
out, as it has no success and is not a drop-out).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OLD_STATUS = "status IN ('ongoing', 'completed', 'dropped')"
NEW_STATUS = "status IN ('ongoing', 'completed', 'dropped', 'not_started')"


def upgrade() -> None:
    with op.batch_alter_table("placements") as batch:
        batch.drop_constraint("ck_placements_status", type_="check")
        batch.create_check_constraint("ck_placements_status", NEW_STATUS)
    op.create_table(
        "referral_answers",
        sa.Column("placement_id", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=True),
        sa.Column("reason_text", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("answer IN ('accepted', 'declined')",
                           name="ck_referral_answers_answer"),
        sa.ForeignKeyConstraint(["placement_id"], ["placements.placement_id"]),
        sa.ForeignKeyConstraint(["answered_by"], ["users.user_id"]),
        sa.PrimaryKeyConstraint("placement_id"),
    )
    op.create_table(
        "placement_reports",
        sa.Column("report_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("placement_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=True),
        sa.Column("certificate", sa.Boolean(), nullable=True),
        sa.Column("wage_vnd_day", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('provider', 'social_worker')",
                           name="ck_placement_reports_source"),
        sa.CheckConstraint("wage_vnd_day IS NULL OR wage_vnd_day >= 0",
                           name="ck_placement_reports_wage"),
        sa.ForeignKeyConstraint(["placement_id"], ["placements.placement_id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.user_id"]),
        sa.PrimaryKeyConstraint("report_id"),
        sa.UniqueConstraint("placement_id", "kind", "source", name="uq_placement_reports"),
    )
    op.create_index("ix_placement_reports_placement_id", "placement_reports",
                    ["placement_id"])


def downgrade() -> None:
    op.drop_index("ix_placement_reports_placement_id", table_name="placement_reports")
    op.drop_table("placement_reports")
    op.drop_table("referral_answers")
    # Placements that ended unstarted have no older status: they are kept as dropped.
    op.execute("UPDATE placements SET status = 'dropped' WHERE status = 'not_started'")
    with op.batch_alter_table("placements") as batch:
        batch.drop_constraint("ck_placements_status", type_="check")
        batch.create_check_constraint("ck_placements_status", OLD_STATUS)
