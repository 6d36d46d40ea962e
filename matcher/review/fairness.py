"""Fairness: outcomes, suggestion quality and calibration by group, gender, age band, place.

For every level of a dimension with at least :data:`MIN_N` cases, three comparisons against
the rest of the dimension, each a pooled two-proportion z-test (calibration: the observed
count against the predicted band, a z-score), Holm-corrected over the levels of the
dimension; a flag is raised when the corrected p-value is below :data:`ALPHA` *and* the level
is the worse side:

* ``success``: its placements succeeded less often than the others' (raw rates, not
  adjusted: a group may be harder to place; the calibration flag says whether the model
  knows it);
* ``acceptance``: its suggestion lists were accepted less often;
* ``calibration``: the model over-predicts its chances (observed below expected).

``place`` is the former district (huyện) of the client's home: the 54 current units hold
too few placements each to test.

Steering (:func:`steering`): women and men *with the same wish* (the same resolved trade of
interest; no stated wish is left out) are compared on (a) the share placed in, or suggested
first, their wished trade (Cochran–Mantel–Haenszel over wish strata) and (b) the wage of the
option (a stratified difference of means). With the four tests Holm-corrected, a flag says
when the suggestions or the placements treat them differently beyond chance.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from matcher.notes import note

from .calibration import band_check
from .quality import per_list
from .stats import cmh_test, holm, r4, rate, stratified_mean_difference, two_proportion_z

DIMENSIONS = ("group", "gender", "age_band", "place")
MIN_N = 30
ALPHA = 0.05


def compare_levels(keys: np.ndarray, y: np.ndarray, *, min_n: int = MIN_N,
                   alpha: float = ALPHA) -> list[dict[str, Any]]:
    """Each level's rate against the rest, z-test, Holm over the tested levels.

    ``served_worse`` is True where the Holm-adjusted p is below ``alpha`` and the level's
    rate is below the rest's. Levels with fewer than ``min_n`` are shown, not tested.
    """
    keys = np.asarray(keys, dtype=object)
    y = np.asarray(y, dtype=float)
    levels = sorted(pd.unique(keys), key=str)
    rows, pvals = [], []
    total_k, total_n = float(y.sum()), len(y)
    for level in levels:
        mine = keys == level
        n, k = int(mine.sum()), float(y[mine].sum())
        rest_n, rest_k = total_n - n, total_k - k
        row = {"level": str(level), **rate(int(k), n),
               "rest_rate": r4(rest_k / rest_n) if rest_n else None}
        if n >= min_n and rest_n >= min_n:
            z, p = two_proportion_z(int(k), n, int(rest_k), rest_n)
            row.update(z=r4(z), p_value=r4(p), tested=True)
        else:
            p = float("nan")
            row.update(z=None, p_value=None, tested=False)
        rows.append(row)
        pvals.append(p)
    for row, adj in zip(rows, holm(pvals), strict=True):
        row["p_holm"] = r4(adj)
        row["served_worse"] = bool(row["tested"] and adj < alpha and row["z"] < 0)
    return rows


def calibration_levels(keys: np.ndarray, p: np.ndarray, y: np.ndarray, *,
                       min_n: int = MIN_N, alpha: float = ALPHA) -> list[dict[str, Any]]:
    """Observed against predicted successes per level, with the band z-score and Holm."""
    keys = np.asarray(keys, dtype=object)
    rows, pvals = [], []
    from scipy import stats

    for level in sorted(pd.unique(keys), key=str):
        mine = keys == level
        check = band_check(p[mine], y[mine])
        ok = check["n"] >= min_n
        pv = float(2 * stats.norm.sf(abs(check["z"]))) if ok else float("nan")
        rows.append({"level": str(level), "n": check["n"], "observed": check["observed"],
                     "expected": check["expected"],
                     "o_over_e": r4(check["observed"] / check["expected"])
                     if check["expected"] else None,
                     "z": check["z"], "p_value": r4(pv) if ok else None, "tested": ok})
        pvals.append(pv)
    for row, adj in zip(rows, holm(pvals), strict=True):
        row["p_holm"] = r4(adj)
        row["overpredicted"] = bool(row["tested"] and adj < alpha and row["z"] < 0)
    return rows


def fairness_report(placed: pd.DataFrame, entries: pd.DataFrame) -> dict[str, Any]:
    """Part 3 of the review: by dimension, the flags, and the gender steering check."""
    lists = per_list(entries)
    decided = lists.loc[lists["decided"].astype(bool)] if len(lists) else lists
    y = placed["y"].to_numpy(float)
    p = placed["p_oof"].to_numpy(float)
    out: dict[str, Any] = {"min_n": MIN_N, "alpha": ALPHA,
                           "tests": {
                               "success": note("fairness.test_success", "two-proportion "
                                               "z-test of the level against the rest of its "
                                               "dimension, Holm-corrected"),
                               "acceptance": note("fairness.test_acceptance", "the same, on "
                                                  "decided suggestion lists"),
                               "calibration": note("fairness.test_calibration", "observed "
                                                   "against predicted count "
                                                   "(z = (O−E)/sqrt(Σp(1−p))), Holm-corrected")},
                           "dimensions": {}, "flags": []}
    for dim in DIMENSIONS:
        success = compare_levels(placed[dim].to_numpy(object), y)
        calib = calibration_levels(placed[dim].to_numpy(object), p, y)
        accept = compare_levels(decided[dim].to_numpy(object),
                                decided["accepted"].to_numpy(float)) if len(decided) else []
        out["dimensions"][dim] = {"success": success, "calibration": calib,
                                  "acceptance": accept}
        for metric, rows, key in (("success", success, "served_worse"),
                                  ("acceptance", accept, "served_worse"),
                                  ("calibration", calib, "overpredicted")):
            for row in rows:
                if row[key]:
                    out["flags"].append({"dimension": dim, "level": row["level"],
                                         "metric": metric, "n": row["n"],
                                         "z": row["z"], "p_holm": row["p_holm"],
                                         "test": out["tests"][metric]})
    out["steering"] = steering(placed, entries)
    return out


def steering(placed: pd.DataFrame, entries: pd.DataFrame) -> dict[str, Any]:
    """Do women and men with the same wish get different trades or wages? (module docstring)"""
    tests: dict[str, Any] = {}
    pl = placed[placed["gender"].isin(["female", "male"])
                & ~placed["wished_trade"].isin(["none stated", "unknown", ""])]
    tests["placed_in_wished_trade"] = _trade_test(
        pl["gender"].to_numpy(object), (pl["primary_trade"] == pl["wished_trade"]).to_numpy(),
        pl["wished_trade"].to_numpy(object))
    tests["placed_wage_vnd_day"] = _wage_test(pl["gender"], pl["wage_vnd_day"], pl["wished_trade"])
    top = entries[(entries["rank"] == 1) & entries["gender"].isin(["female", "male"])
                  & ~entries["wished_trade"].isin(["none stated", "unknown", ""])] \
        if len(entries) else entries
    if len(top):
        tests["suggested_first_in_wished_trade"] = _trade_test(
            top["gender"].to_numpy(object),
            (top["primary_trade"] == top["wished_trade"]).to_numpy(),
            top["wished_trade"].to_numpy(object))
        mean_wage = entries[entries["suggestion_id"].isin(top["suggestion_id"])] \
            .groupby("suggestion_id")["wage_vnd_day"].mean()
        tops = top.set_index("suggestion_id")
        tests["suggested_mean_wage_vnd_day"] = _wage_test(
            tops["gender"], mean_wage.reindex(tops.index), tops["wished_trade"])
    else:
        tests["suggested_first_in_wished_trade"] = {
            "note": note("fairness.no_log", "no logged suggestions")}
        tests["suggested_mean_wage_vnd_day"] = {
            "note": note("fairness.no_log", "no logged suggestions")}
    names = list(tests)
    pv = [tests[k].get("p_value") for k in names]
    adj = holm([np.nan if v is None else v for v in pv])
    flagged = []
    for k, a in zip(names, adj, strict=True):
        tests[k]["p_holm"] = r4(a)
        if np.isfinite(a) and a < ALPHA:
            flagged.append(k)
    return {"compared": note("fairness.steering_compared", "women and men with the same "
                             "resolved wish (trade of interest)"),
            "tests": tests, "steered": bool(flagged), "flagged": flagged,
            "note": note("fairness.steering", "suggestions or placements differ by gender for "
                         "the same wish beyond chance: {tests}", tests=", ".join(flagged))
            if flagged else note("fairness.no_steering", "no difference by gender for the same "
                                 "wish beyond chance (Holm, {alpha:.0%})", alpha=ALPHA)}


def _trade_test(gender: np.ndarray, hit: np.ndarray, strata: np.ndarray) -> dict[str, Any]:
    women = gender == "female"
    tables = []
    for s in pd.unique(strata):
        m = strata == s
        a = int((hit & women & m).sum())
        b = int((~hit & women & m).sum())
        c = int((hit & ~women & m).sum())
        d = int((~hit & ~women & m).sum())
        tables.append(np.array([[a, b], [c, d]]))
    result = cmh_test(tables)
    result["women"] = rate(int((hit & women).sum()), int(women.sum()))
    result["men"] = rate(int((hit & ~women).sum()), int((~women).sum()))
    return result


def _wage_test(gender: pd.Series, wage: pd.Series, strata: pd.Series) -> dict[str, Any]:
    g = np.asarray(gender, dtype=object)
    w = pd.to_numeric(pd.Series(np.asarray(wage, dtype=float)), errors="coerce").to_numpy()
    result = stratified_mean_difference(w, g == "female", np.asarray(strata, dtype=object))
    result["what"] = note("fairness.wage_difference", "women minus men, VND a day")
    result["women_mean"] = _known_mean(w[g == "female"])
    result["men_mean"] = _known_mean(w[g == "male"])
    return result


def _known_mean(values: np.ndarray) -> float | None:
    """The mean of the known values; None when none is known (no wage recorded)."""
    known = values[np.isfinite(values)]
    return r4(known.mean()) if len(known) else None
