"""The matcher each API worker keeps in memory, rebuilt only when the store or model changed.

Building a :class:`Matcher` reads the whole catalogue and history (a second or two); a
suggestion then takes milliseconds. Each request reads two change counters (one small
query) and the model's current.json timestamp: a catalogue change or a new model rebuilds,
a change of seats only reloads the seat counts. Every worker sees every other worker's
changes, because the counters live in the database.
"""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import Problem
from matcher.engine import Matcher
from matcher.outcomes import ModelError
from matcher.settings import get_settings
from matcher.store import generations
from matcher.store.tables import Option


@dataclass
class _Built:
    matcher: Matcher
    catalog: int
    capacity: int
    model_stamp: int


class MatcherCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: _Built | None = None

    def get(self, session: Session) -> Matcher:
        counts = generations.read(session)
        catalog, capacity = counts.get(generations.CATALOG, 0), counts.get(generations.CAPACITY, 0)
        stamp = _model_stamp()
        with self._lock:
            built = self._built
            if built is None or built.catalog != catalog or built.model_stamp != stamp:
                try:
                    built = _Built(Matcher.build(session), catalog, capacity, stamp)
                except ModelError as exc:
                    raise Problem(503, f"the outcome model cannot be used: {exc}; an admin "
                                       "can retrain it (POST /v1/model/train)") from None
                built.matcher.warm()
                # The matcher is hundreds of thousands of long-lived objects: moved out of
                # the collector's sight, they no longer lengthen every full collection (the
                # pauses showed as the slowest 1% of requests). Unfrozen first, so that the
                # matcher this one replaces can still be collected.
                gc.unfreeze()
                gc.collect()
                gc.freeze()
                self._built = built
            elif built.capacity != capacity:
                reload_capacity(built.matcher, session)
                built.capacity = capacity
            return built.matcher

    def clear(self) -> None:
        with self._lock:
            self._built = None


def reload_capacity(matcher: Matcher, session: Session) -> None:
    """Copy the stored seat counts into the matcher (the eligibility rules read them)."""
    ids, seats = zip(*session.execute(select(Option.option_id, Option.capacity)).all(),
                     strict=True) if matcher.catalog.options.shape[0] else ((), ())
    rows = matcher.catalog.rows(list(ids))
    capacity = matcher.catalog.options["capacity"].to_numpy(float).copy()
    capacity[rows] = np.asarray(seats, dtype=float)
    matcher.catalog.options["capacity"] = capacity
    matcher._arrays["capacity"] = capacity  # the array the rules read  # noqa: SLF001


def _model_stamp() -> int:
    card = get_settings().model_dir / "current.json"
    try:
        return card.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


cache = MatcherCache()
