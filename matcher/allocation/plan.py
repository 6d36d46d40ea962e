"""The result of an allocation, its validity check, and the comparison of several plans."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from matcher.allocation.pairs import Pairs, check_budget, check_capacity, check_cost

#: Why a client was left without an option, in the order they are tested.
REASONS = ("no_eligible_option", "capacity", "budget", "not_worth")


@dataclass(frozen=True, eq=False)
class Plan:
    """One option (or none) per client of the cohort.

    Attributes
    ----------
    option_of_client : ndarray of int
        The option given to each client, -1 when the client is left unassigned.
    objective : float
        Sum over the assigned pairs of ``weight[client] * p_success``.
    expected_successes : float
        Sum over the assigned pairs of ``p_success`` (unweighted).
    cost_vnd : int
        Total cost of the assigned pairs.
    optimal : bool
        True when the plan is proven to maximise the objective (exact solvers only).
    method : str
        How the plan was made, e.g. ``"min_cost_flow"`` or ``"greedy"``.
    seconds : float
        Wall-clock time spent making it.
    status : str
        The solver's word on it (``"OPTIMAL"``, ``"TIME_LIMIT"``, ``"HEURISTIC"``).
    bound : float
        A proven upper bound on the best objective: ``objective`` itself for a min-cost
        flow, at most ``objective * (1 + 1e-6)`` for an optimal budgeted plan, the bound
        reached for one stopped by the time limit, NaN for the baselines (no proof).
    seats_left_empty : int
        Seats of the options that the plan leaves unused.
    """

    option_of_client: np.ndarray
    objective: float
    expected_successes: float
    cost_vnd: int
    optimal: bool
    method: str
    seconds: float
    status: str = "HEURISTIC"
    bound: float = math.nan
    seats_left_empty: int = 0

    @property
    def assigned(self) -> int:
        """Number of clients given an option."""
        return int(np.count_nonzero(self.option_of_client >= 0))

    @property
    def gap(self) -> float:
        """Relative optimality gap ``(bound - objective) / bound``; NaN when unknown."""
        if math.isnan(self.bound):
            return math.nan
        if self.bound <= 0:
            return 0.0
        return max(0.0, (self.bound - self.objective) / self.bound)

    def unassigned_reasons(
        self,
        pairs: Pairs,
        capacity: ArrayLike,
        cost_vnd: ArrayLike | None = None,
        budget_vnd: int | None = None,
    ) -> dict[int, str]:
        """Say, for each unassigned client, why the plan left them out.

        The first that applies, in this order:

        - ``no_eligible_option``: the client has no eligible pair at all;
        - ``capacity``: every eligible option of the client is full in this plan;
        - ``budget``: an eligible option has a seat left, but its cost is more than the
          budget left over by this plan;
        - ``not_worth``: a seat the budget can pay for is free, yet the client is out.
          An optimal plan does this only when the client's every such pair adds nothing to
          the objective (``weight * p_success == 0``), since placing a client with a
          positive gain in a free, affordable seat would raise the objective. ``solve``
          fills such seats before it returns, so from it this reason means "zero gain";
          the baselines never leave a client out this way.

        Returns
        -------
        dict
            Client index -> reason code, for the unassigned clients only, by index.
        """
        cap = check_capacity(pairs, capacity)
        cost = check_cost(pairs, cost_vnd)
        budget = check_budget(budget_vnd)
        opt = np.asarray(self.option_of_client)
        given = opt[opt >= 0]
        load = np.bincount(given, minlength=pairs.n_options)
        left = math.inf if budget is None else budget - int(cost[given].sum())
        free = (load < cap)[pairs.option]
        affordable = free & (cost[pairs.option] <= left)
        n = pairs.n_clients
        has_pair = np.bincount(pairs.client, minlength=n) > 0
        has_free = np.bincount(pairs.client, weights=free, minlength=n) > 0
        has_affordable = np.bincount(pairs.client, weights=affordable, minlength=n) > 0
        reasons = {}
        for c in np.flatnonzero(opt < 0):
            if not has_pair[c]:
                reasons[int(c)] = "no_eligible_option"
            elif not has_free[c]:
                reasons[int(c)] = "capacity"
            elif not has_affordable[c]:
                reasons[int(c)] = "budget"
            else:
                reasons[int(c)] = "not_worth"
        return reasons


def pair_lookup(pairs: Pairs, client: np.ndarray, option: np.ndarray) -> np.ndarray:
    """Index of each (client, option) in ``pairs``, -1 where it is not a listed pair."""
    width = max(pairs.n_options, 1)
    wanted = np.asarray(client, dtype=np.int64) * width + np.asarray(option, dtype=np.int64)
    found_at = np.full(len(wanted), -1, dtype=np.int64)
    if len(pairs) == 0:
        return found_at
    keys = pairs.client * width + pairs.option
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    at = np.minimum(np.searchsorted(sorted_keys, wanted), len(sorted_keys) - 1)
    found = sorted_keys[at] == wanted
    found_at[found] = order[at[found]]
    return found_at


def build_plan(
    pairs: Pairs,
    chosen: np.ndarray,
    *,
    weight: np.ndarray,
    capacity: np.ndarray,
    cost: np.ndarray,
    method: str,
    seconds: float,
    optimal: bool = False,
    status: str = "HEURISTIC",
    bound: float = math.nan,
) -> Plan:
    """Make a :class:`Plan` from the indices of the chosen pairs."""
    chosen = np.asarray(chosen, dtype=np.int64)
    option_of_client = np.full(pairs.n_clients, -1, dtype=np.int64)
    option_of_client[pairs.client[chosen]] = pairs.option[chosen]
    p = pairs.p_success[chosen]
    objective = float(np.sum(weight[pairs.client[chosen]] * p))
    option_of_client.setflags(write=False)
    return Plan(
        option_of_client=option_of_client,
        objective=objective,
        expected_successes=float(p.sum()),
        cost_vnd=int(cost[pairs.option[chosen]].sum()),
        optimal=optimal,
        method=method,
        seconds=seconds,
        status=status,
        bound=objective if math.isnan(bound) and optimal else bound,
        seats_left_empty=int(capacity.sum()) - len(chosen),
    )


def _listed(problems: list[str], items: list[str], what: str, limit: int = 5) -> None:
    if items:
        more = f" (and {len(items) - limit} more)" if len(items) > limit else ""
        problems.append(f"{what}: " + ", ".join(items[:limit]) + more)


def check_validity(
    plan: Plan,
    pairs: Pairs,
    capacity: ArrayLike,
    cost_vnd: ArrayLike | None = None,
    budget_vnd: int | None = None,
) -> bool:
    """Check a plan against the pairs, the seats and the budget.

    Raises
    ------
    ValueError
        One error listing every broken constraint: a wrong array shape, an unknown option,
        an assignment that is not an eligible pair, an option over capacity, the budget
        exceeded, or a reported cost that does not add up.

    Returns
    -------
    bool
        True when the plan is valid.
    """
    cap = check_capacity(pairs, capacity)
    cost = check_cost(pairs, cost_vnd)
    budget = check_budget(budget_vnd)
    opt = np.asarray(plan.option_of_client)
    if opt.shape != (pairs.n_clients,):
        raise ValueError(
            f"invalid plan: option_of_client must have shape ({pairs.n_clients},), "
            f"got {opt.shape}"
        )
    problems: list[str] = []
    unknown = np.flatnonzero((opt < -1) | (opt >= pairs.n_options))
    _listed(problems, [f"client {c} -> {opt[c]}" for c in unknown], "unknown option")
    given = np.flatnonzero((opt >= 0) & (opt < pairs.n_options))
    missing = given[pair_lookup(pairs, given, opt[given]) < 0]
    _listed(
        problems,
        [f"client {c} -> option {opt[c]}" for c in missing],
        "assignment not among the eligible pairs",
    )
    load = np.bincount(opt[given], minlength=pairs.n_options)
    over = np.flatnonzero(load > cap)
    _listed(
        problems,
        [f"option {o} has {load[o]} clients for {cap[o]} seats" for o in over],
        "over capacity",
    )
    total = int(cost[opt[given]].sum())
    if budget is not None and total > budget:
        problems.append(f"over budget: cost {total} VND > budget {budget} VND")
    if total != plan.cost_vnd:
        problems.append(f"reported cost {plan.cost_vnd} VND, but the assignments cost {total}")
    if problems:
        raise ValueError("invalid plan: " + "; ".join(problems))
    return True


def compare(plans: dict[str, Plan]) -> dict:
    """A JSON-friendly summary of several plans of the same cohort.

    Each entry holds the objective, the expected successes, the number assigned and left
    out, the seats left empty, the cost, whether it is proven optimal, the optimality gap
    when known, the seconds taken, and ``shortfall``: how much less than the best of the
    plans compared its objective is.

    Examples
    --------
    >>> import numpy as np
    >>> plan = Plan(np.array([0, -1]), 0.5, 0.5, 0, True, "min_cost_flow", 0.01)
    >>> compare({"optimal": plan})["optimal"]["assigned"]
    1
    """
    best = max((plan.objective for plan in plans.values()), default=0.0)
    summary = {}
    for name, plan in plans.items():
        gap = plan.gap
        summary[name] = {
            "method": plan.method,
            "objective": round(plan.objective, 6),
            "expected_successes": round(plan.expected_successes, 6),
            "assigned": plan.assigned,
            "unassigned": int(len(plan.option_of_client)) - plan.assigned,
            "seats_left_empty": plan.seats_left_empty,
            "cost_vnd": int(plan.cost_vnd),
            "optimal": bool(plan.optimal),
            "gap": None if math.isnan(gap) else round(gap, 9),
            "shortfall": round(best - plan.objective, 6),
            "seconds": round(plan.seconds, 3),
        }
    return summary
