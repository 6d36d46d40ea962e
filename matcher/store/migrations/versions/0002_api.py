"""API: sign-in throttling, client notes, plans, option change history, generations

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("notes", sa.Text(), nullable=True))

    op.create_table(
        "plans",
        sa.Column("plan_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.user_id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("budget_vnd", sa.BigInteger(), nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("committed_by", sa.Integer(), sa.ForeignKey("users.user_id"), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'committed')", name="ck_plans_status"),
        sa.PrimaryKeyConstraint("plan_id"),
    )
    with op.batch_alter_table("placements") as batch:
        batch.add_column(sa.Column("plan_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("created_by", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_placements_plan_id", "plans", ["plan_id"], ["plan_id"])
        batch.create_foreign_key("fk_placements_created_by", "users", ["created_by"],
                                 ["user_id"])
        batch.create_index("ix_placements_plan_id", ["plan_id"], unique=False)

    op.create_table(
        "option_changes",
        sa.Column("change_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("option_id", sa.String(length=64),
                  sa.ForeignKey("options.option_id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.user_id"), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.String(length=64), nullable=True),
        sa.Column("new_value", sa.String(length=64), nullable=True),
        sa.Column("cause", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("change_id"),
    )
    op.create_index("ix_option_changes_option_id", "option_changes", ["option_id"])

    op.create_table(
        "generations",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(sa.table("generations", sa.column("name", sa.String),
                            sa.column("value", sa.BigInteger)),
                   [{"name": "catalog", "value": 0}, {"name": "capacity", "value": 0}])


def downgrade() -> None:
    op.drop_table("generations")
    op.drop_index("ix_option_changes_option_id", table_name="option_changes")
    op.drop_table("option_changes")
    with op.batch_alter_table("placements") as batch:
        batch.drop_index("ix_placements_plan_id")
        batch.drop_constraint("fk_placements_created_by", type_="foreignkey")
        batch.drop_constraint("fk_placements_plan_id", type_="foreignkey")
        batch.drop_column("created_by")
        batch.drop_column("plan_id")
    op.drop_table("plans")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("notes")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("last_failed_at")
        batch.drop_column("failed_logins")
