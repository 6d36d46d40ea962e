"""Seats: taken and given back by one conditional UPDATE each, never read-then-write.

``UPDATE options SET capacity = capacity - 1 WHERE option_id = :id AND capacity > 0`` is
atomic in both SQLite and PostgreSQL: of two requests for the last seat, exactly one sees
a row count of 1. Every change is kept in option_changes (who, when, why) and bumps the
capacity counter, in the caller's transaction, so it is all kept or all rolled back.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from matcher.store import generations
from matcher.store.tables import Option, OptionChange


def reserve_seat(session: Session, option_id: str, *, user_id: int | None, cause: str,
                 seats: int = 1) -> bool:
    """Take ``seats`` seats of an option if that many are free; False (nothing done) if not."""
    done = session.execute(
        update(Option)
        .where(Option.option_id == option_id, Option.capacity >= seats)
        .values(capacity=Option.capacity - seats, version=Option.version + 1)
        .returning(Option.capacity)
    ).first()
    if done is None:
        return False
    left = int(done[0])
    session.add(OptionChange(option_id=option_id, user_id=user_id, field="capacity",
                             old_value=str(left + seats), new_value=str(left), cause=cause))
    generations.bump(session, generations.CAPACITY)
    return True


def release_seat(session: Session, option_id: str, *, user_id: int | None, cause: str) -> None:
    """Give a seat back (a placement dropped before it started, a plan undone)."""
    done = session.execute(
        update(Option).where(Option.option_id == option_id)
        .values(capacity=Option.capacity + 1, version=Option.version + 1)
        .returning(Option.capacity)
    ).first()
    if done is not None:
        left = int(done[0])
        session.add(OptionChange(option_id=option_id, user_id=user_id, field="capacity",
                                 old_value=str(left - 1), new_value=str(left), cause=cause))
        generations.bump(session, generations.CAPACITY)
