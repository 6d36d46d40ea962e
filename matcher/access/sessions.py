"""Sign-in sessions: each token names one row, so a sign-out or an account change ends it.

A token is signed, but a signature cannot be taken back; the row can. Every request checks
it (api.deps.current_user, in the same read as the user), so a revoked session is refused
at once by every worker.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from matcher.clock import as_utc
from matcher.store.tables import SignInSession


def open_session(session: Session, user_id: int, lifetime_s: int,
                 now: datetime | None = None) -> str:
    """A new live session for the user; its id goes into the token as ``sid``."""
    now = now or datetime.now(UTC)
    # The user's long-expired rows are of no use to anybody: dropped here, where rows are made.
    session.execute(delete(SignInSession).where(
        SignInSession.user_id == user_id, SignInSession.expires_at < now - timedelta(days=1)))
    sid = secrets.token_urlsafe(24)
    session.add(SignInSession(session_id=sid, user_id=user_id, created_at=now,
                              expires_at=now + timedelta(seconds=lifetime_s)))
    session.flush()
    return sid


def revoke(session: Session, session_id: str) -> None:
    session.execute(update(SignInSession).where(SignInSession.session_id == session_id,
                                                SignInSession.revoked_at.is_(None))
                    .values(revoked_at=datetime.now(UTC)))


def revoke_all(session: Session, user_id: int) -> int:
    """End every live session of the user (password, role or status changed); how many."""
    done = session.execute(update(SignInSession).where(SignInSession.user_id == user_id,
                                                       SignInSession.revoked_at.is_(None))
                           .values(revoked_at=datetime.now(UTC)))
    return done.rowcount or 0


def is_live(expires_at: datetime, revoked_at: datetime | None,
            now: datetime | None = None) -> bool:
    if revoked_at is not None:
        return False
    now = now or datetime.now(UTC)
    return as_utc(expires_at) > now
