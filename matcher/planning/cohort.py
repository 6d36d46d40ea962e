"""A plan for a whole cohort: eligible pairs from the matcher, the exact plan, the baselines."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from matcher.allocation import Pairs, compare, greedy, random_eligible, solve, status_quo
from matcher.allocation.plan import pair_lookup
from matcher.matching.engine import Candidates, CohortCandidates, Matcher
from matcher.store.profiles import ClientProfile

REASON_TEXT = {
    "no_eligible_option": ("Không có lựa chọn nào phù hợp điều kiện",
                           "No eligible option"),
    "capacity": ("Các lựa chọn phù hợp đã hết chỗ trong kế hoạch",
                 "Every eligible option is full in the plan"),
    "budget": ("Không đủ ngân sách", "Not within the budget"),
    "not_worth": ("Khả năng thành công ước tính bằng 0", "Predicted chance of success is 0"),
}


def cohort_pairs(matcher: Matcher, clients: list[ClientProfile], *,
                 on: date | None = None, max_options: int | None = None) -> Pairs:
    """Every eligible (client, option) pair of the cohort with its predicted P(success).

    Computed in batches (:meth:`Matcher.cohort_candidates`); ``max_options`` keeps each
    client's best ones only, for very large cohorts.
    """
    if not clients:
        raise ValueError("empty cohort: list at least one client")
    return pairs_from(matcher.cohort_candidates(clients, on=on, max_options=max_options),
                      len(matcher.catalog))


def pairs_from(candidates: CohortCandidates, n_options: int) -> Pairs:
    """A cohort's candidates as the pair list of the allocation."""
    return Pairs(client=candidates.client, option=candidates.rows,
                 p_success=candidates.p_success, distance_km=candidates.distance_km,
                 n_clients=candidates.n_clients, n_options=n_options)


def pairs_of(parts: list[Candidates], n_options: int) -> Pairs:
    """The candidates of each client of a cohort, in order, as one pair list."""
    sizes = [len(p.rows) for p in parts]
    return Pairs(
        client=np.repeat(np.arange(len(parts)), sizes),
        option=np.concatenate([p.rows for p in parts]) if parts else np.zeros(0, int),
        p_success=np.concatenate([p.p_success for p in parts]),
        distance_km=np.concatenate([p.distance_km for p in parts]),
        n_clients=len(parts),
        n_options=n_options,
    )


def priority_weights(clients: list[ClientProfile], priority: dict[str, float]) -> np.ndarray:
    """Per-client weights of the objective: the group's priority, 1 by default."""
    return np.array([float(priority.get(c.group, 1.0)) for c in clients])


def plan_cohort(matcher: Matcher, clients: list[ClientProfile], *,
                budget_vnd: int | None = None, priority: dict[str, float] | None = None,
                on: date | None = None, seed: int = 0,
                max_options: int | None = None) -> dict[str, Any]:
    """The best plan and its baselines, in the data contract's ``allocate --json`` shape.

    ``max_options`` limits each client's candidates to their best ones (see
    :meth:`Matcher.cohort_candidates`); by default every eligible option is considered.
    """
    if budget_vnd is not None and budget_vnd < 0:
        raise ValueError(f"the budget must be 0 or more, not {budget_vnd}")
    pairs = cohort_pairs(matcher, clients, on=on, max_options=max_options)
    options = matcher.catalog.options
    capacity = options["capacity"].to_numpy(np.int64)
    cost = np.nan_to_num(options["cost_vnd"].to_numpy(float), nan=0.0).astype(np.int64)
    weight = priority_weights(clients, priority or {})
    kwargs = {"capacity": capacity, "cost_vnd": cost, "budget_vnd": budget_vnd, "weight": weight}
    best = solve(pairs, **kwargs)
    plans = {
        "optimal": best,
        "greedy": greedy(pairs, **kwargs),
        "status_quo": status_quo(pairs, **kwargs),
        "random": random_eligible(pairs, **kwargs, seed=seed),
    }
    summary = compare(plans)
    option_ids = options["option_id"].to_numpy(object)
    placed = np.flatnonzero(best.option_of_client >= 0)
    given = best.option_of_client[placed]
    p_given = pairs.p_success[pair_lookup(pairs, placed, given)]
    assignments = [
        {"client_id": clients[i].client_id, "option_id": option_ids[o],
         "p_success": round(float(p), 4)}
        for i, o, p in zip(placed, given, p_given, strict=True)
    ]
    reasons = best.unassigned_reasons(pairs, capacity, cost, budget_vnd)
    unassigned = [
        {"client_id": clients[i].client_id, "reason": code,
         "vi": REASON_TEXT[code][0], "en": REASON_TEXT[code][1]}
        for i, code in sorted(reasons.items())
    ]
    return {
        "assignments": assignments,
        "objective": round(best.objective, 6),
        "expected_successes": round(best.expected_successes, 6),
        "cost_vnd": int(best.cost_vnd),
        "budget_vnd": budget_vnd,
        "optimal": bool(best.optimal),
        "method": best.method,
        "model_version": matcher.model.version,
        "seats_left_empty": best.seats_left_empty,
        "gain_over": {name: round(best.objective - plans[name].objective, 6)
                      for name in ("greedy", "status_quo", "random")},
        "baselines": {k: v for k, v in summary.items() if k != "optimal"},
        "unassigned": unassigned,
    }
