"""Calibration: predicted against observed success, the Brier score and its parts, drift.

* ``current``: the current model judged on the stored history with out-of-fold predictions
  (:mod:`matcher.review.data`), by decile with Wilson 95% intervals; the Brier score with
  Murphy's decomposition; the calibration intercept and slope (a logistic fit of the
  outcome on the logit of the prediction: 0 and 1 when calibrated). The in-sample Brier
  score is shown beside it, to see how much scoring its own training rows flatters it.
* ``by_model_version``: every model version that made logged suggestions, judged on the
  accepted entries whose placement has an outcome (the ``p_success`` it logged then).
* ``drift``: for the most recent placements (the last :data:`RECENT_SHARE` by start date,
  at least :data:`RECENT_MIN`), the observed successes against the predicted band
  ``E ± 1.96·sqrt(Σ p(1−p))`` (a normal approximation of the Poisson-binomial count):
  ``drifted`` when outside, with the z-score.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from matcher.logistic import fit_logistic
from matcher.notes import note
from matcher.outcomes.calibration import calibration_table

from .stats import Z95, brier_decomposition, r4

RECENT_SHARE = 0.15
RECENT_MIN = 50
MIN_VERSION_N = 30


def calibration_summary(p: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Deciles, Brier decomposition and the calibration intercept and slope of one set."""
    p, y = np.asarray(p, float), np.asarray(y, float)
    out: dict[str, Any] = {"n": int(len(p)), "mean_predicted": r4(p.mean()) if len(p) else None,
                           "observed": r4(y.mean()) if len(p) else None}
    out["deciles"] = calibration_table(p, y)
    out["brier"] = brier_decomposition(p, y)
    if len(p) >= 10 and 0 < y.sum() < len(y):
        q = np.clip(p, 1e-6, 1 - 1e-6)
        a, b = fit_logistic(np.log(q / (1 - q)), y, iterations=50)
        out["calibration_slope"], out["calibration_intercept"] = r4(a), r4(b)
    else:
        out["calibration_slope"] = out["calibration_intercept"] = None
    return out


def band_check(p: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Observed successes against the predicted 95% band of the count."""
    p, y = np.asarray(p, float), np.asarray(y, float)
    e, o = float(p.sum()), float(y.sum())
    sd = float(np.sqrt((p * (1 - p)).sum()))
    z = (o - e) / sd if sd > 0 else 0.0
    return {"n": int(len(p)), "observed": int(o), "expected": r4(e),
            "band_low": r4(e - Z95 * sd), "band_high": r4(e + Z95 * sd), "z": r4(z),
            "drifted": bool(abs(z) > Z95),
            "test": note("calibration.band_test", "observed count against E ± 1.96·sqrt(Σp(1−p)) "
                         "(normal approximation)")}


def drift(placed: pd.DataFrame, column: str = "p_oof") -> dict[str, Any]:
    """The band check on the most recent placements with an outcome."""
    if len(placed) < RECENT_MIN:
        return {"checked": False, "warning": None,
                "note": note("calibration.drift_unchecked",
                             "fewer than {min} placements with an outcome", min=RECENT_MIN)}
    order = np.argsort(placed["start_date"].to_numpy(), kind="stable")
    k = max(RECENT_MIN, int(round(len(placed) * RECENT_SHARE)))
    recent = placed.iloc[order[-k:]]
    check = band_check(recent[column].to_numpy(float), recent["y"].to_numpy(float))
    since = str(pd.Timestamp(recent["start_date"].min()).date())
    n, observed, low, high = check["n"], check["observed"], check["band_low"], check["band_high"]
    warning = None
    if check["drifted"] and check["z"] < 0:
        warning = note("calibration.drift_fewer", "the current model has drifted: the {n} most "
                       "recent placements (started since {since}) had {observed} successes, "
                       "fewer than its 95% band {low:.0f}–{high:.0f}; retrain it or look for a "
                       "change in the programme",
                       n=n, since=since, observed=observed, low=low, high=high)
    elif check["drifted"]:
        warning = note("calibration.drift_more", "the current model has drifted: the {n} most "
                       "recent placements (started since {since}) had {observed} successes, "
                       "more than its 95% band {low:.0f}–{high:.0f}; retrain it or look for a "
                       "change in the programme",
                       n=n, since=since, observed=observed, low=low, high=high)
    return {"checked": True, "recent_since": since, **check, "warning": warning}


def calibration_report(placed: pd.DataFrame, entries: pd.DataFrame, model_version: str,
                       prediction_note: dict[str, Any]) -> dict[str, Any]:
    """Part 2 of the review."""
    y = placed["y"].to_numpy(float)
    current = calibration_summary(placed["p_oof"].to_numpy(float), y)
    current["version"] = model_version
    current["predictions"] = prediction_note
    current["brier_in_sample"] = brier_decomposition(placed["p_model"].to_numpy(float), y)[
        "brier"] if len(placed) else None
    return {"current": current, "by_model_version": by_version(entries),
            "drift": drift(placed)}


def by_version(entries: pd.DataFrame) -> list[dict[str, Any]]:
    """Each model version's logged P(success) against the outcomes of what was accepted."""
    if entries.empty:
        return []
    done = entries[entries["decision"].eq("accepted")].copy()
    status = done["placement_status"]
    known = done["placement_success"].notna() | status.eq("dropped")
    out = []
    for version, part in entries.groupby("model_version", sort=True):
        mine = done[(done["model_version"] == version) & known]
        y = np.where(mine["placement_status"].eq("dropped"), 0.0,
                     mine["placement_success"].astype(float).fillna(0.0))
        row: dict[str, Any] = {"version": str(version), "lists": int(part["suggestion_id"]
                                                                    .nunique()),
                               "accepted_with_outcome": int(len(mine))}
        if len(mine) >= MIN_VERSION_N:
            p = mine["p_success"].to_numpy(float)
            row.update(calibration_summary(p, y))
            row["band"] = band_check(p, y)
        else:
            row["note"] = note("calibration.version_too_few", "{n} accepted suggestions with a "
                               "known outcome: at least {min} are needed to judge this version",
                               n=len(mine), min=MIN_VERSION_N)
        out.append(row)
    return out


__all__ = ["band_check", "by_version", "calibration_report", "calibration_summary", "drift"]
