"""Merge result files of bench/run_all.py and print the growth between scales and the table.

    .venv/bin/python bench/summarise.py bench/results/A.json bench/results/B.json [--json]

Later files win, step by step (a rerun of one scale's HTTP figures replaces only those).
Prints the README's performance rows (markdown), or with ``--json`` the merged document with
its growth and targets recomputed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run_all import SCALES, _get, growth, targets  # noqa: E402


def merge(paths: list[Path]) -> dict:
    doc: dict = {"sources": [], "scales": {}}
    for path in paths:
        part = json.loads(path.read_text(encoding="utf-8"))
        doc["sources"].append({"file": path.name, "command": part.get("command"),
                               "machine": part.get("machine")})
        for name, scale in part.get("scales", {}).items():
            mine = doc["scales"].setdefault(name, {})
            for step, figures in scale.items():
                if isinstance(figures, dict) and ("skipped" in figures or "error" in figures) \
                        and step in mine:
                    continue
                if isinstance(figures, dict) and isinstance(mine.get(step), dict) and \
                        step in ("http", "plans"):
                    mine[step] = {**mine[step], **{k: v for k, v in figures.items()
                                                   if k != "skipped"}}
                    mine[step].pop("skipped", None) if len(mine[step]) > 1 else None
                elif figures not in ({}, None):
                    mine[step] = figures
    doc["scales"] = {k: doc["scales"][k] for k in SCALES if k in doc["scales"]}
    doc["growth"] = growth(doc["scales"])
    doc["targets_met"] = targets(doc["scales"])
    return doc


def _f(x, unit="", digits=None) -> str:
    if x is None:
        return "—"
    if digits is not None:
        x = round(x, digits)
    if isinstance(x, float) and x >= 100:
        x = round(x)
    return f"{x:,}{unit}"


def rows(doc: dict) -> list[str]:
    out = ["| figure | " + " | ".join(doc["scales"]) + " |",
           "|---|" + "---|" * len(doc["scales"])]
    s = doc["scales"]

    def row(label, render):
        out.append(f"| {label} | " + " | ".join(render(v) for v in s.values()) + " |")

    row("world: clients / options / placements", lambda v: "{:,} / {:,} / {:,}".format(
        *(v["world"][k] for k in ("n_clients", "n_options", "n_placements"))))
    row("import into PostgreSQL, all five files (rows/s)",
        lambda v: _f(_get(v, "import", "rows_per_s")) +
        f" ({_f(_get(v, 'import', 'seconds'), ' s')})")
    row("import: providers / options / clients / placements (rows/s)", lambda v: " / ".join(
        _f(_get(v, "import", "files", k, "rows_per_s"))
        for k in ("providers", "options", "clients", "placements")))
    row("training (s, peak MB)", lambda v: f"{_f(_get(v, 'train', 'seconds'), ' s')}, "
        f"{_f(_get(v, 'train', 'peak_rss_mb'), ' MB')}")
    row("matcher build per worker (s, MB)",
        lambda v: f"{_f(_get(v, 'suggest_in_process', 'matcher_build_seconds'), ' s')}, "
        f"{_f(_get(v, 'suggest_in_process', 'matcher_rss_mb'), ' MB')}")
    row("options within reach → eligible and scored, per client",
        lambda v: f"{_f(_get(v, 'suggest_in_process', 'mean_options_within_reach'))} → "
        f"{_f(_get(v, 'suggest_in_process', 'mean_eligible_scored'))}")
    row("suggestion in-process, median / p99",
        lambda v: f"{_f(_get(v, 'suggest_in_process', 'median_ms'), ' ms')} / "
        f"{_f(_get(v, 'suggest_in_process', 'p99_ms'), ' ms')}")
    for w in (1, 4):
        def http(v, w=w, key="suggestions"):
            h = _get(v, "http", f"workers_{w}", key)
            if not isinstance(h, dict) or "requests_per_s" not in h:
                return "—"
            return f"{_f(h['requests_per_s'])}/s, p50 {_f(h['p50_ms'], ' ms')}, " \
                   f"p99 {_f(h['p99_ms'], ' ms')}"
        row(f"HTTP suggestions, {w} worker(s), 16 connections", http)
        row(f"HTTP suggestions, {w} worker(s), 2 connections",
            lambda v, w=w: http(v, w, "suggestions_2_connections"))
        row(f"HTTP GET /v1/me, {w} worker(s), 16 connections (ratio)",
            lambda v, w=w: http(v, w, "trivial_me") +
            f" ({_f(_get(v, 'http', f'workers_{w}', 'suggestions_over_trivial'))})")
        row(f"HTTP load average before, {w} worker(s)",
            lambda v, w=w: _f(_get(v, "http", f"workers_{w}", "load_average_before")))
    for n in ("1000", "10000", "100000", "1000_all_eligible"):
        row(f"plan, cohort {n.replace('_', ' ')} (s, peak MB, load)",
            lambda v, n=n: "—" if not isinstance(_get(v, "plans", n, "seconds"), float | int)
            else f"{_f(_get(v, 'plans', n, 'seconds'), ' s')}, "
                 f"{_f(_get(v, 'plans', n, 'peak_rss_mb'), ' MB')}, "
                 f"{_f(_get(v, 'plans', n, 'load_average_before'))}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    doc = merge(a.files)
    if a.json:
        print(json.dumps(doc, ensure_ascii=False, indent=1, default=str))
    else:
        print("\n".join(rows(doc)))
        print()
        for pair, g in doc["growth"].items():
            if "figures" in g:
                print(f"{pair} (×{g['size_factor']:g}): " + "; ".join(
                    f"{k} ×{v['ratio']} (k={v['exponent']})" for k, v in g["figures"].items()))
            else:
                print(f"{pair}: " + "; ".join(f"{k} ×{v['ratio']} (k={v['exponent']})"
                                              for k, v in g.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
