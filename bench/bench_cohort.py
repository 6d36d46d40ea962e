"""Cohort plan end to end: 1,200 clients over 600 options, through ``plan_cohort``; prints JSON.

Target (issue 3): within 5 s on the 2-core machine, candidates + rules + features + model +
exact plan + the three baselines. The world is built, seeded into SQLite and trained on first
(not timed); then the plan is made ``--repeat`` times and the median is reported, with the
time of the batched candidates alone and, for comparison, of scoring the clients one by one.

    .venv/bin/python bench/bench_cohort.py [--clients 1200] [--options 600] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from bench_engine import machine, world_db  # bench/ is on the path when run as a script
from sqlalchemy.orm import Session

from matcher.matching.engine import Matcher
from matcher.planning.cohort import pairs_of, plan_cohort
from matcher.store.frames import load_clients
from matcher.store.profiles import ClientProfile

ON = date(2026, 10, 1)


def bench(n_clients: int, n_options: int, repeat: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _, engine, seeded, trained = world_db(
            root, n_clients=n_clients, n_options=n_options, n_trainers=100, n_employers=100,
            n_livelihood=20, n_placements=3000)
        with Session(engine) as session:
            matcher = Matcher.build(session, model_dir=root / "models")
            clients = [ClientProfile.from_record(r)
                       for r in load_clients(session).to_dict("records")]
        engine.dispose()
    plan_cohort(matcher, clients[:50], on=ON)  # warm the caches (wish vectors of the texts)
    plans, batches = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        plan = plan_cohort(matcher, clients, on=ON)
        plans.append(time.perf_counter() - started)
        started = time.perf_counter()
        pairs = matcher.cohort_candidates(clients, on=ON)
        batches.append(time.perf_counter() - started)
    started = time.perf_counter()
    one_by_one = pairs_of([matcher.candidates(c, on=ON) for c in clients], len(matcher.catalog))
    serial = time.perf_counter() - started
    return {
        "clients": n_clients, "options": n_options, "pairs": len(pairs),
        "model": matcher.model.version, "seed_seconds": round(seeded, 2),
        "train_seconds": round(trained, 2),
        "plan_seconds_median": round(float(np.median(plans)), 3),
        "plan_seconds_all": [round(s, 3) for s in plans],
        "candidates_batched_seconds": round(float(np.median(batches)), 3),
        "candidates_one_by_one_seconds": round(serial, 3),
        "same_pairs_as_one_by_one": bool(len(one_by_one) == len(pairs)
                                         and (one_by_one.option == pairs.rows).all()),
        "max_abs_p_difference": float(np.abs(one_by_one.p_success - pairs.p_success).max()),
        "assigned": len(plan["assignments"]), "optimal": plan["optimal"],
        "gain_over": plan["gain_over"], "target_seconds": 5,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1_200)
    parser.add_argument("--options", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    result = {"machine": machine(), "plan": bench(args.clients, args.options, args.repeat),
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
