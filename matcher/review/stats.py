"""The statistics the review uses, each small and stated: intervals, tests, Brier parts.

* Rates get a Wilson 95% interval (:func:`matcher.outcomes.calibration.wilson`).
* Observed/expected ratios get an exact Poisson interval on the observed count.
* "Served worse beyond chance" is a two-proportion z-test of a level against the rest of
  its dimension, Holm-corrected over the levels of that dimension (:func:`holm`).
* Funnel limits are ``1 ± z·sqrt(Σ p(1-p)) / Σ p`` around O/E = 1 (binomial, from the
  expected probabilities of each placement), z = 1.96 (95%) and 3.09 (99.8%).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from matcher.outcomes.calibration import equal_count_bins, wilson

__all__ = [
    "Z95", "Z998", "brier_decomposition", "cmh_test", "holm", "poisson_ratio_ci",
    "r4", "rate", "stratified_mean_difference", "two_proportion_z", "wilson",
]

Z95 = float(stats.norm.ppf(0.975))
Z998 = float(stats.norm.ppf(0.999))


def r4(x: Any) -> float | None:
    """A float rounded to 4 places for JSON; None for missing or infinite values."""
    if x is None:
        return None
    x = float(x)
    return round(x, 4) if np.isfinite(x) else None


def rate(successes: int, n: int) -> dict[str, Any]:
    """``{"n", "k", "rate", "ci_low", "ci_high"}`` with a Wilson 95% interval."""
    n, successes = int(n), int(successes)
    low, high = wilson(successes, n) if n else (None, None)
    return {"n": n, "k": successes, "rate": r4(successes / n) if n else None,
            "ci_low": r4(low), "ci_high": r4(high)}


def two_proportion_z(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """(z, two-sided p) of the pooled two-proportion z-test of k1/n1 against k2/n2."""
    if n1 == 0 or n2 == 0:
        return float("nan"), float("nan")
    pooled = (k1 + k2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (k1 / n1 - k2 / n2) / se
    return float(z), float(2 * stats.norm.sf(abs(z)))


def holm(p_values: list[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (NaN stays NaN and does not count as a test)."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(len(p), np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    order = ok[np.argsort(p[ok], kind="stable")]
    running = 0.0
    for i, idx in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[idx]))
        out[idx] = running
    return out.tolist()


def poisson_ratio_ci(observed: float, expected: float,
                     level: float = 0.95) -> tuple[float | None, float | None]:
    """Exact (Garwood) Poisson interval of observed/expected."""
    if expected <= 0:
        return None, None
    alpha = 1 - level
    o = int(round(observed))
    low = stats.chi2.ppf(alpha / 2, 2 * o) / 2 if o > 0 else 0.0
    high = stats.chi2.ppf(1 - alpha / 2, 2 * o + 2) / 2
    return float(low / expected), float(high / expected)


def brier_decomposition(p: np.ndarray, y: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Brier score and Murphy's decomposition over equal-count bins of the predictions.

    ``brier ≈ reliability − resolution + uncertainty``; ``within_bin`` is the exact remainder
    (the spread of predictions inside the bins), so the four add up to the Brier score.
    Reliability near 0 means well calibrated; larger resolution means more useful.
    """
    p, y = np.asarray(p, float), np.asarray(y, float)
    n = len(p)
    if n == 0:
        return {"n": 0, "brier": None, "reliability": None, "resolution": None,
                "uncertainty": None, "within_bin": None}
    codes = equal_count_bins(p, bins)
    base = y.mean()
    frame = pd.DataFrame({"c": codes, "p": p, "y": y})
    g = frame.groupby("c").agg(n=("y", "size"), pm=("p", "mean"), ym=("y", "mean"))
    rel = float((g["n"] * (g["pm"] - g["ym"]) ** 2).sum() / n)
    res = float((g["n"] * (g["ym"] - base) ** 2).sum() / n)
    unc = float(base * (1 - base))
    brier = float(np.mean((p - y) ** 2))
    return {"n": n, "brier": r4(brier), "reliability": r4(rel), "resolution": r4(res),
            "uncertainty": r4(unc), "within_bin": r4(brier - (rel - res + unc)),
            "skill_vs_base_rate": r4(1 - brier / unc) if unc > 0 else None}


def cmh_test(tables: list[np.ndarray]) -> dict[str, Any]:
    """Cochran–Mantel–Haenszel test over 2×2 tables ``[[a, b], [c, d]]`` (one per stratum).

    Rows: women, men; columns: in the wished trade, not. Returns the common odds ratio
    (Mantel–Haenszel), the chi-square statistic (no continuity correction) and its p-value.
    """
    num = den = var = or_num = or_den = 0.0
    used = 0
    for t in tables:
        a, b, c, d = (float(v) for v in np.asarray(t).ravel())
        n = a + b + c + d
        if n < 2 or (a + b) == 0 or (c + d) == 0:
            continue
        used += 1
        num += a
        den += (a + b) * (a + c) / n
        var += (a + b) * (c + d) * (a + c) * (b + d) / (n * n * (n - 1))
        or_num += a * d / n
        or_den += b * c / n
    if used == 0 or var == 0:
        return {"test": "Cochran-Mantel-Haenszel", "strata": used, "odds_ratio": None,
                "chi2": None, "p_value": None}
    chi2 = (num - den) ** 2 / var
    return {"test": "Cochran-Mantel-Haenszel", "strata": used,
            "odds_ratio": r4(or_num / or_den) if or_den > 0 else None,
            "chi2": r4(chi2), "p_value": r4(stats.chi2.sf(chi2, 1))}


def stratified_mean_difference(values: np.ndarray, is_a: np.ndarray,
                               strata: np.ndarray) -> dict[str, Any]:
    """Difference of means (a − b) within strata, pooled by inverse variance, with a z-test.

    Only strata holding both a and b (two values at least each) count. This is the
    stratified (fixed-effects) comparison: women and men with the same wish.
    """
    frame = pd.DataFrame({"v": np.asarray(values, float), "a": np.asarray(is_a, bool),
                          "s": np.asarray(strata, object)}).dropna()
    diffs, weights = [], []
    for _, part in frame.groupby("s"):
        va, vb = part.loc[part["a"], "v"], part.loc[~part["a"], "v"]
        if len(va) < 2 or len(vb) < 2:
            continue
        var = va.var(ddof=1) / len(va) + vb.var(ddof=1) / len(vb)
        if not np.isfinite(var) or var <= 0:
            continue
        diffs.append(va.mean() - vb.mean())
        weights.append(1 / var)
    if not diffs:
        return {"test": "stratified difference of means (inverse-variance), z-test",
                "strata": 0, "difference": None, "ci_low": None, "ci_high": None,
                "p_value": None}
    w = np.asarray(weights)
    d = float(np.sum(w * np.asarray(diffs)) / w.sum())
    se = float(1 / np.sqrt(w.sum()))
    p = float(2 * stats.norm.sf(abs(d / se)))
    return {"test": "stratified difference of means (inverse-variance), z-test",
            "strata": len(diffs), "difference": r4(d), "ci_low": r4(d - Z95 * se),
            "ci_high": r4(d + Z95 * se), "p_value": r4(p)}

