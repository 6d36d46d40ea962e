"""A referral ended before the client started: the placement closed and its seat given back.

Both happen in the caller's transaction, after a conditional UPDATE of the placement's
status: of two concurrent endings (a decline and a no-show, or two declines) only one sees
the row, so a seat is given back at most once.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from matcher.store import generations
from matcher.store.seats import release_seat
from matcher.store.tables import Placement

NOT_STARTED = "not_started"


def end_unstarted(session: Session, placement_id: str, option_id: str, *,
                  user_id: int | None, cause: str) -> bool:
    """Close an ongoing placement as not started and free its seat; False if it was not
    ongoing (nothing done)."""
    done = session.execute(
        update(Placement).where(Placement.placement_id == placement_id,
                                Placement.status == "ongoing")
        .values(status=NOT_STARTED).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        return False
    release_seat(session, option_id, user_id=user_id, cause=cause)
    # The client is waiting again: the waiting list (and so the seat prices) moved.
    generations.bump(session, generations.WAITING)
    return True
