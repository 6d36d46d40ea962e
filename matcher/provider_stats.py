"""Providers' past success, shrunk toward the mean, and encoded out of fold for training.

A provider with two placements that both succeeded has not shown a 100% success rate: it has
shown very little. The rate the model sees is the empirical-Bayes shrinkage

    rate = (s + m · prior) / (n + m)

with s successes in n placements, ``prior`` the overall success rate, and m = :data:`SHRINK_M`
pseudo-placements at the overall rate: a provider needs about m placements before its own
record counts as much as the average. m = 10 is the order of one cohort of a course, and
of the number of placements a provider of the demo world has in a year.

While training, a row's own outcome must not be in its own feature (the model would learn
that the rate "predicts" a label it contains): :meth:`FeatureContext.out_of_fold` computes
each row's rate from the other folds only, the folds grouped by client so that a client's
other placements do not leak their ability either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: Pseudo-placements at the overall rate (see the module docstring).
SHRINK_M = 10.0


@dataclass
class FeatureContext:
    """What the features need from the history: per-provider counts and the overall rate.

    Build it with :meth:`fit`; :meth:`empty` is the context of a world with no history.
    """

    prior: float = float("nan")
    m: float = SHRINK_M
    rows: int = 0
    stats: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"n": [], "s": []}, index=pd.Index([], dtype=object))
    )

    @classmethod
    def empty(cls, m: float = SHRINK_M) -> FeatureContext:
        """No history: every provider rate is unknown (NaN) and every size 0."""
        return cls(m=m)

    @classmethod
    def fit(cls, provider_ids: Any, success: Any, *, m: float = SHRINK_M) -> FeatureContext:
        """Counts and successes per provider, and the overall rate, from past placements.

        Parameters
        ----------
        provider_ids : array-like of str
            The provider of each placement with a known outcome.
        success : array-like of {0, 1}
            Its outcome.
        m : float, default=SHRINK_M
            Strength of the shrinkage toward the overall rate.
        """
        if m < 0:
            raise ValueError(f"m must be non-negative, not {m}")
        y = np.asarray(success, dtype=float)
        frame = pd.DataFrame({"p": np.asarray(provider_ids, dtype=object), "y": y})
        stats = frame.groupby("p", sort=True)["y"].agg(n="size", s="sum").astype(float)
        prior = float(y.mean()) if len(y) else float("nan")
        return cls(prior=prior, m=float(m), rows=len(y), stats=stats)

    def provider_features(self, provider_ids: Any) -> tuple[np.ndarray, np.ndarray]:
        """(shrunk rate, number of past placements) of each provider id.

        A provider with no history gets the overall rate and 0.
        """
        ids = pd.Index(np.asarray(provider_ids, dtype=object))
        # A zero row at the end stands for every provider with no history.
        pos = self.stats.index.get_indexer(ids)
        pos[pos < 0] = len(self.stats)
        n = np.append(self.stats["n"].to_numpy(float), 0.0)[pos]
        s = np.append(self.stats["s"].to_numpy(float), 0.0)[pos]
        return shrink(s, n, self.prior, self.m), n

    @staticmethod
    def out_of_fold(provider_ids: Any, success: Any, folds: Any, *,
                    m: float = SHRINK_M) -> tuple[np.ndarray, np.ndarray]:
        """Each row's (shrunk rate, count) computed without the rows of its own fold.

        Parameters
        ----------
        provider_ids : array-like of str
        success : array-like of {0, 1}
        folds : array-like of int
            The fold of each row; group rows by client so a client's placements share one.
        m : float, default=SHRINK_M

        Returns
        -------
        rate, n : ndarray of shape (n_rows,)
            The rate and count a context fitted on the other folds would give.
        """
        frame = pd.DataFrame({"p": np.asarray(provider_ids, dtype=object),
                              "y": np.asarray(success, dtype=float),
                              "f": np.asarray(folds)})
        by_p = frame.groupby("p")["y"].agg(["size", "sum"])
        by_pf = frame.groupby(["p", "f"])["y"].agg(["size", "sum"])
        by_f = frame.groupby("f")["y"].agg(["size", "sum"])
        keys = pd.MultiIndex.from_arrays([frame["p"], frame["f"]])
        total_p = by_p.reindex(frame["p"]).to_numpy(float)
        own_pf = by_pf.reindex(keys).to_numpy(float)
        own_f = by_f.reindex(frame["f"]).to_numpy(float)
        n = total_p[:, 0] - own_pf[:, 0]
        s = total_p[:, 1] - own_pf[:, 1]
        rest_n = len(frame) - own_f[:, 0]
        rest_s = frame["y"].sum() - own_f[:, 1]
        prior = np.divide(rest_s, rest_n, out=np.full(len(frame), np.nan), where=rest_n > 0)
        return shrink(s, n, prior, m), n

    def summary(self) -> dict[str, Any]:
        """Figures for the model card: no provider names, only sizes."""
        n = self.stats["n"].to_numpy() if len(self.stats) else np.zeros(0)
        return {
            "rows": self.rows,
            "prior_success_rate": None if np.isnan(self.prior) else round(self.prior, 4),
            "shrinkage_m": self.m,
            "providers": int(len(n)),
            "providers_under_m": int((n < self.m).sum()),
            "median_placements_per_provider": float(np.median(n)) if len(n) else 0.0,
        }


def shrink(s: np.ndarray, n: np.ndarray, prior: float | np.ndarray, m: float) -> np.ndarray:
    """``(s + m·prior) / (n + m)``; the prior itself when there is nothing to shrink."""
    s, n = np.asarray(s, dtype=float), np.asarray(n, dtype=float)
    denominator = n + m
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = (s + m * np.asarray(prior, dtype=float)) / denominator
    return np.where(denominator > 0, rate, np.broadcast_to(prior, rate.shape)).astype(float)
