"""Benchmark of the outcome model: training time and memory, and scoring one client; JSON.

    python bench/bench_training.py                  # every case, each in a fresh process
    python bench/bench_training.py --case 100000    # one training case
    python bench/bench_training.py --case serving   # 1 client × 20,000 options

A training case builds a synthetic world with that many placements (matcher.synth), imports
it into a fresh SQLite database the way ``matcher seed`` does, then times ``train()`` exactly
as ``matcher train`` runs it: reading the store, the pair features, five client-grouped
folds, the time split, the final fit, writing artefact and card. Building and importing the
world are not timed. Peak memory is the highest resident set size of the process and its
worker processes, sampled every 20 ms during ``train()`` (Linux /proc).

The serving case times, for one client against 20,000 options (the demo catalogue repeated),
the pair features (:func:`matcher.outcomes.features.client_features`) and the model's prediction.
Target (issue 3): 100,000 placements within 2 minutes on the 2-core machine; the features of
20,000 pairs in a few milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import numpy as np

TRAINING_CASES = {
    # placements: build_world arguments (clients and providers grow with the history)
    3_000: {"n_clients": 1_200, "n_placements": 3_000},
    100_000: {"n_clients": 40_000, "n_placements": 100_000, "n_trainers": 600,
              "n_employers": 600, "n_livelihood": 60},
}
TARGET_SECONDS = 120.0
SERVING_OPTIONS = 20_000


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            with open(f"/proc/{parent}/task/{parent}/children") as f:
                children = [int(c) for c in f.read().split()]
        except OSError:
            children = []
        out += children
        todo += children
    return out


class PeakMemory:
    """Highest summed RSS of this process and its descendants while in the ``with`` block."""

    def __init__(self, every: float = 0.02) -> None:
        self.every = every
        self.peak_kb = 0
        self._stop = threading.Event()

    def _sample(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            total = sum(_rss_kb(p) for p in [me, *_descendants(me)])
            self.peak_kb = max(self.peak_kb, total)
            self._stop.wait(self.every)

    def __enter__(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _world_database(directory: Path, **world):
    from matcher.ingest.seed import seed
    from matcher.store.db import make_engine, upgrade
    from matcher.synth import build_world, write_world

    write_world(build_world(seed=2025, **world), directory)
    engine = make_engine(f"sqlite:///{directory / 'bench.sqlite3'}")
    upgrade(engine)
    seed(engine, directory)
    return engine


def run_training(placements: int) -> dict:
    from matcher.outcomes import train

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        engine = _world_database(Path(tmp), **TRAINING_CASES[placements])
        prepared = time.perf_counter() - started
        with PeakMemory() as memory:
            started = time.perf_counter()
            card = train(engine, model_dir=Path(tmp) / "models")
            seconds = time.perf_counter() - started
        engine.dispose()
    v = card.validation
    return {
        "case": f"train {placements} placements",
        "placements": placements,
        "rows_with_outcome": card.rows,
        "clients": card.n_clients,
        "seconds": round(seconds, 2),
        "fit_and_write_seconds": card.train_seconds,
        "within_target": seconds <= TARGET_SECONDS,
        "peak_rss_mb": round(memory.peak_kb / 1024, 1),
        "roc_auc_cv": v["roc_auc"],
        "brier_cv": v["brier"],
        "brier_base_rate": v["baseline"]["brier"],
        "roc_auc_time_holdout": v["time_holdout"].get("roc_auc"),
        "world_build_and_import_seconds": round(prepared, 1),
    }


def run_serving() -> dict:
    from sqlalchemy.orm import Session

    from matcher.outcomes import load_model, train
    from matcher.outcomes.features import WishIndex, client_features, prepare_options
    from matcher.store.catalog import load_catalog
    from matcher.store.frames import load_clients
    from matcher.store.profiles import ClientProfile
    from matcher.vocab.places import load_place_index

    with tempfile.TemporaryDirectory() as tmp:
        engine = _world_database(Path(tmp), **TRAINING_CASES[3_000])
        train(engine, model_dir=Path(tmp) / "models")
        model = load_model(Path(tmp) / "models")
        with Session(engine) as session:
            options = load_catalog(session).options
            client = load_clients(session).iloc[0].to_dict()
        engine.dispose()
    profile = ClientProfile.from_record(client)
    wish = WishIndex()
    rows = np.arange(SERVING_OPTIONS) % len(options)
    prepare_started = time.perf_counter()
    prepared = prepare_options(options, wish=wish, context=model.context).take(rows)
    prepare_ms = (time.perf_counter() - prepare_started) * 1000
    distance = load_place_index().distance_matrix(
        [profile.place_id], list(options["place_id"]))[0][rows]

    def timed(call, repeat=50):
        call()  # warm: the client's wish text is read once, then cached
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            call()
            runs.append((time.perf_counter() - start) * 1000)
        return {"median": round(float(np.median(runs)), 2),
                "p90": round(float(np.percentile(runs, 90)), 2)}

    def features():
        return client_features(profile, prepared, distance_km=distance, wish=wish,
                               on=date(2026, 10, 1))

    x = features()
    return {
        "case": f"1 client x {SERVING_OPTIONS} options",
        "options_in_catalogue": len(options),
        "prepare_options_ms (once per catalogue)": round(prepare_ms, 1),
        "features_ms": timed(features),
        "predict_ms": timed(lambda: model.predict(x), repeat=20),
        "features_and_predict_ms": timed(lambda: model.predict(features()), repeat=20),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", help="one case: a number of placements, or 'serving'")
    args = parser.parse_args(argv)
    if args.case:
        result = run_serving() if args.case == "serving" else run_training(int(args.case))
        print(json.dumps(result, ensure_ascii=False))
        return
    results = []
    for case in [*map(str, TRAINING_CASES), "serving"]:
        # A fresh process per case, so that one case's memory and caches do not count in
        # another's.
        done = subprocess.run([sys.executable, __file__, "--case", case], check=True,
                              capture_output=True, text=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(json.dumps({
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_1min": round(os.getloadavg()[0], 2)},
        "target_seconds_100000": TARGET_SECONDS,
        "results": results,
    }, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
