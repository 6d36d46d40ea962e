"""The Alembic migrations build exactly the schema the SQLAlchemy tables describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from matcher.store.db import current_revision, head_revision
from matcher.store.tables import Base


def test_migrated_schema_matches_the_tables(engine):
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_the_referral_loop_migration_goes_down_and_up_again(engine):
    """0011 down: its tables go, a placement ended unstarted is kept as dropped (the old
    statuses); up again: the schema is the tables' once more."""
    from datetime import date

    from alembic import command
    from sqlalchemy import inspect, select, text

    from matcher.store.db import alembic_config, transaction
    from matcher.store.tables import Client, Option, Placement, Provider, ReferralAnswer

    with transaction(engine) as s:
        s.add(Provider(provider_id="P", name="P", name_folded="p", kind="trainer",
                       place_id="cur-6652"))
        s.add(Client(client_id="C", birth_date=date(1990, 1, 1), gender="female",
                     group_code="other", place_id="cur-6652"))
        s.flush()
        s.add(Option(option_id="O", provider_id="P", kind="training", title="O",
                     place_id="cur-6652", capacity=1))
        s.flush()
        s.add(Placement(placement_id="PL", client_id="C", option_id="O",
                        start_date=date(2026, 1, 1), status="not_started"))
        s.flush()
        s.add(ReferralAnswer(placement_id="PL", answer="declined", reason_code="full"))
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
    assert "referral_answers" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT status FROM placements WHERE placement_id = 'PL'")) \
            == "dropped"
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert conn.scalar(select(Placement.status)) == "dropped"
