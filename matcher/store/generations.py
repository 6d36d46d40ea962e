"""Change counters that tell each API worker when its in-memory matcher is out of date."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matcher.store.tables import Generation

CATALOG = "catalog"    # options, providers, clients or history changed: rebuild
CAPACITY = "capacity"  # only seat counts changed: reload them


def bump(session: Session, name: str) -> None:
    """Count a change, in the caller's transaction (so it is seen exactly when the change is)."""
    done = session.execute(update(Generation).where(Generation.name == name)
                           .values(value=Generation.value + 1))
    if done.rowcount == 0:
        session.add(Generation(name=name, value=1))


def read(session: Session) -> dict[str, int]:
    return {name: int(value) for name, value in
            session.execute(select(Generation.name, Generation.value))}
