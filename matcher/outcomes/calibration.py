"""Platt scaling, the calibration table and the Wilson interval (the logistic function
itself is :func:`matcher.logistic.sigmoid`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from matcher.logistic import fit_logistic

CALIBRATION_BINS = 10


def fit_platt(score: np.ndarray, y: np.ndarray, *, iterations: int = 100) -> tuple[float, float]:
    """Platt's sigmoid ``P = sigmoid(a·score + b)`` by Newton's method.

    Uses Platt's smoothed targets, which keep the fit finite when a fold is separable. The
    slope is kept non-negative: a score that ranks backwards is not turned upside down (that
    would break the monotonic constraints); it is flattened to the base rate instead.
    """
    s = np.asarray(score, dtype=float)
    y = np.asarray(y, dtype=float)
    n1 = y.sum()
    n0 = len(y) - n1
    t = np.where(y > 0, (n1 + 1) / (n1 + 2), 1 / (n0 + 2))
    a, b = fit_logistic(s, t, start=(1.0, float(np.log((n1 + 1) / (n0 + 1)))),
                        iterations=iterations)
    if a < 0:
        a, b = 0.0, float(np.log(t.mean() / (1 - t.mean())))
    return float(a), float(b)


def equal_count_bins(p: np.ndarray, bins: int = CALIBRATION_BINS) -> np.ndarray:
    """The bin (0 to ``bins`` − 1) of each prediction: equal numbers of rows by predicted P,
    ties split by order. The calibration table and the review's Brier decomposition both
    cut here."""
    ranks = pd.Series(np.asarray(p, dtype=float)).rank(method="first").to_numpy()
    return np.asarray(pd.qcut(ranks, q=min(bins, len(ranks)), labels=False), dtype=int)


def calibration_table(p: np.ndarray, y: np.ndarray,
                      bins: int = CALIBRATION_BINS) -> list[dict[str, Any]]:
    """Deciles of predicted P: mean predicted, observed rate, n and its Wilson 95% interval,
    and ``inside_ci``: whether the mean prediction lies inside that interval.

    The bins hold equal numbers of rows (:func:`equal_count_bins`), so their ``n`` add up to
    the rows. The model card, the review and the staff dashboard all show this table.
    """
    p = np.asarray(p, dtype=float)
    y = np.asarray(y)
    if len(p) == 0:
        return []
    codes = equal_count_bins(p, bins)
    table = []
    for k in range(int(codes.max()) + 1):
        idx = np.flatnonzero(codes == k)
        n, hits = len(idx), int(y[idx].sum())
        low, high = wilson(hits, n)
        table.append({"bin": k + 1, "n": n, "mean_predicted": _round(p[idx].mean()),
                      "observed": _round(hits / n), "ci_low": _round(low),
                      "ci_high": _round(high), "p_min": _round(p[idx].min()),
                      "p_max": _round(p[idx].max()),
                      "inside_ci": bool(_round(low) <= p[idx].mean() <= _round(high))})
    return table


def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (95% by default)."""
    if n == 0:
        return 0.0, 1.0
    phat = successes / n
    centre = (phat + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _round(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 4)
