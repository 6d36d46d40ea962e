"""Benchmark of the cohort allocation on instances shaped like the product's; prints JSON.

    python bench/bench_allocation.py            # every case, each in a fresh process
    python bench/bench_allocation.py --case province_budget

Clients and options are points in a 150 km square; a client's candidates are drawn from the
options nearest to them (30-60 of the 120 nearest for a province cohort; the 30 nearest for
the pruned national-scale case). The chance of success is a logistic of an option quality,
a client effect and the distance. Seats 1-10; cost 0 for jobs, fees and start-up packages of
1-10 million VND otherwise; the budget is a share of what the best plan without one costs,
so that it binds. Peak memory is the child process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np
from scipy.spatial import cKDTree

from matcher.allocation import (
    Pairs,
    check_validity,
    compare,
    greedy,
    random_eligible,
    solve,
    status_quo,
)
from matcher.logistic import sigmoid

CASES = {
    # name: (clients, options, nearest options considered, candidates per client (lo, hi),
    #        budget as a share of the unbudgeted optimum's cost, time limit)
    "province": (1_200, 600, 120, (30, 60), None, 60.0),
    "province_budget": (1_200, 600, 120, (30, 60), 0.5, 60.0),
    "national_pruned": (100_000, 20_000, 30, (30, 30), None, 120.0),
    "national_pruned_budget": (100_000, 20_000, 30, (30, 30), 0.5, 100.0),
    "national_pruned_tight_budget": (100_000, 20_000, 30, (30, 30), 0.2, 100.0),
}


def make_instance(n_clients, n_options, nearest, per_client, seed=0):
    """A random cohort: pairs, capacity and cost per option."""
    rng = np.random.default_rng(seed)
    clients = rng.uniform(0, 150, (n_clients, 2))
    options = rng.uniform(0, 150, (n_options, 2))
    distance, option = cKDTree(options).query(clients, k=nearest)
    lo, hi = per_client
    k = rng.integers(lo, hi + 1, n_clients)
    keep = np.argsort(rng.random((n_clients, nearest)), axis=1) < k[:, None]
    client = np.repeat(np.arange(n_clients), nearest).reshape(n_clients, nearest)[keep]
    option, distance = option[keep], distance[keep]
    quality = rng.normal(0, 0.8, n_options)
    ease = rng.normal(0, 0.8, n_clients)
    noise = rng.normal(0, 0.5, len(client))
    logit = -0.8 + quality[option] + ease[client] - 0.03 * distance + noise
    pairs = Pairs.from_arrays(client=client, option=option, p_success=sigmoid(logit),
                              distance_km=distance, n_clients=n_clients, n_options=n_options)
    capacity = rng.integers(1, 11, n_options)
    paid = rng.random(n_options) < 0.6
    cost = np.where(paid, rng.integers(1, 11, n_options) * 1_000_000, 0)
    return pairs, capacity, cost


def run_case(name):
    n_clients, n_options, nearest, per_client, share, limit = CASES[name]
    started = time.perf_counter()
    pairs, capacity, cost = make_instance(n_clients, n_options, nearest, per_client)
    setup = time.perf_counter() - started
    budget = None
    if share is not None:
        free_plan = solve(pairs, capacity=capacity, cost_vnd=cost)
        budget = int(share * free_plan.cost_vnd)
    args = {"capacity": capacity, "cost_vnd": cost, "budget_vnd": budget}
    plans = {"optimal": solve(pairs, time_limit_s=limit, **args)}
    plans["greedy"] = greedy(pairs, **args)
    plans["status_quo"] = status_quo(pairs, **args)
    plans["random"] = random_eligible(pairs, seed=0, **args)
    for plan in plans.values():
        check_validity(plan, pairs, capacity, cost, budget)
    best = plans["optimal"]
    return {
        "case": name,
        "clients": n_clients,
        "options": n_options,
        "pairs": len(pairs),
        "seats": int(capacity.sum()),
        "budget_vnd": budget,
        "setup_seconds": round(setup, 2),
        "solve_seconds": round(best.seconds, 2),
        "solve_method": best.method,
        "solve_status": best.status,
        "gain_over_greedy_pct": round(100 * (best.objective / plans["greedy"].objective - 1), 2),
        "gain_over_status_quo_pct": round(
            100 * (best.objective / plans["status_quo"].objective - 1), 2
        ),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "plans": compare(plans),
    }


def machine():
    model = ""
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo
                          if line.startswith("model name")), "")
    import ortools
    import scipy

    return {"cpus": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "numpy": np.__version__, "scipy": scipy.__version__, "ortools": ortools.__version__}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES))
    options = parser.parse_args()
    if options.case:
        print(json.dumps(run_case(options.case)))
        return
    results = []
    for name in CASES:
        out = subprocess.run([sys.executable, __file__, "--case", name], check=True,
                             capture_output=True, text=True).stdout
        results.append(json.loads(out))
    print(json.dumps({"machine": machine(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
