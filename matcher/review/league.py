"""The league table of providers and livelihood models: observed against expected success.

Expected is case-mix adjusted: for every placement, the outcome model's P(success) for
*that* client in that option, with the provider's own record neutralised (see
``p_expected`` in :mod:`matcher.review.data`), summed over the provider's placements. A
livelihood model (the trade of a livelihood option: poultry, a drinks stall, ...) is judged
against the average livelihood model: its option-side features are averaged over the other
livelihood placements (:func:`matcher.review.data.marginal_expected`), so that its trade is
not part of what it is expected to achieve.

O/E has an exact Poisson 95% interval. The funnel limits are ``1 ± z·sqrt(Σp(1−p))/E``
(z = 1.96 for 95%, 3.09 for 99.8%). The flag is

* ``replicate``: O/E above the 99.8% limit, with at least :data:`MIN_N` placements;
* ``review``: below the 99.8% limit, with at least :data:`MIN_N` placements;
* ``too few placements to say``: fewer than :data:`MIN_N`;
* ``as expected``: otherwise (inside the limits: no evidence either way).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from matcher.notes import note

from .data import ReviewData, marginal_expected
from .stats import Z95, Z998, poisson_ratio_ci, r4

MIN_N = 30
REPLICATE, REVIEW, TOO_FEW, AS_EXPECTED = ("replicate", "review", "too few placements to say",
                                           "as expected")


def league_table(keys: np.ndarray, y: np.ndarray, expected: np.ndarray, *,
                 min_n: int = MIN_N) -> list[dict[str, Any]]:
    """One row per key: n, O, E, O/E with its interval, z, funnel limits and the flag."""
    frame = pd.DataFrame({"k": np.asarray(keys, dtype=object), "y": np.asarray(y, float),
                          "e": np.asarray(expected, float)})
    frame["v"] = frame["e"] * (1 - frame["e"])
    rows = []
    for key, g in frame.groupby("k", sort=True):
        n, o, e, v = len(g), float(g["y"].sum()), float(g["e"].sum()), float(g["v"].sum())
        sd = np.sqrt(v)
        z = (o - e) / sd if sd > 0 else 0.0
        ratio = o / e if e > 0 else float("nan")
        low, high = poisson_ratio_ci(o, e)
        if n < min_n:
            flag = TOO_FEW
        elif z > Z998:
            flag = REPLICATE
        elif z < -Z998:
            flag = REVIEW
        else:
            flag = AS_EXPECTED
        rows.append({"key": str(key), "n": n, "observed": int(o), "expected": r4(e),
                     "observed_rate": r4(o / n), "expected_rate": r4(e / n),
                     "o_over_e": r4(ratio), "ci_low": r4(low), "ci_high": r4(high), "z": r4(z),
                     "limit95": [r4(1 - Z95 * sd / e), r4(1 + Z95 * sd / e)] if e else None,
                     "limit998": [r4(1 - Z998 * sd / e), r4(1 + Z998 * sd / e)] if e else None,
                     "flag": flag})
    rows.sort(key=lambda r: (r["flag"] == TOO_FEW, -(r["z"] or 0.0)))
    return rows


def funnel_curve(rate: float, max_n: int, points: int = 60) -> list[dict[str, Any]]:
    """Funnel limits of O/E against the number of placements, at the overall rate."""
    if not 0 < rate < 1 or max_n < 1:
        return []
    ns = np.unique(np.geomspace(1, max(max_n, 2), points).round().astype(int))
    sd = np.sqrt(rate * (1 - rate) / ns) / rate
    return [{"n": int(n), "low95": r4(1 - Z95 * s), "high95": r4(1 + Z95 * s),
             "low998": r4(1 - Z998 * s), "high998": r4(1 + Z998 * s)}
            for n, s in zip(ns, sd, strict=True)]


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    flags = [r["flag"] for r in rows]
    return {f: flags.count(f) for f in (REPLICATE, REVIEW, AS_EXPECTED, TOO_FEW)}


def league_report(data: ReviewData) -> dict[str, Any]:
    """Part 4 of the review: providers and livelihood models, with the funnel."""
    placed = data.placed
    y = placed["y"].to_numpy(float)
    providers = league_table(placed["provider_id"].to_numpy(object), y,
                             placed["p_expected"].to_numpy(float))
    names = placed.drop_duplicates("provider_id").set_index("provider_id")
    for row in providers:
        row["provider_id"] = row.pop("key")
        row["name"] = str(names.at[row["provider_id"], "provider_name"])
        row["provider_kind"] = str(names.at[row["provider_id"], "provider_kind"])
    live = np.flatnonzero(placed["kind"].to_numpy(object) == "livelihood")
    models: list[dict[str, Any]] = []
    if len(live) and data.features is not None and data.model is not None:
        e_live = marginal_expected(data.model, data.features, live, y[live])
        models = league_table(placed["primary_trade"].to_numpy(object)[live], y[live], e_live)
        for row in models:
            row["trade"] = row.pop("key")
    overall = float(y.mean()) if len(y) else float("nan")
    return {
        "min_n": MIN_N,
        "expected": note("league.expected", "case-mix adjusted: the outcome model's P(success) "
                         "for each placement with the provider's own record set to the "
                         "province's (livelihood models: also its option averaged over the "
                         "other livelihood placements), recentred so that the province has "
                         "O/E = 1"),
        "test": note("league.test", "z = (O−E)/sqrt(Σp(1−p)); replicate / review only outside "
                     "the 99.8% funnel limit (|z| > {z:.2f}) with at least {min} placements; "
                     "O/E interval: exact Poisson 95%", z=Z998, min=MIN_N),
        "overall_rate": r4(overall),
        "providers": providers,
        "provider_flags": _counts(providers),
        "livelihood_models": models,
        "livelihood_model_flags": _counts(models),
        "funnel": funnel_curve(overall, max((r["n"] for r in providers), default=0)),
    }
