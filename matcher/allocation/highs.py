"""The integer program of a budgeted assignment, restricted to some pairs, for HiGHS.

Rows: each client at most once, each option at most its seats, the total cost at most the
budget. Costs are divided by their greatest common divisor, so the budget row has integer
coefficients and a plan HiGHS accepts within its tolerance is within budget exactly.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _stdout_to_stderr():
    """Send what native code writes to file descriptor 1 to stderr meanwhile.

    HiGHS 1.12 (in scipy 1.17) prints a stray debug line to stdout from its MIP solver,
    ignoring ``disp=False`` (ERGO-Code/HiGHS#2783); it would corrupt ``--json`` output.
    """
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _program(kept, *, client, option, gain, pair_cost, capacity, budget):
    m, cols = len(kept), np.arange(len(kept))
    c_rows, c_idx = np.unique(client[kept], return_inverse=True)
    o_rows, o_idx = np.unique(option[kept], return_inverse=True)
    paid = pair_cost[kept][pair_cost[kept] > 0]
    step = int(np.gcd.reduce(paid)) if len(paid) else 1
    matrix = sparse.vstack(
        [
            sparse.csr_array((np.ones(m), (c_idx, cols)), shape=(len(c_rows), m)),
            sparse.csr_array((np.ones(m), (o_idx, cols)), shape=(len(o_rows), m)),
            sparse.csr_array((pair_cost[kept] / step, (np.zeros(m, dtype=int), cols)),
                             shape=(1, m)),
        ],
        format="csr",
    )
    upper = np.concatenate([np.ones(len(c_rows)), capacity[o_rows], [budget // step]])
    return -gain[kept], matrix, upper


def lp_relaxation(kept, *, seconds, **problem):
    """The LP relaxation on the kept pairs: (chosen pairs of its rounded-down solution, bound).

    The bound is the LP optimum (infinite when HiGHS did not finish). A vertex of this LP
    has few fractional values (one budget row besides a transportation problem), so
    rounding them down loses little.
    """
    if len(kept) == 0:
        return kept, 0.0
    cost, matrix, upper = _program(kept, **problem)
    with _stdout_to_stderr():
        res = linprog(cost, A_ub=matrix, b_ub=upper, bounds=(0, 1), method="highs",
                      options={"time_limit": max(seconds, 1.0)})
    log.debug("HiGHS LP on %d pairs: %s", len(kept), res.message)
    if res.status != 0:
        return None, math.inf
    return kept[res.x > 1 - 1e-9], -res.fun


def integer_program(kept, *, seconds, gap, **problem):
    """HiGHS MILP on the kept pairs: (chosen pairs or None, proven bound, status word)."""
    if len(kept) == 0:
        return kept, 0.0, "OPTIMAL"
    cost, matrix, upper = _program(kept, **problem)
    with _stdout_to_stderr():
        res = milp(
            cost,
            constraints=LinearConstraint(matrix, -np.inf, upper),
            integrality=np.ones(len(kept)),
            bounds=Bounds(0, 1),
            # presolve off: on 100,000 rows it took 2 minutes, the whole solve 8 seconds
            options={"time_limit": max(seconds, 1.0), "mip_rel_gap": gap, "presolve": False},
        )
    log.debug("HiGHS MILP on %d pairs: %s", len(kept), res.message)
    status = {0: "OPTIMAL", 1: "TIME_LIMIT"}.get(res.status, "MILP_FAILED")
    bound = -getattr(res, "mip_dual_bound", -math.inf)
    return (None if res.x is None else kept[res.x > 0.5]), bound, status
