"""Accounts: status and approval of users, sign-in sessions, one-time activation codes

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("status", sa.String(length=20), nullable=False,
                                   server_default="active"))
        batch.add_column(sa.Column("created_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("approved_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key("fk_users_created_by", "users", ["created_by"], ["user_id"])
        batch.create_foreign_key("fk_users_approved_by", "users", ["approved_by"], ["user_id"])
    # Accounts that exist already keep what they had: active ones stay active.
    op.execute("UPDATE users SET status = 'disabled' WHERE NOT active")
    op.create_table(
        "sessions",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.user_id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("session_id"),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_table(
        "account_codes",
        sa.Column("code_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.user_id"), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.user_id"), nullable=True),
        sa.PrimaryKeyConstraint("code_id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index("ix_account_codes_user_id", "account_codes", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_account_codes_user_id", table_name="account_codes")
    op.drop_table("account_codes")
    op.drop_index("ix_sessions_user_id", table_name="sessions")
    op.drop_table("sessions")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("fk_users_approved_by", type_="foreignkey")
        batch.drop_constraint("fk_users_created_by", type_="foreignkey")
        batch.drop_column("approved_at")
        batch.drop_column("approved_by")
        batch.drop_column("created_by")
        batch.drop_column("status")
