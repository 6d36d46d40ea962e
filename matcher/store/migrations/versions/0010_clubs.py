"""Support clubs: the groups a club serves, clubs without a member limit, club referrals

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # add_column only: SQLite adds a column in place, without rebuilding the options table
    # that placements, trades and seat history refer to.
    op.add_column("options", sa.Column("groups_served", sa.String(length=300), nullable=True))
    op.add_column("options", sa.Column("unlimited", sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
    op.create_table(
        "club_referrals",
        sa.Column("referral_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("option_id", sa.String(length=64), nullable=False),
        sa.Column("referred_on", sa.Date(), nullable=False),
        sa.Column("referred_by", sa.Integer(), nullable=True),
        sa.Column("attending_3m", sa.Boolean(), nullable=True),
        sa.Column("checked_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"]),
        sa.ForeignKeyConstraint(["option_id"], ["options.option_id"]),
        sa.ForeignKeyConstraint(["referred_by"], ["users.user_id"]),
        sa.PrimaryKeyConstraint("referral_id"),
        sa.UniqueConstraint("client_id", "option_id", name="uq_club_referrals_client_club"),
    )
    op.create_index("ix_club_referrals_client_id", "club_referrals", ["client_id"])
    op.create_index("ix_club_referrals_option_id", "club_referrals", ["option_id"])


def downgrade() -> None:
    op.drop_index("ix_club_referrals_option_id", table_name="club_referrals")
    op.drop_index("ix_club_referrals_client_id", table_name="club_referrals")
    op.drop_table("club_referrals")
    with op.batch_alter_table("options") as batch:
        batch.drop_column("unlimited")
        batch.drop_column("groups_served")
