"""Seat prices from the assignment's dual over sampled futures (bid prices).

For each sampled future, the waiting list and that future's arrivals are assigned to the
options' current seats by the exact maximum-expected-successes assignment (the cohort
plan's min-cost flow, on P(success)). Its dual prices every full option: what one of its
seats is worth to the others who want it. An option with seats to spare in the plan has
price 0. Prices are in expected successes, the unit of P(success), averaged over futures.

A full option's dual price is not unique: it lies between what one more seat would add
(the smallest) and what one seat fewer would cost (the largest). Which one a client should
see depends on whom the plan seats there. For a client the plan seats in the option, taking
it displaces nobody: the cost to the others is only what they would gain from the seat, the
smallest price. For anyone else, taking it displaces a client the plan seats there: the
cost is the largest price. With these two prices a client the plan seats somewhere ranks
that seat at least as high, net, as any other (complementary slackness), and a client with
nearly as good an alternative leaves a seat to the one who needs it. One price for all
would either tie everyone with their alternative (the smallest) or push a seat's only
candidate away from it (the largest). Anchors: bid-price control in revenue management;
Annie MOORE's dynamic variant (Ahani et al.) and GeoMatch price seats from the same dual.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from matcher.allocation.flow import max_profit_assignment
from matcher.matching.engine import Matcher
from matcher.pricing.demand import Demand
from matcher.store.profiles import ClientProfile

#: Options kept per client in the assignment behind the prices, those of highest P(success):
#: a client's alternatives to a contested seat are among their best, and a national waiting
#: list of 20,000 clients with ~3,000 eligible options each would be 60 million pairs.
MAX_OPTIONS = 50


@dataclass(frozen=True)
class PriceResult:
    """Prices per catalogue row of the matcher they were computed with."""

    price: np.ndarray  # for a client the plan does not seat in the option
    held_price: np.ndarray  # for a client the plan seats there
    #: per option id, the waiting clients the plan seats there in most futures
    holders: dict[str, tuple[str, ...]] = field(default_factory=dict)
    n_waiting: int = 0
    expected_arrivals: float = 0.0
    n_idle: int = 0


def compute_prices(matcher: Matcher, demand: Demand, *, on: date) -> PriceResult:
    """Each option's seat price given ``demand`` and the matcher's current seats."""
    n_options = len(matcher.catalog)
    if demand.empty or n_options == 0:
        return PriceResult(np.zeros(n_options), np.zeros(n_options), {}, len(demand.waiting),
                           demand.expected_arrivals, demand.idle)
    capacity = np.nan_to_num(matcher._arrays["capacity"], nan=0.0)  # noqa: SLF001
    capacity = np.maximum(capacity, 0).astype(np.int64)
    waiting = _profiles(demand.waiting)
    drawn = np.unique(np.concatenate([np.zeros(0, np.int64), *demand.futures]))
    pool = dict(zip(drawn.tolist(), _profiles(demand.pool.iloc[drawn]), strict=True))
    pairs = _pairs_of(matcher, waiting + list(pool.values()), on, capacity)
    high, low = np.zeros(n_options), np.zeros(n_options)
    seated: Counter[tuple[str, str]] = Counter()
    for future in demand.futures:
        people = waiting + [pool[i] for i in future]
        client, option, profit = _assemble(pairs, people)
        lowest, highest, chosen = plan_prices(client, option, profit, capacity)
        low += lowest
        high += highest
        for k in chosen[client[chosen] < len(waiting)]:
            seated[(people[client[k]].client_id, option[k])] += 1
    ids = matcher.catalog.options["option_id"].to_numpy(object)
    holders: dict[str, list[str]] = {}
    for (client_id, row), n in seated.items():
        if 2 * n >= len(demand.futures):
            holders.setdefault(ids[row], []).append(client_id)
    n = len(demand.futures)
    return PriceResult(high / n, low / n,
                       {o: tuple(sorted(c)) for o, c in holders.items()},
                       len(waiting), demand.expected_arrivals, demand.idle)


def plan_prices(client: np.ndarray, option: np.ndarray, profit: np.ndarray,
                capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seat prices of one future: each option's smallest and largest dual price in the
    maximum-profit assignment of the pairs (client[k], option[k], profit[k]) to the seats.

    Returns both per option (0 for an option with a seat to spare or none at all) and the
    indices of the pairs the assignment chose.
    """
    capacity = np.asarray(capacity, dtype=np.int64)
    n_clients = int(client.max()) + 1 if len(client) else 0
    flow = max_profit_assignment(client, option, profit, capacity)
    _, low = flow.prices(n_clients, len(capacity))
    low = np.where(capacity > 0, low, 0.0)  # a closed option's "price" means nothing
    high = np.where(capacity > 0, flow.highest_prices(len(capacity)), 0.0)
    return low, high, flow.chosen


def _profiles(frame: pd.DataFrame) -> list[ClientProfile]:
    return [ClientProfile.from_record(r) for r in frame.to_dict("records")]


def _pairs_of(matcher: Matcher, people: list[ClientProfile], on: date,
              capacity: np.ndarray) -> dict[ClientProfile, tuple[np.ndarray, np.ndarray]]:
    """Each profile's best eligible options with a seat, and their P(success), computed once
    per matcher: a refresh after an accept re-solves the assignment, it re-scores nobody.

    A seat taken later only closes an option (the assignment then skips it); an option that
    opens again (a provider adds seats) may belong in someone's best, so it scores afresh.
    """
    cache = matcher.pricing_pairs
    open_now = capacity > 0
    if cache.get("on") != on or (open_now & ~cache.get("open", open_now)).any():
        cache.clear()
        cache.update(on=on, open=open_now)
    missing = list(dict.fromkeys(p for p in people if p not in cache))
    if missing:
        found = matcher.cohort_candidates(missing, on=on, max_options=MAX_OPTIONS)
        for i, person in enumerate(missing):
            part = found.of(i)
            cache[person] = (found.rows[part], found.p_success[part])
    return cache


def _assemble(pairs: dict, people: list[ClientProfile]
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    parts = [pairs[p] for p in people]
    sizes = [len(rows) for rows, _ in parts]
    if not sum(sizes):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    client = np.repeat(np.arange(len(people)), sizes)
    option = np.concatenate([rows for rows, _ in parts]).astype(np.int64)
    profit = np.concatenate([p for _, p in parts])
    return client, option, profit
