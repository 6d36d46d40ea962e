"""Does the effect estimate hold on records we did not shape? Prints JSON.

    python bench/bench_effects.py                      # 20 synthetic worlds + the benchmarks
    python bench/bench_effects.py --worlds 5 --no-public

* **Synthetic worlds** (``matcher.synth.world_with_known_effect``), each its own seed, a
  true effect drawn from 0.10–0.30, placement confounded by the recorded profile
  (``confounding`` 1.5), 30% of the other clients never placed; imported into SQLite
  through the data contract. Reported per outcome: the share of intervals that hold the
  truth (coverage), the mean bias and its spread, and how often the review said it
  cannot say.
* **Public benchmarks** (``matcher.review.benchmarks``): the NSW job-training experiment
  against survey comparison groups, with the experiment's own answer. The rule: the
  interval holds the experimental answer, or the review says it cannot estimate; never a
  confident wrong sign.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from matcher.ingest.seed import seed
from matcher.review.effects import placement_effects
from matcher.store.db import make_engine, upgrade
from matcher.synth import world_with_known_effect, write_world

OVERALL = {"min_placed_provider": 10**9, "min_placed_kind": 10**9}


def synthetic(n_worlds: int, first_seed: int = 101) -> dict:
    rows = []
    rng = np.random.default_rng(first_seed)
    for i in range(n_worlds):
        effect = float(np.round(rng.uniform(0.10, 0.30), 3))
        world = world_with_known_effect(effect=effect, seed=first_seed + i, confounding=1.5,
                                        unplaced_share=0.3)
        truth = world.truth["placement_effect"]
        with tempfile.TemporaryDirectory() as tmp:
            write_world(world, Path(tmp) / "csv")
            engine = make_engine(f"sqlite:///{Path(tmp) / 'w.sqlite3'}")
            upgrade(engine)
            seed(engine, Path(tmp) / "csv")
            started = time.perf_counter()
            effects = placement_effects(engine, **OVERALL)
            seconds = time.perf_counter() - started
            engine.dispose()
        for e in effects:
            if e["scope"] != "overall":
                continue
            true = truth["overall"] if e["outcome"] == "success" else \
                truth["income_vnd_day"]["overall"]
            rows.append({"seed": first_seed + i, "outcome": e["outcome"], "truth": true,
                         "naive": e["naive"], "adjusted": e["adjusted"],
                         "ci_low": e["ci_low"], "ci_high": e["ci_high"],
                         "verdict": e["verdict"], "seconds": round(seconds, 2),
                         "propensity_model": (e.get("models") or {}).get("propensity")})
    summary = {}
    for outcome in ("success", "income_vnd_day"):
        mine = [r for r in rows if r["outcome"] == outcome]
        told = [r for r in mine if r["adjusted"] is not None]
        bias = [r["adjusted"] - r["truth"] for r in told]
        naive_bias = [r["naive"] - r["truth"] for r in mine]
        summary[outcome] = {
            "worlds": len(mine), "estimated": len(told),
            "cannot_say": sum(r["verdict"] == "cannot_say" for r in mine),
            "coverage": round(float(np.mean([r["ci_low"] <= r["truth"] <= r["ci_high"]
                                             for r in told])), 3) if told else None,
            "mean_bias": float(f"{np.mean(bias):.4g}") if bias else None,
            "sd_bias": float(f"{np.std(bias):.4g}") if bias else None,
            "mean_naive_bias": float(f"{np.mean(naive_bias):.4g}"),
        }
    return {"summary": summary, "worlds": rows}


def public() -> list[dict]:
    from matcher.review.benchmarks import BENCHMARKS, benchmark_frames, experimental_answer
    from matcher.review.effects import estimate_effects

    out = []
    for b in BENCHMARKS:
        answer = experimental_answer(b)
        started = time.perf_counter()
        effects = estimate_effects(*benchmark_frames(b), **OVERALL)
        seconds = time.perf_counter() - started
        for e in effects:
            if e["scope"] != "overall":
                continue
            a = answer[e["outcome"]]["effect"]
            scale = 365.0 if e["outcome"] == "income_vnd_day" else 1.0  # dollars a year
            told = e["adjusted"] is not None

            def y(v, scale=scale):
                return None if v is None else round(v * scale, 3)

            out.append({
                "benchmark": b.name, "about": b.about, "outcome": e["outcome"],
                "unit": "US$ a year" if scale > 1 else "share earning",
                "experimental": y(a), "naive": y(e["naive"]), "adjusted": y(e["adjusted"]),
                "ci_low": y(e["ci_low"]), "ci_high": y(e["ci_high"]),
                "verdict": e["verdict"], "reasons": [n["code"] for n in e["notes"]],
                "n_placed_inside": (e.get("about") or {}).get("n_placed_inside"),
                "n_placed": e["n_placed"], "n_compared": e["n_compared"],
                "holds_answer": told and e["ci_low"] <= a <= e["ci_high"],
                "confident_wrong_sign": told and (e["ci_low"] > 0 > a or e["ci_high"] < 0 < a),
                "seconds": round(seconds, 1)})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=20)
    parser.add_argument("--no-public", action="store_true")
    args = parser.parse_args(argv)
    result = {"benchmark": "effects", "machine": platform.machine(),
              "python": platform.python_version()}
    if args.worlds:
        result["synthetic"] = synthetic(args.worlds)
    if not args.no_public:
        result["public"] = public()
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
