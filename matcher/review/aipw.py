"""Cross-fitted doubly robust (AIPW) effect on the placed, with its nuisance models chosen
by out-of-fold loss.

The estimate (normalised weights ``w = e/(1−e)`` on the comparison units)::

    ATT = mean over placed (Y − μ0)  −  Σ_c w_c (Y_c − μ0_c) / Σ_c w_c

is consistent if either the propensity ``e(x)`` or the outcome model ``μ0(x)`` (what a
client earns without a placement, fitted on the comparison units) is right. Both are
chosen among a few candidates, each fitted in 5 client-grouped folds so that every unit's
prediction comes from models that did not see its client:

* ``linear``: main effects (logistic or ridge);
* ``flexible``: cubic splines in age and in log prior income (which has its own zero
  indicator), pairwise interactions of the profile's main numbers, and the rest.

Gradient-boosted trees were tried as a third candidate: on the public benchmarks they won
now and then without changing a verdict, and tripled the time (65 s for 2,675 units), so
they are not among the candidates.

The propensity with the smallest out-of-fold log loss wins; the outcome model with the
smallest out-of-fold loss on the comparison units, **weighted by their odds of being
placed** (the effect is about the placed, so the outcome model must be right where the
placed are) wins; in both, the flexible model must beat the linear one by more than one
standard error of the difference (the one-standard-error rule). Neither choice looks at
the effect estimate.

The propensity is fitted with the two sides weighted equally (``class_weight="balanced"``,
and the log loss that chooses it weighted the same way), so that ``e/(1−e)`` is the ratio of
the placed to the comparison density of ``x`` up to a constant, whatever the sizes of the
two groups. Units with ``e > 1 − trim`` (a density ratio above ``(1 − trim)/trim``) have
(almost) no comparable units on the other side and are left out; the estimate is then
about the placed inside the overlap, and :mod:`matcher.review.effect_checks` says whom it
is about and whether it can be trusted.

The 95% interval comes from the influence function summed within each client (a client's
placements are not independent): a cluster-robust standard error.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    OneHotEncoder,
    PolynomialFeatures,
    SplineTransformer,
    StandardScaler,
)

from matcher.notes import note

__all__ = ["EffectsUnavailable", "CrossFit", "cross_fit", "weighted_difference",
           "N_FOLDS", "TRIM"]

N_FOLDS = 5
TRIM = 0.02
_EPS = 1e-6
#: The nuisance models tried, in order (see the module docstring).
CANDIDATES = ("linear", "flexible")
#: Numbers of the profile that get splines (when they vary enough) in the flexible model.
SPLINED = ("age", "log_prior_income")
#: The profile's main numbers whose pairwise interactions the flexible model includes.
INTERACTED = ("age", "education_level", "female", "household_poor", "ethnic_minority",
              "married", "has_prior_income", "log_prior_income")


class EffectsUnavailable(ValueError):
    """The effect cannot be estimated from these records; ``note`` says why (coded)."""

    def __init__(self, code: str, english: str, **params: Any) -> None:
        self.note = note(f"effects.{code}", english, **params)
        super().__init__(self.note["message"])


@dataclass
class CrossFit:
    """Out-of-fold nuisance predictions and which candidate models won."""

    e: np.ndarray  # P(placed | x) with the two sides weighted equally (density-ratio scale)
    mu0: np.ndarray  # E(Y | x, not placed)
    propensity_model: str
    outcome_model: str
    losses: dict[str, dict[str, float]] = field(default_factory=dict)


def varying(x: pd.DataFrame, numeric: list[str], categories: list[str]) -> tuple[list, list]:
    """The numeric and categorical columns that are not the same for every unit."""
    num = [c for c in numeric if np.ptp(x[c].to_numpy(float)) > 0]
    cat = [c for c in categories if x[c].nunique(dropna=False) > 1]
    return num, cat


def _design(kind: str, x: pd.DataFrame, num: list[str], cat: list[str]) -> ColumnTransformer:
    parts: list[tuple[str, Any, list[str]]] = []
    rest = list(num)
    if kind == "flexible":
        for c in SPLINED:
            if c in num and x[c].nunique() >= 8:
                parts.append((f"spline_{c}", Pipeline([
                    ("scale", StandardScaler()),
                    ("spline", SplineTransformer(n_knots=5, degree=3))]), [c]))
        pairs = [c for c in INTERACTED if c in num]
        if len(pairs) >= 2:
            parts.append(("pairs", Pipeline([
                ("scale", StandardScaler()),
                ("pairs", PolynomialFeatures(2, interaction_only=True, include_bias=False))]),
                pairs))
            rest = [c for c in num if c not in pairs]
    if rest:
        parts.append(("num", StandardScaler(), rest))
    if cat:
        parts.append(("cat", OneHotEncoder(handle_unknown="ignore"), cat))
    return ColumnTransformer(parts)


def _model(kind: str, binary: bool, x: pd.DataFrame, num: list[str], cat: list[str], *,
           balanced: bool = False):
    if binary:
        est = LogisticRegression(C=1.0, max_iter=3000,
                                 class_weight="balanced" if balanced else None)
    else:
        est = Ridge(alpha=1.0)
    return Pipeline([("x", _design(kind, x, num, cat)), ("fit", est)])


def _predict(model, x: pd.DataFrame, binary: bool) -> np.ndarray:
    return model.predict_proba(x)[:, 1] if binary else model.predict(x)


def _unit_log_loss(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def _one_se_choice(losses: dict[str, np.ndarray], w: np.ndarray) -> str:
    """The first (simplest) candidate unless a later one has a lower weighted mean loss by
    more than one standard error of the paired difference (Breiman's one-standard-error
    rule: a more flexible model must earn its place, not win by noise)."""
    kinds = list(losses)
    chosen = kinds[0]
    wn = w / w.sum()
    for kind in kinds[1:]:
        diff = losses[kind] - losses[chosen]
        mean = float((wn * diff).sum())
        se = float(np.sqrt((wn ** 2 * (diff - mean) ** 2).sum()))
        if mean < -se:
            chosen = kind
    return chosen


def cross_fit(x: pd.DataFrame, d: np.ndarray, y: np.ndarray, groups: np.ndarray, *,
              binary: bool, numeric: list[str], categories: list[str],
              n_folds: int = N_FOLDS, cache: dict | None = None) -> CrossFit:
    """Out-of-fold ``e`` and ``μ0`` from the candidates that predict best (see module).

    ``cache`` (a dict the caller keeps) reuses the propensity of the same units: the two
    outcomes of one scope usually have the same placed and comparison units.
    """
    num, cat = varying(x, numeric, categories)
    kinds = list(CANDIDATES)
    n_groups = int(pd.unique(groups).size)
    k = max(2, min(n_folds, n_groups))
    folds = np.empty(len(y), dtype=int)
    for f, (_, test) in enumerate(GroupKFold(n_splits=k).split(x, groups=groups)):
        folds[test] = f
    key = (d.tobytes(), tuple(groups), len(x))
    cached = cache.get(key) if cache is not None else None
    e = cached or {kind: np.empty(len(y)) for kind in kinds}
    mu = {kind: np.empty(len(y)) for kind in kinds}
    constant_y = binary and len(np.unique(y[~d])) < 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for f in range(k):
            train, test = folds != f, folds == f
            c_train = train & ~d
            if len(np.unique(d[train])) < 2 or c_train.sum() < 5:
                raise EffectsUnavailable(
                    "too_few_to_cross_fit",
                    "too few comparison clients ({n_compared}) to fit the models on some "
                    "clients and test them on others", n_compared=int((~d).sum()))
            for kind in kinds:
                if not num and not cat:  # nothing recorded varies: nothing to adjust for
                    e[kind][test] = d[train].mean()
                    mu[kind][test] = y[c_train].mean()
                    continue
                if cached is None:
                    ps = _model(kind, True, x, num, cat, balanced=True)
                    ps.fit(x.loc[train], d[train])
                    e[kind][test] = _predict(ps, x.loc[test], True)
                if constant_y or len(np.unique(y[c_train])) < 2:
                    mu[kind][test] = y[c_train].mean()
                else:
                    om = _model(kind, binary, x, num, cat).fit(x.loc[c_train], y[c_train])
                    mu[kind][test] = _predict(om, x.loc[test], binary)
    if cache is not None:
        cache[key] = e
    sides = np.where(d, 0.5 / max(d.sum(), 1), 0.5 / max((~d).sum(), 1))  # equal weight
    ps_losses = {kind: _unit_log_loss(d.astype(float), e[kind]) for kind in kinds}
    best_ps = _one_se_choice(ps_losses, sides)
    ec = np.clip(e[best_ps], _EPS, 1 - _EPS)
    odds = (ec / (1 - ec))[~d]
    yc = y[~d]
    mu_losses = {kind: (_unit_log_loss(yc, mu[kind][~d]) if binary
                        else (yc - mu[kind][~d]) ** 2) for kind in kinds}
    best_mu = _one_se_choice(mu_losses, odds)
    ps_loss = {k: float(np.average(v, weights=sides)) for k, v in ps_losses.items()}
    mu_loss = {k: float(np.average(v, weights=odds)) for k, v in mu_losses.items()}
    return CrossFit(e=e[best_ps], mu0=mu[best_mu], propensity_model=best_ps,
                    outcome_model=best_mu,
                    losses={"propensity_log_loss": _rounded(ps_loss),
                            "outcome_loss": _rounded(mu_loss)})


def _rounded(losses: dict[str, float]) -> dict[str, float]:
    return {k: float(f"{v:.6g}") for k, v in losses.items()}


def weighted_difference(y: np.ndarray, d: np.ndarray, mu0: np.ndarray, w: np.ndarray,
                        groups: np.ndarray) -> tuple[float, float]:
    """mean_placed(y − μ0) − Σ_c w(y − μ0)/Σ_c w, and its cluster-robust standard error."""
    r = y - mu0
    n = len(y)
    a = r[d].mean()
    wc = w[~d]
    b = float((wc * r[~d]).sum() / wc.sum())
    psi = np.zeros(n)
    psi[d] = (n / d.sum()) * (r[d] - a)
    psi[~d] = -(n / wc.sum()) * wc * (r[~d] - b)
    per_client = pd.Series(psi).groupby(np.asarray(groups)).sum().to_numpy()
    m = len(per_client)
    se = float(np.sqrt((per_client ** 2).sum() * m / max(m - 1, 1)) / n)
    return float(a - b), se
