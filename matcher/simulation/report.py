"""The simulation's report: each policy's true successes as a share of the oracle's gain.

share(x) = (x − random) / (oracle − random): 0 for random, 1 for the oracle by construction, so
worlds and scarcity levels of different sizes read on one scale. A row is one (world, seed,
order, scarcity, behaviour); the summary gives the mean, min and max of each share per
(world, scarcity, behaviour). Timings are kept apart (``seconds``), and so are the versions of
models retrained between rounds (``varies_by_run``), so that two runs of the same seeds give
the same document but for them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

#: Every policy a row may hold, in the order the table shows them (the two learning ones
#: only with rounds).
POLICIES = ("priced", "unpriced", "priced_rounds", "unpriced_rounds", "habit", "cohort_plan",
            "random", "oracle")


def _present(rows: list[dict[str, Any]]) -> list[str]:
    return [p for p in POLICIES if any(p in r["successes"] for r in rows)]


def share(x: float, random: float, oracle: float) -> float | None:
    """(x − random) / (oracle − random); None when the oracle gains nothing over random."""
    gain = oracle - random
    return round((x - random) / gain, 4) if gain > 1e-9 else None


def shares(successes: dict[str, float]) -> dict[str, float | None]:
    """The share of every policy (and of the world's own habit, when given)."""
    r, o = successes["random"], successes["oracle"]
    return {k: share(v, r, o) for k, v in successes.items() if v is not None}


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean, min and max of each share per (world, seats per arrival, behaviour, waiting
    list)."""
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["world"], row["seats_per_arrival"], row["behaviour"],
                row.get("waiting_list", "imported"))].append(row)
    out = []
    for (world, s, behaviour, kept), members in sorted(groups.items()):
        entry: dict[str, Any] = {"world": world, "seats_per_arrival": s, "behaviour": behaviour,
                                 "waiting_list": kept, "runs": len(members), "share": {}}
        names = [k for k in (*POLICIES, "habit_world") if any(
            m["share"].get(k) is not None for m in members)]
        for name in names:
            values = [m["share"][name] for m in members if m["share"].get(name) is not None]
            entry["share"][name] = {"mean": round(float(np.mean(values)), 4),
                                    "min": round(float(np.min(values)), 4),
                                    "max": round(float(np.max(values)), 4)}
        out.append(entry)
    return out


def render(doc: dict[str, Any]) -> str:
    """The rows and the summary as a plain-text table."""
    lines = [f"behaviour: {b}" for b in doc.get("behaviours", {}).values()]
    lines += [f"{w}: skipped, {why}" for w, why in doc.get("skipped", {}).items()]
    shown = _present(doc["rows"])
    head = (f"{'world':6} {'seed':>4} {'order':12} {'s':>4} {'behav':9} {'arr':>4} {'seats':>5} "
            + " ".join(f"{p:>15}" for p in shown) + "  model")
    lines += ["", "true expected successes (share of the oracle's gain over random)", head]
    for row in doc["rows"]:
        cells = []
        for p in shown:
            x, sh = row["successes"].get(p), row["share"].get(p)
            cells.append("–" if x is None else
                         f"{x:6.1f}({'  – ' if sh is None else f'{sh:4.2f}'})")
        model = "prior" if row["model"]["prior"] else row["model"]["version"]
        lines.append(f"{row['world']:6} {row['seed']:>4} {row['order']:12} "
                     f"{row['seats_per_arrival']:>4g} {row['behaviour']:9} {row['arrivals']:>4} "
                     f"{row['seats']:>5} " + " ".join(f"{c:>15}" for c in cells)
                     + f"  {model}")
        extra = []
        if row.get("habit_world") is not None:
            extra.append(f"world's own habit {row['habit_world']:.1f} "
                         f"({row['share'].get('habit_world')})")
        bad = {p: row["ineligible_under_truth"][p] for p in row["ineligible_under_truth"]
               if row["ineligible_under_truth"][p]}
        if bad:
            extra.append(f"ineligible under truth: {bad}")
        if extra:
            lines.append("    " + "; ".join(extra))
        for policy, curve in row.get("learning_curve", {}).items():
            points = ", ".join(
                f"{c['round']}: {c['true_successes']:.1f}/{c['placed']} by {c['served_by']}"
                + ("" if "retrained" not in c else
                   " → " + ("promoted" if c["retrained"]["promoted"] else "kept"))
                for c in curve)
            lines.append(f"    {policy} learning: {points}")
    lines += ["", "summary: share of the oracle's gain over random, mean [min, max]"]
    for s in doc["summary"]:
        parts = [f"{k} {v['mean']:.2f} [{v['min']:.2f}, {v['max']:.2f}]"
                 for k, v in s["share"].items() if k not in ("random", "oracle")]
        lines.append(f"{s['world']:6} s={s['seats_per_arrival']:g} {s['behaviour']:9} "
                     f"({s['runs']} runs): " + ", ".join(parts))
    lines.append(f"\n{doc['seconds']['total']:.1f} s in all")
    return "\n".join(lines)
