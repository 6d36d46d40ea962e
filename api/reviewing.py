"""The review for GET /v1/review and the review pages: the stored one at once, recomputed in
the background after a change.

The review takes 1.5 s without the effects of placement and 8–35 s with them; no request
waits for it once one has been computed. A request reads the stored review's basis
(:mod:`matcher.review.snapshots`, one small query) and, when the data or the model moved on,
asks this worker's review thread for a new one and answers with the stored one, marked
*stale* and *updating*. The thread computes one review at a time (the quick one first),
at most once per ``MATCHER_REVIEW_MIN_INTERVAL_S`` per kind, and takes a lease in the
database so that of several workers only one computes; changes that arrive while it
computes are taken in by one more run, not one run each. A failure keeps the last review
and is shown with its time. Only when no review was ever stored does a request wait, up to
``MATCHER_REVIEW_FIRST_WAIT_S``; then the API answers 202 and the page says "being
computed".
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from prometheus_client import Counter
from sqlalchemy.orm import Session

from matcher.clock import utcnow
from matcher.review.snapshots import (
    FULL,
    QUICK,
    SnapshotState,
    compute_and_store,
    read_review,
    read_states,
    record_failure,
    review_basis,
)
from matcher.settings import get_settings
from matcher.store import generations

log = logging.getLogger("matcher.review")

RECOMPUTES = Counter("matcher_review_recomputes_total", "Reviews computed in the background, "
                     "by kind (quick: without the effects; full: with them) and result",
                     ["kind", "result"])
#: A worker that dies while computing frees the lease after this long.
LEASE_S = 900
#: How often a request waiting for the first review, or a thread waiting for another
#: worker's computation, looks at the database again.
POLL_S = 0.2


@dataclass(frozen=True)
class ReviewView:
    """A review as shown, with how fresh it is."""

    review: dict[str, Any] | None  # None: none was ever computed (yet)
    computed_at: datetime | None
    stale: bool  # the data or the model changed since it was computed
    updating: bool  # a new one is being computed
    last_failed_at: datetime | None  # the last computation for the current data failed then

    def freshness(self) -> dict[str, Any]:
        """The JSON form (GET /v1/review's extra keys)."""
        return {"computed_at": _iso(self.computed_at), "stale": self.stale,
                "updating": self.updating, "last_failed_at": _iso(self.last_failed_at)}


class ReviewKeeper:
    """One per worker process: the parsed reviews and the background thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wanted: set[str] = set()
        self._thread: threading.Thread | None = None
        self._computing: tuple[str, str] | None = None  # (kind, basis) being computed here
        self._last_start: dict[str, float] = {}  # kind -> monotonic time its last run began
        self._parsed: dict[str, tuple[str, datetime | None, dict[str, Any]]] = {}

    def view(self, session: Session, model_dir: Path, *, with_effects: bool) -> ReviewView:
        """The review to show now (never waits for a computation, except the very first)."""
        kind = FULL if with_effects else QUICK
        usable = (FULL,) if with_effects else (FULL, QUICK)  # a full review answers both
        basis = review_basis(session, model_dir)
        states = read_states(session)
        for k in usable:
            state = states.get(k)
            if state is not None and state.basis == basis:
                return self._shown(session, state, stale=False, updating=False, failed=None)
        failed = _failed_on(states.get(kind), basis)
        retry_after = get_settings().review_min_interval_s
        updating = failed is None or _age(failed) >= retry_after
        if updating:
            self._want(session, model_dir, kind, basis)
        shown = _latest(states, usable)
        if shown is None and updating:
            shown = self._wait_for_first(session, usable)
            if shown is not None and shown.basis == basis:
                return self._shown(session, shown, stale=False, updating=False, failed=None)
        if shown is None:
            return ReviewView(None, None, stale=True, updating=updating, last_failed_at=failed)
        return self._shown(session, shown, stale=True, updating=updating, failed=failed)

    def _shown(self, session: Session, state: SnapshotState, *, stale: bool, updating: bool,
               failed: datetime | None) -> ReviewView:
        stamp = (state.basis or "", state.computed_at)
        with self._lock:
            parsed = self._parsed.get(state.kind)
        if parsed is None or parsed[:2] != stamp:
            review = read_review(session, state.kind)
            if review is None:  # replaced between the two reads: show it next time
                return ReviewView(None, None, stale=True, updating=True, last_failed_at=failed)
            parsed = (*stamp, review)
            with self._lock:
                self._parsed[state.kind] = parsed
        return ReviewView(parsed[2], state.computed_at, stale=stale, updating=updating,
                          last_failed_at=failed)

    def _wait_for_first(self, session: Session, usable: tuple[str, ...]
                        ) -> SnapshotState | None:
        deadline = time.monotonic() + get_settings().review_first_wait_s
        bind = session.get_bind()
        while time.monotonic() < deadline:
            time.sleep(POLL_S)
            with Session(bind) as fresh:
                shown = _latest(read_states(fresh), usable)
            if shown is not None:
                return shown
        return None

    # --- the background thread ---------------------------------------------------------------

    def _want(self, session: Session, model_dir: Path, kind: str, basis: str) -> None:
        with self._lock:
            if self._computing == (kind, basis):
                return  # the run under way already takes this change in
            self._wanted.add(kind)
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, daemon=True, name="review",
                                            args=(session.get_bind(), Path(model_dir)))
            self._thread.start()

    def _run(self, bind, model_dir: Path) -> None:
        try:
            while True:
                with self._lock:
                    if not self._wanted:
                        self._thread = None
                        return
                    kind = QUICK if QUICK in self._wanted else FULL
                    self._wanted.discard(kind)
                interval = get_settings().review_min_interval_s
                wait = self._last_start.get(kind, float("-inf")) + interval - time.monotonic()
                time.sleep(max(0.0, wait))
                self._compute(bind, model_dir, kind)
        except BaseException:
            with self._lock:
                self._thread = None
            raise

    def _compute(self, bind, model_dir: Path, kind: str) -> None:
        with Session(bind) as session:
            try:
                basis = review_basis(session, model_dir)
                states = read_states(session)
                if any(states.get(k) is not None and states[k].basis == basis
                       for k in ((QUICK, FULL) if kind == QUICK else (FULL,))):
                    return  # another worker has computed it
                if not generations.take_lease(session, generations.REVIEW_LEASE, LEASE_S):
                    time.sleep(POLL_S * 5)  # another worker computes; look again then
                    with self._lock:
                        self._wanted.add(kind)
                    return
            except Exception:  # the database is away: the next request asks again
                log.warning("the review (%s) could not be started:\n%s", kind, _where())
                return
            with self._lock:
                self._computing = (kind, basis)
            self._last_start[kind] = time.monotonic()
            try:
                stored = compute_and_store(session, model_dir, kind)
                RECOMPUTES.labels(kind, "ok").inc()
                log.info("review (%s) computed in the background", kind)
                if stored != basis:  # the data moved between the two reads: once more
                    with self._lock:
                        self._wanted.add(kind)
            except Exception as exc:  # the last review stays; say when and where it failed
                RECOMPUTES.labels(kind, "failed").inc()
                # Type and place only: a message could quote a client's record.
                log.error("the review (%s) could not be computed: %s\n%s", kind,
                          type(exc).__name__, _where())
                try:
                    record_failure(session, kind, basis, type(exc).__name__)
                except Exception:  # noqa: BLE001 - the database itself failed
                    log.error("the review's failure could not be recorded")
            finally:
                with self._lock:
                    self._computing = None
                try:
                    session.rollback()
                    generations.end_lease(session, generations.REVIEW_LEASE)
                except Exception:  # noqa: BLE001 - it expires after LEASE_S
                    log.warning("the review lease could not be given back")

    def idle(self) -> bool:
        """No computation is pending or running in this worker (tests wait for it)."""
        with self._lock:
            return self._thread is None

    def clear(self) -> None:
        """Forget the parsed reviews (a test that swaps databases)."""
        with self._lock:
            self._parsed.clear()


def _latest(states: dict[str, SnapshotState], usable: tuple[str, ...]) -> SnapshotState | None:
    stored = [states[k] for k in usable if k in states and states[k].has_review]
    return max(stored, key=lambda s: s.computed_at.timestamp() if s.computed_at else 0.0,
               default=None)


def _failed_on(state: SnapshotState | None, basis: str) -> datetime | None:
    if state is None or state.failed_at is None or state.failed_basis != basis:
        return None
    return state.failed_at


def _age(when: datetime) -> float:
    return (utcnow() - when).total_seconds()


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


def _where() -> str:
    """The traceback's frames without the exception's message."""
    return "".join(traceback.format_tb(sys.exc_info()[2]))


keeper = ReviewKeeper()

__all__ = ["RECOMPUTES", "ReviewKeeper", "ReviewView", "keeper"]
