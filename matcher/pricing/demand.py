"""Who else may want a seat: the waiting list, and the arrivals expected before seats refill.

The waiting list is every registered client never placed and not yet followed up (a
follow-up of a client who was not placed records how their case ended), registered within
``waiting_days`` of the day the prices are for. A client registered long ago and never
placed is no longer counted: the province's lists are not kept for ever.

Arrivals are forecast from the registration history, with profiles drawn from the clients
registered in the last year (so by group and place as they really come). How many: in the
horizon until seats refill the centre takes on about as many clients as registered in a
horizon's share of the last year (its intake, R); a waiting list of B clients already fills B
of those turns, so only max(0, R - B) newcomers are expected to compete for today's seats.
Counting all R on top of the list would count the same turns twice and price seats for
people who will be served after they refill (measured in the simulator: a forecast on top of
a long list cost more than it saved). With no registration in the last year there is no
forecast either, and the prices rest on the waiting list alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.store.frames import load_clients
from matcher.store.tables import FollowUp, Placement, Suggestion

#: The registration history read for the arrival rate and the arrivals' profiles.
HISTORY_DAYS = 365


@dataclass(frozen=True)
class Demand:
    """The clients a price is about: ``waiting`` now, and ``futures`` sampled arrivals."""

    waiting: pd.DataFrame  # client rows (catalog.CLIENT_COLUMNS)
    pool: pd.DataFrame  # the profiles future arrivals are drawn from
    futures: list[np.ndarray]  # per sampled future, positions in ``pool``
    expected_arrivals: float
    #: waiting clients registered more than a horizon ago for whom nobody has asked for
    #: suggestions: perhaps cases no longer worked on, whose seats the prices still keep
    idle: int = 0

    @property
    def empty(self) -> bool:
        return self.waiting.empty and not any(len(f) for f in self.futures)


def read_demand(session: Session, *, on: date, horizon_days: int, waiting_days: int,
                samples: int, seed: int = 0) -> Demand:
    """The waiting list and ``samples`` sampled futures, as the store knows them ``on``."""
    clients = load_clients(session)
    # A referral that ended before the start (declined, no-show) leaves the client waiting.
    placed = set(session.scalars(select(Placement.client_id).distinct()
                                 .where(Placement.status != "not_started")))
    closed = set(session.scalars(select(FollowUp.client_id).distinct()))
    asked = set(session.scalars(select(Suggestion.client_id).distinct()))
    return demand_from(clients, placed | closed, asked, on=on, horizon_days=horizon_days,
                       waiting_days=waiting_days, samples=samples, seed=seed)


def demand_from(clients: pd.DataFrame, done: set[str], asked: set[str] = frozenset(), *,
                on: date, horizon_days: int, waiting_days: int, samples: int,
                seed: int = 0) -> Demand:
    """:func:`read_demand` on frames: ``done`` are the clients placed or followed up,
    ``asked`` those for whom suggestions were ever asked."""
    registered = pd.to_datetime(clients["registered_on"], errors="coerce").dt.date
    known = registered.notna()
    # A missing registration date counts as recent: better priced than forgotten.
    recent_enough = ~known | (registered >= on - timedelta(days=waiting_days))
    not_future = ~known | (registered <= on)
    is_waiting = ~clients["client_id"].isin(done) & recent_enough & not_future
    waiting = clients[is_waiting]
    long_ago = known & (registered < on - timedelta(days=horizon_days))
    idle = int((is_waiting & long_ago & ~clients["client_id"].isin(asked)).sum())
    last_year = known & (registered > on - timedelta(days=HISTORY_DAYS)) & not_future
    pool = clients[last_year].reset_index(drop=True)
    expected = max(0.0, len(pool) * horizon_days / HISTORY_DAYS - len(waiting))
    rng = np.random.default_rng(seed)
    futures = [rng.integers(0, len(pool), size=rng.poisson(expected)) if len(pool)
               else np.zeros(0, dtype=np.int64) for _ in range(samples)]
    return Demand(waiting.reset_index(drop=True), pool, futures, float(expected), idle)
