"""The assignment under a budget: Lagrangian bound, reduced-cost fixing, then LP and MILP.

A budget turns the assignment into an integer program (Annie MOORE's case). HiGHS solves it
whole in a few seconds for a cohort of a thousand, but at 100,000 clients x 3 million pairs
it had not found a first solution after 15 minutes. So the program is shrunk first, without
losing the optimum:

1. Relax the budget with a price ``lam`` (per budget): for each ``lam`` the problem is a
   min-cost flow again (:mod:`matcher.allocation.flow`), and ``L(lam) = best flow profit +
   lam`` bounds the objective from above. ``L`` is convex and piecewise linear; its minimum
   (the LP bound) is found by intersecting tangents, 10 to 20 flows.
2. Every flow is made a feasible plan (the pairs of lowest gain per VND dropped until it
   fits, then free affordable seats filled); the best is the lower bound ``LB``.
3. The flow at the best ``lam`` gives dual prices ``u`` (clients) and ``v`` (options). For
   any plan, ``objective <= UB + sum of r_e over its pairs``, with reduced gains
   ``r_e = gain_e - lam * cost_e / budget - u_c - v_o <= 0``. A pair with ``r_e < LB - UB``
   is in no plan better than ``LB``: it is dropped (90-97% of them at 100,000 clients).
4. The LP relaxation on the pairs kept bounds every plan better than ``LB``, so
   ``max(its optimum, LB)`` is a new ``UB``, usually far below the Lagrangian one; its
   vertex has few fractional values, and rounding them down gives a new candidate ``LB``.
5. Only if the gap is still open, HiGHS' MILP on the pairs kept finishes the job.

The plan is reported optimal once ``UB - LB <= OPTIMALITY_GAP * UB``. When the time limit
stops the search, the best plan is returned with ``optimal=False`` and its ``UB``. The
limit is checked between steps: one flow or one HiGHS step (an LP on 300,000 columns took
15 s on 2 cores) can overrun it.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np

from matcher.allocation.flow import max_profit_assignment
from matcher.allocation.highs import integer_program, lp_relaxation

log = logging.getLogger(__name__)

#: A plan is reported optimal when proven within this relative gap of the best possible:
#: 0.05 expected successes in a cohort of 100,000 (HiGHS' own default is 1e-4).
OPTIMALITY_GAP = 1e-6


@dataclass
class BudgetResult:
    chosen: np.ndarray
    optimal: bool
    status: str
    bound: float
    method: str


def fill(chosen, *, client, option, gain, pair_cost, capacity, budget, n_clients):
    """Add pairs of unassigned clients to free, affordable seats, best gain first."""
    load = np.bincount(option[chosen], minlength=len(capacity))
    placed = np.zeros(n_clients, dtype=bool)
    placed[client[chosen]] = True
    left = math.inf if budget is None else budget - int(pair_cost[chosen].sum())
    extra = np.flatnonzero(
        (gain > 0) & ~placed[client] & (load[option] < capacity[option]) & (pair_cost <= left)
    )
    added = []
    for e in extra[np.argsort(-gain[extra], kind="stable")]:
        c, o = client[e], option[e]
        if not placed[c] and load[o] < capacity[o] and pair_cost[e] <= left:
            placed[c] = True
            load[o] += 1
            left -= pair_cost[e]
            added.append(e)
    return np.concatenate([chosen, np.asarray(added, dtype=np.int64)])


def _within_budget(chosen, *, gain, pair_cost, budget):
    """Drop the chosen pairs of lowest gain per VND until the plan fits the budget."""
    excess = int(pair_cost[chosen].sum()) - budget
    if excess <= 0:
        return chosen
    paid = chosen[pair_cost[chosen] > 0]
    paid = paid[np.argsort(gain[paid] / pair_cost[paid], kind="stable")]
    n_drop = int(np.searchsorted(np.cumsum(pair_cost[paid]), excess)) + 1
    return np.setdiff1d(chosen, paid[:n_drop])


def solve_with_budget(
    *, client, option, gain, pair_cost, capacity, budget, n_clients, deadline
) -> BudgetResult:
    """Maximise the total gain under capacity and a budget (see the module docstring)."""
    arrays = {"client": client, "option": option, "gain": gain, "pair_cost": pair_cost}
    candidate = np.flatnonzero((gain > 0) & (pair_cost <= budget) & (capacity[option] > 0))
    sub = {name: values[candidate] for name, values in arrays.items()}
    first = max_profit_assignment(sub["client"], sub["option"], sub["gain"], capacity)
    common = {"gain": sub["gain"], "pair_cost": sub["pair_cost"], "budget": budget}
    fill_args = {"client": sub["client"], "option": sub["option"], "capacity": capacity,
                 "n_clients": n_clients, **common}
    if int(sub["pair_cost"][first.chosen].sum()) <= budget:
        # the best plan without a budget fits it: nothing to trade off
        chosen = fill(first.chosen, **fill_args)
        return BudgetResult(candidate[chosen], True, "OPTIMAL", math.nan, "min_cost_flow")
    kappa = sub["pair_cost"] / budget  # budget > 0 here: at 0 only free pairs remain

    best = {"value": -math.inf, "chosen": None}
    upper = {"value": math.inf, "lam": 0.0, "flow": None}

    def evaluate(lam, flow=None):
        if flow is None:
            flow = max_profit_assignment(sub["client"], sub["option"],
                                         sub["gain"] - lam * kappa, capacity)
        h = sub["gain"][flow.chosen] - lam * kappa[flow.chosen]
        value = float(h.sum()) + lam + flow.rounding_bound
        slope = 1.0 - float(kappa[flow.chosen].sum())
        if value < upper["value"]:
            upper.update(value=value, lam=lam, flow=flow)
        plan = fill(_within_budget(flow.chosen, **common), **fill_args)
        if sub["gain"][plan].sum() > best["value"]:
            best.update(value=float(sub["gain"][plan].sum()), chosen=plan)
        log.debug("lam=%.6g L=%.9g slope=%.3g best=%.9g (%.2fs left)", lam, value, slope,
                  best["value"], deadline - time.perf_counter())
        return value, slope

    lo = (0.0, *evaluate(0.0, first))
    paid = kappa > 0
    hi_lam = float(np.max(sub["gain"][paid] / kappa[paid])) * (1 + 1e-9)  # no paid pair left
    hi = (hi_lam, *evaluate(hi_lam))
    tol = 1e-9 * max(1.0, abs(upper["value"]))
    rounds = 0
    # until the gap is closed, the minimum of L is found, or the time is up
    while (
        time.perf_counter() < deadline
        and upper["value"] - best["value"] > OPTIMALITY_GAP * upper["value"]
        and hi[0] - lo[0] > 1e-15 * hi[0]
    ):
        # where the tangents at lo (slope < 0) and hi (slope >= 0) cross
        lam = (hi[1] - lo[1] + lo[2] * lo[0] - hi[2] * hi[0]) / (lo[2] - hi[2])
        if not lo[0] < lam < hi[0]:
            break
        predicted = lo[1] + lo[2] * (lam - lo[0])
        point = (lam, *evaluate(lam))
        rounds += 1
        if point[1] <= predicted + tol or point[2] == 0:
            break  # the minimum of L is at this breakpoint
        if point[2] < 0:
            lo = point
        else:
            hi = point
    ub, lb = upper["value"], best["value"]
    method = f"lagrangian({rounds + 2} flows)"
    if ub - lb <= OPTIMALITY_GAP * ub:
        return BudgetResult(candidate[best["chosen"]], True, "OPTIMAL", ub, method)
    # reduced-cost fixing with the prices of the flow at the best lam
    lam, flow = upper["lam"], upper["flow"]
    u, v = flow.prices(n_clients, len(capacity))
    reduced = sub["gain"] - lam * kappa - u[sub["client"]] - v[sub["option"]]
    slack = float(max(0.0, reduced.max())) * min(n_clients, int(capacity.sum()))
    ub = min(ub, float(u.sum() + capacity @ v) + lam + slack)
    kept = np.flatnonzero(reduced >= lb - ub - 1e-9 * ub)
    log.debug("bounds %.9g..%.9g, %d of %d pairs kept (%.2fs left)", lb, ub, len(kept),
              len(candidate), deadline - time.perf_counter())
    problem = {"client": sub["client"], "option": sub["option"], "gain": sub["gain"],
               "pair_cost": sub["pair_cost"], "capacity": capacity, "budget": budget}

    def keep_if_better(chosen):
        nonlocal lb
        if chosen is not None:
            chosen = fill(_within_budget(chosen, **common), **fill_args)
            if sub["gain"][chosen].sum() > lb:
                lb, best["chosen"] = float(sub["gain"][chosen].sum()), chosen

    # a plan better than lb uses kept pairs only, so max(bound on them, lb) bounds them all
    rounded, lp_bound = lp_relaxation(kept, seconds=deadline - time.perf_counter(), **problem)
    keep_if_better(rounded)
    ub = min(ub, max(lp_bound, lb))
    method += f"+lp({len(kept)} of {len(candidate)} pairs)"
    log.debug("after the LP: %.9g..%.9g (%.2fs left)", lb, ub, deadline - time.perf_counter())
    if ub - lb <= OPTIMALITY_GAP * ub:
        return BudgetResult(candidate[best["chosen"]], True, "OPTIMAL", ub, method)
    if time.perf_counter() >= deadline:
        return BudgetResult(candidate[best["chosen"]], False, "TIME_LIMIT", ub, method)
    chosen, milp_bound, status = integer_program(
        kept, seconds=deadline - time.perf_counter(), gap=OPTIMALITY_GAP, **problem
    )
    keep_if_better(chosen)
    ub = min(ub, max(milp_bound, lb))
    method += "+milp"
    optimal = ub - lb <= OPTIMALITY_GAP * ub
    return BudgetResult(candidate[best["chosen"]], optimal, "OPTIMAL" if optimal else status,
                        ub, method)
