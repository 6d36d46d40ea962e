"""Sign-in failures counted per account-and-address and per account, claimed atomically

Revision ID: 0007
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # users.failed_logins / last_failed_at stay (unused) so that a downgrade loses nothing.
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_allowed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_sign_in_failures_updated_at", "sign_in_failures", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_failures_updated_at", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
