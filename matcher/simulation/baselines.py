"""What the arrivals through the product are measured against, all graded by the world's truth.

- ``habit``: the social workers' habit, one arrival at a time, seats permitting: among the
  options the product deems eligible (the matcher's candidates) that still have a seat, the
  nearest, leaning to wishes (the largest ``wish_match − 0.03·km``). A plain function over the
  candidates, not through the API.
- ``random``: one arrival at a time, a random option among those the *truth* deems eligible
  that still have a seat; the mean of 30 runs (as the other world's score.py).
- ``cohort_plan``: the product's own plan for all arrivals at once
  (:func:`matcher.planning.cohort.plan_cohort`), as if every arrival were known in advance.
- ``oracle``: hindsight, the exact assignment on the true P under the seats
  (:func:`matcher.allocation.solve`, a min-cost flow).

A pair the truth deems ineligible counts 0 and is counted (``ineligible_under_truth``).
With providers' seat changes (:mod:`~matcher.simulation.changes`), the habit and random apply
them at the same moments as the runs through the API; the oracle and the cohort plan get
every seat ever offered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from matcher.allocation import Pairs, random_eligible, solve
from matcher.simulation.changes import SeatChange, apply, season_seats
from matcher.simulation.worlds import TruthWorld

HABIT_KM_WEIGHT = 0.03  # one kilometre weighs as much as 3% of a met wish
RANDOM_RUNS = 30


def habit_key(wish: float, km: float) -> float:
    """The social workers' habit: the larger, the likelier they pick the option."""
    return float(wish) - HABIT_KM_WEIGHT * float(km)


@dataclass
class Graded:
    """Decisions graded by the truth."""

    successes: float
    placed: int
    ineligible: int
    #: the (client, option) pairs graded, where the policy gives them (not oracle or random)
    pairs: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"successes": round(self.successes, 4), "placed": self.placed,
                "ineligible_under_truth": self.ineligible}


def grade(world: TruthWorld, pairs: list[tuple[str, str]]) -> Graded:
    """The true expected successes of ``pairs`` (sum of true P; 0 where ineligible)."""
    if not pairs:
        return Graded(0.0, 0, 0)
    clients, options = zip(*pairs, strict=True)
    p = world.true_p(clients, options)
    bad = sum(1 for c, o in pairs if not world.is_eligible(c, o))
    return Graded(float(p.sum()), len(pairs), bad, tuple(pairs))


def _truth_pairs(world: TruthWorld, changes: tuple[SeatChange, ...] = ()
                 ) -> tuple[Pairs, np.ndarray, list[str]]:
    """The truth's eligible pairs as the allocation's pair list (clients in arrival order),
    the seats per option (every seat ever offered, with ``changes``) and the option ids."""
    option_ids = sorted(world.capacity)
    col = {o: k for k, o in enumerate(option_ids)}
    row = {c: k for k, c in enumerate(world.arrivals)}
    eligible = [(c, o) for c, o in world.eligible_truth if o in col]
    clients, options = (zip(*eligible, strict=True) if eligible else ((), ()))
    pairs = Pairs.from_arrays(client=[row[c] for c in clients], option=[col[o] for o in options],
                              p_success=world.true_p(clients, options),
                              n_clients=len(world.arrivals), n_options=len(option_ids))
    seats = season_seats(world.capacity, changes)
    capacity = np.array([seats[o] for o in option_ids], dtype=np.int64)
    return pairs, capacity, option_ids


def oracle(world: TruthWorld, changes: tuple[SeatChange, ...] = ()) -> Graded:
    """The most true expected successes any assignment under the seats could reach."""
    pairs, capacity, _ = _truth_pairs(world, changes)
    plan = solve(pairs, capacity=capacity)
    return Graded(float(plan.expected_successes), int(plan.assigned), 0)


def random_arrivals(world: TruthWorld, order: list[str], *, seed: int = 0,
                    runs: int = RANDOM_RUNS, changes: tuple[SeatChange, ...] = ()) -> Graded:
    """Mean over ``runs`` of a random truth-eligible option with a seat, one arrival at a time
    in ``order`` (a random preference order per pair takes the first open option: uniform
    among the open ones)."""
    if changes:
        return _random_with_changes(world, order, seed, runs, changes)
    pairs, capacity, _ = _truth_pairs(world)
    position = {c: k for k, c in enumerate(world.arrivals)}
    turn = np.array([position[c] for c in order], dtype=np.int64)
    plans = [random_eligible(pairs, capacity=capacity, order=turn, seed=seed * 1000 + k)
             for k in range(runs)]
    return Graded(float(np.mean([p.expected_successes for p in plans])),
                  round(float(np.mean([p.assigned for p in plans]))), 0)


def _random_with_changes(world: TruthWorld, order: list[str], seed: int, runs: int,
                         changes: tuple[SeatChange, ...]) -> Graded:
    """:func:`random_arrivals` with the seat changes applied as the arrivals go."""
    totals, placed = [], []
    for k in range(runs):
        rng = np.random.default_rng([seed, k, 31])
        seats = dict(world.capacity)
        got: list[tuple[str, str]] = []
        for i, client_id in enumerate(order):
            apply(seats, changes, i)
            open_now = [o for o in sorted(world.p.get(client_id, {})) if seats.get(o, 0) > 0]
            if open_now:
                o = open_now[int(rng.integers(len(open_now)))]
                seats[o] -= 1
                got.append((client_id, o))
        g = grade(world, got)
        totals.append(g.successes)
        placed.append(g.placed)
    return Graded(float(np.mean(totals)), round(float(np.mean(placed))), 0)


def habit(world: TruthWorld, matcher: Any, profiles: list, order: list[str],
          on: date, changes: tuple[SeatChange, ...] = ()) -> Graded:
    """The social workers' habit one arrival at a time (module docstring), graded by truth.

    ``matcher`` is the product's matcher at set-up (the seats before any arrival) and
    ``profiles`` the arrivals' stored profiles in ``world.arrivals`` order.
    """
    cands = matcher.cohort_candidates(profiles, on=on)
    seats = matcher.catalog.options["capacity"].to_numpy(float).astype(np.int64).copy()
    option_ids = matcher.catalog.options["option_id"].to_numpy(object)
    position = {c: k for k, c in enumerate(world.arrivals)}
    row_of = {o: k for k, o in enumerate(option_ids)}
    chosen: list[tuple[str, str]] = []
    for i, client_id in enumerate(order):
        apply(seats, changes, i, row_of)
        span = cands.of(position[client_id])
        rows = cands.rows[span]
        key = cands.wish[span] - HABIT_KM_WEIGHT * cands.distance_km[span]
        for k in np.lexsort((rows, -key)):  # best habit first; ties: the lower row
            if seats[rows[k]] > 0:
                seats[rows[k]] -= 1
                chosen.append((client_id, str(option_ids[rows[k]])))
                break
    return grade(world, chosen)


def cohort_plan(world: TruthWorld, matcher: Any, profiles: list, on: date,
                changes: tuple[SeatChange, ...] = ()) -> Graded:
    """The product's plan for every arrival at once (with every seat ever offered), graded
    by truth."""
    from matcher.planning.cohort import plan_cohort

    if changes:
        # The set-up's own matcher, built for the baselines: its seats become the season's.
        seats = season_seats(world.capacity, changes)
        ids = matcher.catalog.options["option_id"]
        capacity = ids.map(lambda o: seats.get(o, 0)).to_numpy(float)
        matcher.catalog.options["capacity"] = capacity
        matcher._arrays["capacity"] = capacity  # noqa: SLF001 - the array the rules read
    plan = plan_cohort(matcher, profiles, on=on)
    return grade(world, [(a["client_id"], a["option_id"]) for a in plan["assignments"]])
