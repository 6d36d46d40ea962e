"""Cohort allocation: the best assignment of a cohort under seats and a budget.

Independent of the database and of the outcome model: it takes the eligible pairs and their
predicted chance of success as arrays (:class:`Pairs`) and returns a :class:`Plan`.

- :func:`solve` is exact: a min-cost flow without a budget, a Lagrangian-pruned MILP with one.
- :func:`greedy`, :func:`status_quo` and :func:`random_eligible` are the baselines it beats.
- :func:`check_validity` raises one error listing every broken constraint of a plan.
- :func:`compare` summarises several plans as JSON-friendly numbers.
"""

from matcher.allocation.baselines import greedy, random_eligible, status_quo
from matcher.allocation.pairs import Pairs
from matcher.allocation.plan import REASONS, Plan, check_validity, compare
from matcher.allocation.solve import solve

__all__ = [
    "REASONS",
    "Pairs",
    "Plan",
    "check_validity",
    "compare",
    "greedy",
    "random_eligible",
    "solve",
    "status_quo",
]
