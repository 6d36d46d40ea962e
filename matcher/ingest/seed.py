"""Loading the demo world through the same import path a user takes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from matcher.ingest.errors import ImportFailed, Problem
from matcher.ingest.importer import KINDS, ImportResult, import_into
from matcher.settings import DEMO_DIR
from matcher.store.db import ensure_schema, is_empty, transaction


def seed(engine: Engine, directory: Path = DEMO_DIR, *,
         mark_demo: bool = False) -> list[ImportResult]:
    """Import providers, options, clients, placements and follow-ups from ``directory``.

    Refuses a database that already holds data; all five files go in one transaction, so a
    broken demo file leaves the database empty. ``mark_demo`` marks it as the demo database
    in that same transaction (matcher.demo: imports refused from then on).
    """
    ensure_schema(engine)
    if not is_empty(engine):
        raise ImportFailed([Problem(None, None, "the database already holds data; "
                                    "seed only loads into an empty database")])
    with transaction(engine) as session:
        results = seed_into(session, directory)
        if mark_demo:
            from matcher.demo import mark_demo as mark

            mark(session)
        return results


def seed_into(session: Session, directory: Path = DEMO_DIR) -> list[ImportResult]:
    """The five files of ``directory``, imported in the caller's transaction."""
    return [import_into(session, kind, Path(directory) / f"{kind}.csv", actor="seed")
            for kind in KINDS]
