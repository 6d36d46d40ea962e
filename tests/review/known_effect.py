"""A synthetic world with a known effect of placement, seeded into SQLite, and its frames."""

from __future__ import annotations

from sqlalchemy.orm import Session

from matcher.ingest.seed import seed
from matcher.store.catalog import load_catalog
from matcher.store.db import make_engine, upgrade
from matcher.store.frames import load_clients, load_followups, load_placements
from matcher.synth import world_with_known_effect, write_world


def seeded_world(tmp_path_factory, name: str, **kwargs):
    """(world, engine): ``world_with_known_effect(**kwargs)`` imported through the contract."""
    root = tmp_path_factory.mktemp(name)
    world = world_with_known_effect(**kwargs)
    write_world(world, root / "csv")
    engine = make_engine(f"sqlite:///{root / 'world.sqlite3'}")
    upgrade(engine)
    seed(engine, root / "csv")
    return world, engine


def store_frames(engine):
    """(clients, placements, options, followups) as the effects estimator reads them."""
    with Session(engine) as s:
        return (load_clients(s), load_placements(s), load_catalog(s).options,
                load_followups(s))
