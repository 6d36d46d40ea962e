"""The last computed review of each kind, kept in the database for every API worker.

Two kinds: ``quick`` (everything but the effects of placement, about 1.5 s on the demo
world) and ``full`` (with the effects, 8–35 s). Each is stored with its *basis*, a hash of
what it was computed from (the current model's record and
:func:`matcher.review.data.fingerprint`); a stored review whose basis differs from the
store's is out of date and is recomputed in the background (api/reviewing.py), while it is
still what the pages show. A failed computation keeps the last review and records when it
failed and for which basis.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matcher.clock import as_utc, utcnow
from matcher.outcomes.store import read_current_record
from matcher.store.tables import ReviewSnapshot

from .data import fingerprint
from .report import build_review

QUICK, FULL = "quick", "full"
KINDS = (QUICK, FULL)


@dataclass(frozen=True)
class SnapshotState:
    """A stored review's bookkeeping, without its body."""

    kind: str
    basis: str | None
    computed_at: datetime | None
    seconds: float
    failed_at: datetime | None
    failed_basis: str | None
    failure: str | None

    @property
    def has_review(self) -> bool:
        return self.basis is not None


def review_basis(session: Session, model_dir: Path) -> str:
    """What a review computed now would rest on: the model record and the data fingerprint."""
    record = read_current_record(Path(model_dir))
    raw = json.dumps([record, list(fingerprint(session))], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def read_states(session: Session) -> dict[str, SnapshotState]:
    """Every stored kind's bookkeeping (one small query; the bodies stay in the database)."""
    rows = session.execute(select(
        ReviewSnapshot.kind, ReviewSnapshot.basis, ReviewSnapshot.computed_at,
        ReviewSnapshot.seconds, ReviewSnapshot.failed_at, ReviewSnapshot.failed_basis,
        ReviewSnapshot.failure)).all()
    return {r.kind: SnapshotState(r.kind, r.basis, as_utc(r.computed_at), float(r.seconds or 0),
                                  as_utc(r.failed_at), r.failed_basis, r.failure) for r in rows}


def read_review(session: Session, kind: str) -> dict[str, Any] | None:
    body = session.scalar(select(ReviewSnapshot.body).where(ReviewSnapshot.kind == kind))
    return None if body is None else json.loads(body)


def compute_and_store(session: Session, model_dir: Path, kind: str) -> str:
    """Compute the review of ``kind`` from the store as it is now and keep it; returns the
    basis it rests on. The basis is read before the computation: a change made meanwhile
    makes the stored review out of date at once, so it is never taken for current."""
    basis = review_basis(session, model_dir)
    session.rollback()
    started = time.perf_counter()
    review = build_review(session, model_dir, with_effects=kind == FULL)
    session.rollback()
    _write(session, kind, basis=basis, computed_at=utcnow(),
           seconds=round(time.perf_counter() - started, 3), body=json.dumps(review),
           failed_basis=None, failure=None)
    return basis


def record_failure(session: Session, kind: str, basis: str | None, failure: str) -> None:
    """Say that computing ``kind`` on ``basis`` failed; the last review stays."""
    session.rollback()
    _write(session, kind, failed_at=utcnow(), failed_basis=basis, failure=failure[:200])


def _write(session: Session, kind: str, **values: Any) -> None:
    for attempt in (1, 2):
        row = session.get(ReviewSnapshot, kind)
        if row is None:
            row = ReviewSnapshot(kind=kind, seconds=0.0)
            session.add(row)
        for name, value in values.items():
            setattr(row, name, value)
        try:
            session.commit()
            return
        except IntegrityError:  # another worker wrote the kind's first row meanwhile
            session.rollback()
            if attempt == 2:
                raise


__all__ = ["FULL", "KINDS", "QUICK", "SnapshotState", "compute_and_store", "read_review",
           "read_states", "record_failure", "review_basis"]
