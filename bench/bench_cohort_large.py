"""A cohort plan at national scale: 100,000 clients over 20,000 options, end to end; prints JSON.

Target (issue 3): within 120 s and 8 GB on the 2-core machine. The synthetic world is built,
written in the data contract, imported into SQLite and a model trained on its history by a
child process (the setup, timed apart); then this process loads the catalogue, the clients
and the model and makes the plan with :func:`matcher.planning.cohort.plan_cohort`: candidates within
each client's reach (the nearest places first, ``--max-options`` kept per client by P),
the rules over every pair, the features and the model in batches, the exact plan and the
three baselines. Peak memory is this process's maximum resident set size.

    .venv/bin/python bench/bench_cohort_large.py [--clients 100000] [--options 20000]
        [--placements 100000] [--max-options 30] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

import matcher.planning.cohort as cohort
from matcher.matching.engine import Matcher
from matcher.store.db import make_engine
from matcher.store.frames import load_clients
from matcher.store.profiles import ClientProfile

ON = date(2026, 10, 1)  # the synthetic world's as_of date


def setup(workdir: Path, n_clients: int, n_options: int, n_placements: int) -> dict:
    """Build, write, import and train (in this process); returns the seconds of each step."""
    from matcher.ingest.seed import seed
    from matcher.outcomes import train
    from matcher.synth import build_world, write_world

    seconds = {}
    started = time.perf_counter()
    world = build_world(seed=11, n_clients=n_clients, n_options=n_options,
                        n_trainers=n_options // 10, n_employers=n_options // 10,
                        n_livelihood=max(20, n_options // 200), n_placements=n_placements)
    write_world(world, workdir / "csv")
    seconds["build_world"] = time.perf_counter() - started
    engine = make_engine(f"sqlite:///{workdir / 'world.sqlite3'}")
    started = time.perf_counter()
    seed(engine, workdir / "csv")
    seconds["import"] = time.perf_counter() - started
    started = time.perf_counter()
    card = train(engine, model_dir=workdir / "models")
    seconds["train"] = time.perf_counter() - started
    engine.dispose()
    return {"seconds": {k: round(v, 1) for k, v in seconds.items()},
            "training_rows": card.rows, "cv_roc_auc": card.validation["roc_auc"],
            "peak_rss_mb": _rss_mb(resource.RUSAGE_SELF)}


def plan(workdir: Path, max_options: int) -> dict:
    timings: dict[str, float] = {}
    counts: dict[str, int] = {}
    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{workdir / 'world.sqlite3'}")
    with Session(engine) as session:
        matcher = Matcher.build(session, model_dir=workdir / "models")
        clients = [ClientProfile.from_record(r)
                   for r in load_clients(session).to_dict("records")]
    engine.dispose()
    timings["load_catalogue_clients_model"] = time.perf_counter() - started

    # Time the two halves of plan_cohort from outside, without changing it.
    candidates = matcher.cohort_candidates
    solve = cohort.solve

    def timed_candidates(*args, **kwargs):
        t = time.perf_counter()
        out = candidates(*args, **kwargs)
        timings["candidates_rules_features_model"] = time.perf_counter() - t
        counts["pairs"] = len(out)
        return out

    def timed_solve(*args, **kwargs):
        t = time.perf_counter()
        out = solve(*args, **kwargs)
        timings["exact_plan"] = time.perf_counter() - t
        return out

    matcher.cohort_candidates = timed_candidates
    cohort.solve = timed_solve
    started = time.perf_counter()
    result = cohort.plan_cohort(matcher, clients, on=ON, max_options=max_options)
    timings["plan_cohort_end_to_end"] = time.perf_counter() - started
    cohort.solve = solve
    return {
        "clients": len(clients), "options": len(matcher.catalog),
        "max_options_per_client": max_options, "pairs": counts["pairs"],
        "seconds": {k: round(v, 2) for k, v in timings.items()},
        "assigned": len(result["assignments"]), "optimal": result["optimal"],
        "method": result["method"],
        "expected_successes": round(result["expected_successes"], 1),
        "gain_over": {k: round(v, 1) for k, v in result["gain_over"].items()},
        "baseline_seconds": {k: v["seconds"] for k, v in result["baselines"].items()},
        "unassigned_by_reason": _count(u["reason"] for u in result["unassigned"]),
        "peak_rss_mb": _rss_mb(resource.RUSAGE_SELF),
        "target": {"seconds": 120, "peak_rss_mb": 8192},
    }


def _count(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def _rss_mb(who: int) -> int:
    return round(resource.getrusage(who).ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--options", type=int, default=20_000)
    parser.add_argument("--placements", type=int, default=100_000)
    parser.add_argument("--max-options", type=int, default=30)
    parser.add_argument("--workdir", type=Path, help="keep (or reuse) the world and model here")
    parser.add_argument("--setup-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup_only:
        print(json.dumps(setup(args.workdir, args.clients, args.options, args.placements)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        prepared = None
        if not (workdir / "models" / "current.json").exists():
            out = subprocess.run(
                [sys.executable, __file__, "--setup-only", "--workdir", str(workdir),
                 "--clients", str(args.clients), "--options", str(args.options),
                 "--placements", str(args.placements)],
                check=True, capture_output=True, text=True).stdout
            prepared = json.loads(out.strip().splitlines()[-1])
        result = plan(workdir, args.max_options)
    from bench_engine import machine

    print(json.dumps({"machine": machine(), "setup": prepared or "reused " + str(workdir),
                      "plan": result}, indent=2))


if __name__ == "__main__":
    main()
