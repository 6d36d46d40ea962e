"""The plans the optimiser is measured against: what a caseworker might do, one client at a time.

Each takes the clients in turn (by index unless an ``order`` is given) and gives each the
first option in the client's own preference order that still has a seat and that the budget
left can pay for. They differ only in that preference order.
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import ArrayLike

from matcher.allocation.pairs import (
    Pairs,
    check_budget,
    check_capacity,
    check_cost,
    check_weight,
)
from matcher.allocation.plan import Plan, build_plan


def _sequential(pairs, preference, *, capacity, cost_vnd, budget_vnd, weight, order, method):
    start = time.perf_counter()
    cap = check_capacity(pairs, capacity)
    cost = check_cost(pairs, cost_vnd)
    budget = check_budget(budget_vnd)
    w = check_weight(pairs, weight)
    if order is None:
        order = np.arange(pairs.n_clients)
    order = np.asarray(order, dtype=np.int64)
    clients = np.arange(pairs.n_clients)
    if order.shape != clients.shape or not np.array_equal(np.sort(order), clients):
        raise ValueError("order must be a permutation of the client indices")
    ranked = np.lexsort((preference, pairs.client))  # by client, then preference
    starts = np.searchsorted(pairs.client[ranked], np.arange(pairs.n_clients + 1))
    option_list = pairs.option[ranked].tolist()
    seats = cap.tolist()
    price = cost.tolist()
    left = float("inf") if budget is None else budget
    chosen = []
    for c in order.tolist():
        for k in range(starts[c], starts[c + 1]):
            o = option_list[k]
            if seats[o] > 0 and price[o] <= left:
                seats[o] -= 1
                left -= price[o]
                chosen.append(ranked[k])
                break
    return build_plan(pairs, np.asarray(chosen, dtype=np.int64), weight=w, capacity=cap,
                      cost=cost, method=method, seconds=time.perf_counter() - start)


def greedy(pairs: Pairs, *, capacity: ArrayLike, cost_vnd: ArrayLike | None = None,
           budget_vnd: int | None = None, weight: ArrayLike | None = None,
           order: ArrayLike | None = None) -> Plan:
    """Each client in turn takes their most promising option still open.

    Preference: highest ``p_success``, then nearest, then lowest option index.

    Parameters
    ----------
    pairs : Pairs
    capacity : array of int, one per option
    cost_vnd : array of int, one per option, optional
    budget_vnd : int, optional
    weight : array of float, one per client, optional
        Used only to report the objective; the choice follows ``p_success``.
    order : array of int, optional
        The order the clients choose in; by index when not given.

    Returns
    -------
    Plan
    """
    preference = np.lexsort((pairs.option, pairs.distance_km, -pairs.p_success))
    return _sequential(pairs, np.argsort(preference), capacity=capacity, cost_vnd=cost_vnd,
                       budget_vnd=budget_vnd, weight=weight, order=order, method="greedy")


def status_quo(pairs: Pairs, *, capacity: ArrayLike, cost_vnd: ArrayLike | None = None,
               budget_vnd: int | None = None, weight: ArrayLike | None = None,
               order: ArrayLike | None = None) -> Plan:
    """Each client in turn takes the nearest option still open, as placements were made.

    Preference: shortest ``distance_km``, then highest ``p_success``, then option index.
    Parameters as for :func:`greedy`.
    """
    preference = np.lexsort((pairs.option, -pairs.p_success, pairs.distance_km))
    return _sequential(pairs, np.argsort(preference), capacity=capacity, cost_vnd=cost_vnd,
                       budget_vnd=budget_vnd, weight=weight, order=order, method="status_quo")


def random_eligible(pairs: Pairs, *, capacity: ArrayLike, cost_vnd: ArrayLike | None = None,
                    budget_vnd: int | None = None, weight: ArrayLike | None = None,
                    order: ArrayLike | None = None, seed: int = 0) -> Plan:
    """Each client in turn takes an option at random among those still open.

    Parameters as for :func:`greedy`, plus ``seed`` for ``numpy.random.default_rng``.
    """
    preference = np.random.default_rng(seed).random(len(pairs))
    return _sequential(pairs, preference, capacity=capacity, cost_vnd=cost_vnd,
                       budget_vnd=budget_vnd, weight=weight, order=order,
                       method=f"random_eligible(seed={seed})")
