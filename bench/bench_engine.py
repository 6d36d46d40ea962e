"""Engine benchmarks: suggestion latency over a large catalogue, and a cohort plan end to end.

Prints one JSON object. Targets (issue 3): one client's suggestions over 20,000 options within
50 ms median in-process; a plan for 1,200 clients over 600 options within 5 s.

    .venv/bin/python bench/bench_engine.py [--options 20000] [--clients 2000]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from matcher.ingest.seed import seed
from matcher.matching.engine import Matcher
from matcher.outcomes import train
from matcher.planning.cohort import plan_cohort
from matcher.store.db import make_engine
from matcher.store.frames import load_clients
from matcher.store.profiles import ClientProfile, load_profile
from matcher.synth import build_world, write_world


def machine() -> dict:
    return {"python": platform.python_version(), "cpu": platform.processor() or
            platform.machine(), "cores": __import__("os").cpu_count(),
            "system": platform.platform()}


def world_db(root: Path, **kwargs):
    world = build_world(seed=11, **kwargs)
    write_world(world, root / "csv")
    engine = make_engine(f"sqlite:///{root / 'bench.sqlite3'}")
    started = time.perf_counter()
    seed(engine, root / "csv")
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    train(engine, model_dir=root / "models")
    trained = time.perf_counter() - started
    return world, engine, seeded, trained


def bench_suggest(n_options: int, n_clients: int, samples: int = 300) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        world, engine, seeded, trained = world_db(
            root, n_clients=n_clients, n_options=n_options, n_trainers=n_options // 10,
            n_employers=n_options // 10, n_livelihood=max(20, n_options // 200),
            n_placements=max(3000, n_clients * 2))
        with Session(engine) as session:
            started = time.perf_counter()
            matcher = Matcher.build(session, model_dir=root / "models")
            built = time.perf_counter() - started
            ids = world.clients["client_id"].sample(samples, random_state=0).tolist()
            profiles = [load_profile(session, cid) for cid in ids]
        matcher.suggest(profiles[0])  # warm caches (wish vectors of this text)
        times, eligible = [], []
        for profile in profiles:
            started = time.perf_counter()
            result = matcher.suggest(profile, top=10)
            times.append(time.perf_counter() - started)
            eligible.append(result["n_eligible"])
        engine.dispose()
    ms = np.array(times) * 1000
    return {"options": n_options, "clients_sampled": samples, "seed_seconds": round(seeded, 2),
            "train_seconds": round(trained, 2), "matcher_build_seconds": round(built, 3),
            "median_ms": round(float(np.median(ms)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2),
            "mean_eligible": round(float(np.mean(eligible)), 1), "target_median_ms": 50}


def bench_plan(n_clients: int = 1200, n_options: int = 600) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        world, engine, _, _ = world_db(root, n_clients=n_clients, n_options=n_options,
                                       n_trainers=100, n_employers=100, n_livelihood=20,
                                       n_placements=3000)
        with Session(engine) as session:
            matcher = Matcher.build(session, model_dir=root / "models")
            clients = [ClientProfile.from_record(r)
                       for r in load_clients(session).to_dict("records")]
        started = time.perf_counter()
        plan = plan_cohort(matcher, clients)
        seconds = time.perf_counter() - started
        engine.dispose()
    return {"clients": n_clients, "options": n_options, "seconds": round(seconds, 2),
            "assigned": len(plan["assignments"]), "optimal": plan["optimal"],
            "gain_over": plan["gain_over"], "target_seconds": 5}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--options", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=2_000)
    args = parser.parse_args()
    result = {"machine": machine(), "suggest": bench_suggest(args.options, args.clients),
              "plan": bench_plan(),
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
