"""The backtest of ``matcher evaluate`` on several synthetic worlds; prints JSON.

World 2025 is the committed demo world (data/demo); any other seed builds a world with the
demo's parameters and that seed. Each is imported into its own temporary SQLite file and
backtested as ``matcher evaluate --seed SPLIT`` does: a quarter of the clients held out of
training, their suggestions and cohort plans graded by the world's truth.

    .venv/bin/python bench/bench_backtest.py [--worlds 2025,7,11,2026,1] [--splits 0]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from matcher.ingest.seed import seed
from matcher.review.backtest import backtest
from matcher.settings import DEMO_DIR
from matcher.store.catalog import load_catalog
from matcher.store.db import make_engine
from matcher.store.frames import load_clients, load_placements
from matcher.synth import build_world, read_world, write_world

DEMO_SEED = 2025


def run(world_seed: int, splits: list[int], root: Path) -> list[dict]:
    directory = DEMO_DIR
    if world_seed != DEMO_SEED:
        directory = root / f"world-{world_seed}"
        write_world(build_world(seed=world_seed), directory)
    engine = make_engine(f"sqlite:///{root / f'world-{world_seed}.sqlite3'}")
    seed(engine, directory)
    with Session(engine) as session:
        catalog, clients = load_catalog(session), load_clients(session)
        placements = load_placements(session)
    engine.dispose()
    world = read_world(directory)
    out = []
    for split in splits:
        started = time.perf_counter()
        result = backtest(world, catalog, clients, placements, seed=split)
        out.append({
            "world": world_seed, "split": split,
            "seconds": round(time.perf_counter() - started, 2),
            "top1_mean_true_p": result["top1"]["mean_true_p"],
            "top1_share": result["top1"]["share_of_oracle_gain"],
            "cohort_true_expected_successes": result["cohort"]["true_expected_successes"],
            "cohort_share": result["cohort"]["share_of_oracle_gain"],
            "held_out": result["held_out_auc"],
            "cv": {k: result["model"]["cv"][k] for k in ("roc_auc", "brier")},
            "clients": result["cohort"]["clients"],
        })
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", default="2025,7,11,2026,1")
    parser.add_argument("--splits", default="0")
    args = parser.parse_args()
    splits = [int(s) for s in args.splits.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for world_seed in (int(s) for s in args.worlds.split(",")):
            rows.extend(run(world_seed, splits, Path(tmp)))
    shares = np.array([r["cohort_share"]["engine"] for r in rows])
    top1 = np.array([r["top1_share"]["engine"] for r in rows])
    print(json.dumps({"runs": rows, "mean_cohort_share": round(float(shares.mean()), 4),
                      "min_cohort_share": round(float(shares.min()), 4),
                      "mean_top1_share": round(float(top1.mean()), 4)}, indent=2))


if __name__ == "__main__":
    main()
