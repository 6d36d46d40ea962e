"""The matcher each API worker keeps in memory, rebuilt only when the store or model changed.

Building a :class:`Matcher` reads the whole catalogue and history (a second or two here, 7 s
and 0.6 GB at national scale); a suggestion then takes milliseconds. Each request reads the
change counters (one small query) and the model's current.json timestamp: a change of seats
only reloads the seat counts, at once; a catalogue change or a new model rebuilds the
matcher in a background thread, at most once per ``MATCHER_REBUILD_MIN_INTERVAL_S``, and
the previous matcher answers meanwhile (so a provider alternating a wage edit cannot make
every worker rebuild on every request, nor make suggestions wait). Only a worker's very
first build is waited for. Seats are always current (reloaded before the matcher answers,
and the seat itself is taken by a conditional UPDATE at accept), so an option closed
seconds ago is never suggested; an option's other edits (wage, cost, start date, duration)
may show their old values until the next rebuild. Every worker sees every other worker's
changes, because the counters live in the database.

Seat prices (matcher/pricing) are one stored run that every worker reads: a worker reloads
it when the prices counter moves, and when the run no longer rests on the store's current
state (a seat taken, a client registered, a new model) it recomputes it in a background
thread, under a lease in the database so that one worker at a time does; meanwhile the last
run is used. A suggestion's prices thus lag the latest change by at most one refresh.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import Problem
from api.metrics import REBUILDS
from matcher.matching.engine import Matcher
from matcher.matching.seat_prices import SeatPrices
from matcher.outcomes import ModelError
from matcher.pricing import is_current, load_prices, refresh_prices
from matcher.settings import get_settings
from matcher.store import generations
from matcher.store.tables import Option

log = logging.getLogger(__name__)

#: A worker computing prices holds the lease this long; a crashed one loses it after that.
PRICING_LEASE_S = 120
#: Every this many matcher installs, the frozen objects are collected too (see _install).
FULL_COLLECTION_EVERY = 10
#: Runs one refresh makes at most while changes keep coming in; the next request starts more.
REFRESH_ROUNDS = 3


@dataclass
class _Built:
    matcher: Matcher
    catalog: int
    capacity: int
    model_stamp: int
    prices: SeatPrices | None = None
    prices_generation: int = -1


class MatcherCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._first = threading.Lock()  # the first build of a worker: one, waited for
        self._built: _Built | None = None
        self._refreshing = False
        self._rebuilding = False
        self._last_build = float("-inf")  # monotonic time the last build started
        self._installs = 0

    def get(self, session: Session) -> Matcher:
        return self.get_with_prices(session, prices=False)[0]

    def get_with_prices(self, session: Session, *, prices: bool = True
                        ) -> tuple[Matcher, SeatPrices | None]:
        """The matcher and, with ``prices``, the stored seat prices aligned with it (a
        refresh is started in the background when they are out of date). The matcher may
        be the previous one while a rebuild is pending; its seat counts are current."""
        counts = generations.read(session)
        catalog, capacity = counts.get(generations.CATALOG, 0), counts.get(generations.CAPACITY, 0)
        stamp = _model_stamp()
        interval = get_settings().rebuild_min_interval_s
        if self._built is None or (interval <= 0 and self._stale(catalog, stamp)):
            self._build_now(session, catalog, capacity, stamp,
                            "first" if self._built is None else "inline")
        elif self._stale(catalog, stamp):
            self.rebuild_in_background(session)
        with self._lock:
            built = self._built
            if built.capacity != capacity:
                reload_capacity(built.matcher, session)
                built.capacity = capacity
            if not prices:
                return built.matcher, None
            if not get_settings().seat_pricing:
                return built.matcher, SeatPrices.none(len(built.matcher.catalog), "off")
            generation = counts.get(generations.PRICES, 0)
            if built.prices is None or built.prices_generation != generation:
                built.prices = load_prices(session, built.matcher)
                built.prices_generation = generation
            matcher, seat_prices = built.matcher, built.prices
        if not is_current(session, matcher, counts, stored=seat_prices.basis):
            self.refresh_in_background(session)
        return matcher, seat_prices

    def _stale(self, catalog: int, stamp: int) -> bool:
        built = self._built
        return built is None or built.catalog != catalog or built.model_stamp != stamp

    def _build_now(self, session: Session, catalog: int, capacity: int, stamp: int,
                   how: str) -> None:
        """Build in this request (the worker's first matcher, or with the interval 0):
        concurrent requests wait for the one build instead of each making their own."""
        with self._first:
            if not self._stale(catalog, stamp):
                return  # another request built it while this one waited
            self._last_build = time.monotonic()
            self._install(_build(session, catalog, capacity, stamp), how)

    def _install(self, built: _Built, how: str) -> None:
        # The app's modules and the matcher are hundreds of thousands of long-lived objects:
        # frozen out of the collector's sight, they no longer lengthen every full collection
        # (the pauses showed as the slowest 1% of requests). The matcher replaced here holds
        # no reference cycles and is freed by reference counting as its last user lets go
        # (tests/engine/test_matcher_memory.py), so it is not unfrozen for a collection: a
        # full one after unfreezing rescanned the modules, 0.12 s of CPU under the lock at
        # every rebuild. Every FULL_COLLECTION_EVERY-th install does it anyway, so that a
        # cycle added later costs the memory of a few matchers, never more.
        with self._lock:
            self._installs += 1
            if self._installs % FULL_COLLECTION_EVERY == 0:
                gc.unfreeze()
            self._built = built
            gc.collect()
            gc.freeze()
        REBUILDS.labels(how).inc()

    def rebuild_in_background(self, session: Session) -> None:
        """Rebuild in a thread of this worker, unless one is already pending; the thread
        waits until MATCHER_REBUILD_MIN_INTERVAL_S has passed since the last build began."""
        with self._lock:
            if self._rebuilding:
                return
            self._rebuilding = True
        threading.Thread(target=self._rebuild, args=(session.get_bind(),), daemon=True,
                         name="matcher-rebuild").start()

    def _rebuild(self, bind) -> None:
        try:
            wait = self._last_build + get_settings().rebuild_min_interval_s
            time.sleep(max(0.0, wait - time.monotonic()))
            with Session(bind) as session:
                counts = generations.read(session)
                catalog = counts.get(generations.CATALOG, 0)
                stamp = _model_stamp()
                if not self._stale(catalog, stamp):
                    return
                self._last_build = time.monotonic()
                started = time.perf_counter()
                built = _build(session, catalog, counts.get(generations.CAPACITY, 0), stamp)
                self._install(built, "background")
                log.info("matcher rebuilt in the background in %.2f s",
                         time.perf_counter() - started)
                session.rollback()
                # The prices the stored run holds may rest on the catalogue just replaced.
                self.refresh_in_background(session)
        except Exception:  # the previous matcher keeps serving; the next request retries
            log.exception("the matcher could not be rebuilt")
        finally:
            with self._lock:
                self._rebuilding = False

    def refresh_in_background(self, session: Session) -> None:
        """Recompute the stored prices in a thread of this worker, unless one already runs
        here or another worker holds the lease."""
        if not get_settings().seat_pricing:
            return
        with self._lock:
            if self._refreshing:
                return
            self._refreshing = True
        bind = session.get_bind()
        threading.Thread(target=self._refresh, args=(bind,), daemon=True,
                         name="seat-prices").start()

    def _refresh(self, bind) -> None:
        try:
            with Session(bind) as session:
                if not generations.take_lease(session, generations.PRICING_LEASE,
                                              PRICING_LEASE_S):
                    return
                try:
                    # Again while changes came in during the last run (a burst of accepts
                    # costs a run or two, not one each), up to a bound.
                    for _ in range(REFRESH_ROUNDS):
                        started = time.perf_counter()
                        matcher = self.get(session)
                        session.rollback()
                        if is_current(session, matcher):
                            break
                        if self._stale(generations.read(session).get(generations.CATALOG, 0),
                                       _model_stamp()):
                            # Prices from the matcher a rebuild is about to replace would be
                            # stored as current; the rebuild starts a refresh once it is done.
                            session.rollback()
                            break
                        refresh_prices(session, matcher)
                        log.info("seat prices refreshed in %.2f s",
                                 time.perf_counter() - started)
                finally:
                    session.rollback()
                    generations.end_lease(session, generations.PRICING_LEASE)
        except Exception:  # the last stored prices keep serving; say why in the log
            log.exception("seat prices could not be refreshed")
        finally:
            with self._lock:
                self._refreshing = False

    def clear(self) -> None:
        with self._lock:
            self._built = None


def _build(session: Session, catalog: int, capacity: int, stamp: int) -> _Built:
    try:
        built = _Built(Matcher.build(session), catalog, capacity, stamp)
    except ModelError as exc:
        raise Problem(503, f"the outcome model cannot be used: {exc}; an admin can retrain "
                           "it (POST /v1/model/train)") from None
    built.matcher.warm()
    return built


def reload_capacity(matcher: Matcher, session: Session) -> None:
    """Copy the stored seat counts into the matcher (the eligibility rules read them)."""
    position = matcher.catalog.position
    # Options added since the matcher was built are left out: it does not know them yet.
    known = [(position[o], seats) for o, seats in
             session.execute(select(Option.option_id, Option.capacity)) if o in position]
    capacity = matcher.catalog.options["capacity"].to_numpy(float).copy()
    if known:
        rows, seats = zip(*known, strict=True)
        capacity[np.asarray(rows, dtype=np.int64)] = np.asarray(seats, dtype=float)
    matcher.catalog.options["capacity"] = capacity
    matcher._arrays["capacity"] = capacity  # the array the rules read  # noqa: SLF001


def _model_stamp() -> int:
    card = get_settings().model_dir / "current.json"
    try:
        return card.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


cache = MatcherCache()
