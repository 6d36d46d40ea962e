"""The exact cohort assignment: most expected successes under seats and a budget."""

from __future__ import annotations

import math
import time

import numpy as np
from numpy.typing import ArrayLike

from matcher.allocation.budget import fill, solve_with_budget
from matcher.allocation.flow import max_profit_assignment
from matcher.allocation.pairs import (
    Pairs,
    check_budget,
    check_capacity,
    check_cost,
    check_weight,
)
from matcher.allocation.plan import Plan, build_plan, check_validity


def solve(
    pairs: Pairs,
    *,
    capacity: ArrayLike,
    cost_vnd: ArrayLike | None = None,
    budget_vnd: int | None = None,
    weight: ArrayLike | None = None,
    time_limit_s: float = 60.0,
) -> Plan:
    """Assign the cohort to maximise the weighted total of expected successes.

    Maximises ``sum(weight[client] * p_success)`` over the assigned pairs, subject to: each
    client gets at most one option, only listed (eligible) pairs are used, option ``o``
    takes at most ``capacity[o]`` clients, and the total cost of the assigned pairs is at
    most ``budget_vnd`` when one is given.

    Without a budget (or when the best plan without one fits it) this is a min-cost flow,
    solved exactly by OR-Tools (profits rounded to 2**-40 of the largest; see
    :mod:`matcher.allocation.flow`). With a binding budget it is an integer program: a
    Lagrangian bound and reduced-cost fixing shrink it, then HiGHS solves what is left
    (:mod:`matcher.allocation.budget`); such a plan is reported optimal when proven within
    a relative gap of 1e-6 (``plan.bound`` and ``plan.gap`` give the proof). A pair with
    zero gain (``p_success == 0`` or a zero weight) adds nothing, so no seat or VND is
    spent on it.

    Parameters
    ----------
    pairs : Pairs
        The eligible pairs with their predicted chance of success.
    capacity : array of int, one per option
        Seats, openings or slots free; >= 0.
    cost_vnd : array of int, one per option, optional
        Fee or start-up cost paid for each client placed there; >= 0.
    budget_vnd : int, optional
        Most the plan may spend; >= 0. No limit when None.
    weight : array of float, one per client, optional
        Priority weights, >= 0; all 1 when not given.
    time_limit_s : float
        Time for the budgeted search, checked between its steps (a step can take several
        seconds at 100,000 clients). When it runs out, the best plan found is returned
        with ``optimal=False``, ``status="TIME_LIMIT"`` and its proven ``bound``.

    Returns
    -------
    Plan

    Raises
    ------
    ValueError
        On arrays of the wrong length, negative seats, costs or budget, or bad weights.

    Examples
    --------
    >>> from matcher.allocation import Pairs, solve
    >>> pairs = Pairs.from_arrays(client=[0, 0, 1], option=[0, 1, 0],
    ...                           p_success=[0.9, 0.8, 0.6], n_clients=2, n_options=2)
    >>> solve(pairs, capacity=[1, 1]).option_of_client.tolist()
    [1, 0]
    """
    start = time.perf_counter()
    cap = check_capacity(pairs, capacity)
    cost = check_cost(pairs, cost_vnd)
    budget = check_budget(budget_vnd)
    w = check_weight(pairs, weight)
    if not time_limit_s > 0:
        raise ValueError(f"time_limit_s must be > 0, got {time_limit_s}")
    gain = w[pairs.client] * pairs.p_success
    if not np.all(np.isfinite(gain)):
        raise ValueError("weight * p_success overflows: use smaller weights")
    pair_cost = cost[pairs.option]
    if budget is None or not np.any(pair_cost[gain > 0]):
        flow = max_profit_assignment(pairs.client, pairs.option, gain, cap)
        chosen = fill(flow.chosen, client=pairs.client, option=pairs.option, gain=gain,
                      pair_cost=pair_cost, capacity=cap, budget=budget,
                      n_clients=pairs.n_clients)
        optimal, status, bound, method = True, "OPTIMAL", math.nan, "min_cost_flow"
    else:
        result = solve_with_budget(
            client=pairs.client, option=pairs.option, gain=gain, pair_cost=pair_cost,
            capacity=cap, budget=budget, n_clients=pairs.n_clients,
            deadline=start + time_limit_s,
        )
        chosen, optimal, status = result.chosen, result.optimal, result.status
        bound, method = result.bound, result.method
    plan = build_plan(pairs, chosen, weight=w, capacity=cap, cost=cost, method=method,
                      seconds=time.perf_counter() - start, optimal=optimal, status=status,
                      bound=bound)
    check_validity(plan, pairs, cap, cost, budget)  # a solver slip is an error, not a plan
    return plan
