"""Change counters that tell each API worker when its in-memory matcher is out of date."""

from __future__ import annotations

import time

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matcher.store.tables import Generation

CATALOG = "catalog"    # options, providers, clients or history changed: rebuild
CAPACITY = "capacity"  # only seat counts changed: reload them
WAITING = "waiting"    # a client registered, changed or followed up: the waiting list moved
PRICES = "prices"      # new seat prices were stored: reload them
PRICING_LEASE = "pricing_lease"  # until when (epoch seconds) a worker is computing prices
REVIEW_LEASE = "review_lease"  # until when a worker is computing the review (names end "_lease")


def bump(session: Session, name: str) -> None:
    """Count a change, in the caller's transaction (so it is seen exactly when the change is).

    One upsert: two transactions that count the first change of ``name`` at once both count
    it (an UPDATE that found no row and then an INSERT made the slower one fail on the key).
    """
    upsert = {"postgresql": pg_insert, "sqlite": sqlite_insert}[session.get_bind().dialect.name]
    session.execute(upsert(Generation).values(name=name, value=1).on_conflict_do_update(
        index_elements=[Generation.name], set_={"value": Generation.value + 1}))


def read(session: Session) -> dict[str, int]:
    return {name: int(value) for name, value in
            session.execute(select(Generation.name, Generation.value))}


def take_lease(session: Session, name: str, seconds: float) -> bool:
    """Hold the counter ``name`` as a lease until now + ``seconds``, if nobody holds it:
    one conditional UPDATE, so that of several workers exactly one gets it. Commits."""
    now = int(time.time())
    taken = session.execute(update(Generation).where(Generation.name == name,
                                                     Generation.value < now)
                            .values(value=now + int(seconds))).rowcount
    if not taken:
        if session.get(Generation, name) is not None:
            session.rollback()
            return False
        try:
            session.execute(insert(Generation).values(name=name, value=now + int(seconds)))
        except IntegrityError:  # another worker created it first, and holds it
            session.rollback()
            return False
    session.commit()
    return True


def end_lease(session: Session, name: str) -> None:
    """Give the lease back (commits)."""
    session.execute(update(Generation).where(Generation.name == name).values(value=0))
    session.commit()
