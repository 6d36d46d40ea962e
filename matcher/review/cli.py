"""The body of `matcher review [--json]`: the review as JSON, or a short readable summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from matcher.notes import message_of

from .replay import RealLogPresent, replay_log
from .report import build_review


def run_review(*, as_json: bool, simulate_log: int = 0, effects: bool = True,
               model_dir: Path | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Compute the review of the store (``DATABASE_URL``) and print it; return it too.

    ``simulate_log`` > 0 first writes that many SIMULATED suggestion lists with decisions
    (:mod:`matcher.review.replay`; the demo world has none), refused when the database holds
    real ones.
    """
    from matcher.settings import get_settings
    from matcher.store.db import make_engine, upgrade

    settings = get_settings()
    model_dir = Path(model_dir or settings.model_dir)
    engine = make_engine(database_url)
    upgrade(engine)
    if simulate_log > 0:
        try:
            done = replay_log(engine, model_dir, n_clients=simulate_log)
        except RealLogPresent as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        typer.echo(f"logged {done['lists']} SIMULATED suggestion lists "
                   f"({done['accepted']} accepted, {done['declined']} declines)", err=True)
    review = build_review(engine, model_dir, with_effects=effects)
    engine.dispose()
    if as_json:
        typer.echo(json.dumps(review, ensure_ascii=False, indent=2))
    else:
        typer.echo(summary(review))
    return review


def summary(review: dict[str, Any]) -> str:
    """A few lines for a person: the headline of every part, then the warnings."""
    lines = []
    m, d = review["model"], review["data"]
    lines.append(f"Model {m['version']}{' (transparent prior)' if m['is_prior'] else ''}; "
                 f"{d['placements_with_outcome']} placements with an outcome, "
                 f"{d['suggestion_lists']} suggestion lists"
                 + (f" ({d['simulated_lists']} SIMULATED)" if d["simulated_lists"] else ""))
    q = review["suggestion_quality"]["overall"]
    if q["decided"]:
        lines.append(
            f"Suggestions: {_pct(q['acceptance'])} of {q['decided']} decided lists accepted; "
            f"top entry followed {_pct(q['followed_top'])}, overridden {_pct(q['overridden'])}; "
            f"mean accepted rank {q['accepted_rank_mean']}; median "
            f"{q['days_to_placement']['median']} days from list to start")
    else:
        lines.append("Suggestions: " + message_of(review["suggestion_quality"]["note"]))
    c = review["calibration"]["current"]
    b = c["brier"]
    if c["n"]:
        how = message_of(c["predictions"]).split(":")[0]
        lines.append(f"Calibration ({c['n']} placements, {how}): "
                     f"Brier {b['brier']} = reliability {b['reliability']} − resolution "
                     f"{b['resolution']} + uncertainty {b['uncertainty']}; slope "
                     f"{c['calibration_slope']}, intercept {c['calibration_intercept']}")
        inside = sum(1 for x in c["deciles"] if x["inside_ci"])
        lines.append(f"  {inside} of {len(c['deciles'])} deciles: predicted inside the observed "
                     "95% interval")
    drift = review["calibration"]["drift"]
    if drift.get("checked"):
        lines.append(f"Drift: {drift['n']} recent placements, {drift['observed']} successes, "
                     f"predicted band {drift['band_low']:.0f}–{drift['band_high']:.0f}: "
                     + ("DRIFTED" if drift["drifted"] else "within"))
    f = review["fairness"]
    lines.append(f"Fairness: {len(f['flags'])} flags; steering by gender: "
                 + ("YES" if f["steering"]["steered"] else "no"))
    lg = review["league"]
    pf = lg["provider_flags"]
    lines.append(f"Providers: {pf['replicate']} replicate, {pf['review']} review, "
                 f"{pf['as expected']} as expected, {pf['too few placements to say']} too few "
                 f"placements to say (minimum {lg['min_n']})")
    for row in lg["providers"]:
        if row["flag"] in ("replicate", "review"):
            lines.append(f"  {row['flag']:9} {row['provider_id']} {row['name']}: O/E "
                         f"{row['o_over_e']} ({row['ci_low']}–{row['ci_high']}), n {row['n']}")
    overall = [e for e in review["effects"] if e.get("scope") == "overall"]
    for e in overall:
        if e["adjusted"] is None:  # "cannot say": the reasons, not a number
            why = "; ".join(message_of(n) for n in e.get("notes") or [])
            lines.append(f"Effect of placement on {e['outcome']}: cannot say with these "
                         f"records ({why}); naive {e['naive']}")
            continue
        lines.append(f"Effect of placement on {e['outcome']}: adjusted {e['adjusted']} "
                     f"({e['ci_low']}–{e['ci_high']}, {e.get('verdict', 'estimate')}), "
                     f"naive {e['naive']}")
    if review["warnings"]:
        lines.append("Warnings:")
        lines.extend(f"  - {message_of(w)}" for w in review["warnings"])
    lines.append(f"({review['seconds']['total']} s)")
    return "\n".join(lines)


def _pct(r: dict[str, Any]) -> str:
    return "n/a" if r.get("rate") is None else f"{r['rate']:.0%}"
