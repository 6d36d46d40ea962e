"""The effect of being placed: placed clients against comparable clients who were not.

The question: among the placements whose outcome is known, how much more often did the
client earn a stable living at six months (``success``), and how much more did they earn a
day (``income_vnd_day``), than they would have without the placement? Without the
placement is never seen; what is seen is the follow-up of clients who were never placed
(``followups``: ``earning``, ``income_vnd_day``). Social workers placed the easier clients
more often, so the naive difference of the two means mixes the placement's effect with who
was placed. The adjusted figure removes the part explained by the clients' pre-placement
profile.

**Estimand.** The average effect of placement on the placed (ATT), over placements with a
known outcome: ``mean(Y(placed) − Y(not placed))`` — the synthetic world's
``truth["placement_effect"]`` is defined the same way. The units are placements (treated)
and follow-ups of never-placed clients (comparison); a client with three placements counts
three times, as in the truth.

**Method: doubly robust (AIPW) for the ATT, with cross-fitting.**

* Covariates, all from the client's profile and none from after the placement: age at the
  start of the six months (the placement's start date; for a comparison client, the
  follow-up date minus 182 days) as a cubic spline, gender, group, education, disability,
  household poor, ethnic minority, married, prior income (any, and its log; missing
  flagged), travel limit, years since 2020 at registration, and the home's coordinates.
* Propensity ``e(x)``: a logistic regression of "is a placement" on the covariates, with
  the two sides weighted equally (``class_weight="balanced"``), so that ``e/(1−e)`` is the
  ratio of the placed to the comparison density of ``x`` (up to a constant).
* Outcome model ``μ0(x)``: what a client earns without a placement, fitted on the
  comparison clients only — a logistic regression for success/earning, a ridge regression
  for income.
* Cross-fitting: 5 folds, every client's rows in one fold; each unit's ``e`` and ``μ0``
  come from models that did not see its client.
* Trimming: units with ``e > 1 − trim`` (default ``trim=0.02``: a comparison weight above
  49) lie where there are (almost) no comparison clients; they are dropped, and the share
  dropped is reported (the estimate is then for the placed inside the overlap).
* Estimate (normalised weights ``w = e/(1−e)`` on the comparison units)::

      adjusted = mean over placed (Y − μ0)  −  Σ_c w_c (Y_c − μ0_c) / Σ_c w_c

  It is consistent if either the propensity or the outcome model is right.
* Confidence interval: 95%, from the estimator's influence function, summed within each
  client (a client's placements are not independent) — a cluster-robust standard error.
  The naive difference gets the same kind of interval.

**Diagnostics** per estimate: a covariate-balance table (standardised mean differences,
placed vs comparison, before and after weighting), the propensity range on each side, the
share trimmed, the effective sample size of the comparison weights, and a ``warning`` when
overlap is poor (share trimmed above 10%, effective sample size below 30 or below 10% of
the comparison clients, or a largest single weight above 10% of the total) or when there
are few comparison clients. No adjustment removes confounding by what is not recorded
(the synthetic world's ``hidden_confounding``): the adjusted figure assumes that, given the
recorded profile, who was placed was as good as random.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, SplineTransformer, StandardScaler
from sqlalchemy import Engine
from sqlalchemy.orm import Session

__all__ = [
    "EffectsUnavailable",
    "OUTCOMES",
    "aipw_att",
    "effect_frames",
    "estimate_effects",
    "placement_effects",
]

OUTCOMES = ("success", "income_vnd_day")
N_FOLDS = 5
TRIM = 0.02
PROPENSITY_C = 1.0
OUTCOME_C = 1.0
MIN_PLACED_KIND = 30
MIN_PLACED_PROVIDER = 30
MIN_COMPARED = 50
Z95 = 1.959963984540054
WINDOW_DAYS = 182
GROUPS = ("youth_at_risk", "trafficking_returnee", "after_rehab", "after_prison",
          "after_reform_school", "sex_worker_exiting", "gbv_survivor", "disabled", "other")
EDUCATION = {"none": 0.0, "primary": 1.0, "lower_secondary": 2.0, "upper_secondary": 3.0,
             "vocational": 4.0, "college": 4.5}
DISABILITIES = ("none", "deaf", "blind", "physical", "intellectual", "psychosocial")
KINDS = ("training", "job", "livelihood")

_NUMERIC = ["age", "education_level", "education_missing", "female", "gender_other",
            "household_poor", "ethnic_minority", "married", "needs_women_only",
            "has_prior_income", "log_prior_income", "prior_income_missing",
            "log_travel_km", "registered_years", "lat", "lon"]
_CATEGORIES = ["group", "disability"]
#: Covariates of the balance table: the numbers above and one 0/1 column per category.
BALANCE_COLUMNS = ([c for c in _NUMERIC if c != "education_missing"]
                   + [f"group={g}" for g in GROUPS]
                   + [f"disability={d}" for d in DISABILITIES])

_CLIENT_COLUMNS = ("client_id", "birth_date", "gender", "group_code", "place_id", "education",
                   "disability", "max_travel_km", "needs_women_only", "household_poor",
                   "ethnic_minority", "married", "prior_income_vnd_month", "registered_on")
_PLACEMENT_COLUMNS = ("placement_id", "client_id", "option_id", "start_date", "status",
                      "success", "income_vnd_day")
_OPTION_COLUMNS = ("option_id", "provider_id", "kind")
_FOLLOWUP_COLUMNS = ("client_id", "followed_up_on", "earning", "income_vnd_day")


class EffectsUnavailable(ValueError):
    """The effect cannot be estimated from these records (say why)."""


# --- entry points -----------------------------------------------------------------------------


def placement_effects(engine: Engine | Session, *, min_placed_kind: int = MIN_PLACED_KIND,
                      min_placed_provider: int = MIN_PLACED_PROVIDER, trim: float = TRIM,
                      list_small_providers: bool = False) -> list[dict[str, Any]]:
    """The effect of placement from the store behind ``engine``, as ``review --json``'s
    ``effects``: overall, by kind and by provider, for ``success`` and ``income_vnd_day``.

    Each entry has the contract's keys (``scope``, ``outcome``, ``naive``, ``adjusted``,
    ``ci_low``, ``ci_high``, ``n_placed``, ``n_compared``) and more: ``naive_ci_low/high``,
    ``se``, ``n_trimmed``, ``overlap``, ``balance``, ``warning`` (None when all is well).
    A kind or provider with fewer than ``min_placed_*`` placements with an outcome gets no
    adjusted figure (``adjusted`` None and a warning saying so); such providers are listed
    only with ``list_small_providers``, otherwise counted in the overall entry's
    ``providers_too_few``.

    Raises
    ------
    TypeError
        ``engine`` is not a SQLAlchemy Engine or Session.
    EffectsUnavailable
        No placement with a known outcome, or no follow-up of a client never placed.
    """
    if not isinstance(engine, Engine | Session):
        raise TypeError("placement_effects needs a SQLAlchemy Engine or Session, "
                        f"not {type(engine).__name__}")
    from matcher.catalog import load_catalog, load_clients, load_followups, load_placements
    from matcher.review.data import session_of

    with session_of(engine) as session:
        frames = (load_clients(session), load_placements(session),
                  load_catalog(session).options, load_followups(session))
    return estimate_effects(*frames, min_placed_kind=min_placed_kind,
                            min_placed_provider=min_placed_provider, trim=trim,
                            list_small_providers=list_small_providers)


def estimate_effects(clients: pd.DataFrame, placements: pd.DataFrame, options: pd.DataFrame,
                     followups: pd.DataFrame, *, min_placed_kind: int = MIN_PLACED_KIND,
                     min_placed_provider: int = MIN_PLACED_PROVIDER, trim: float = TRIM,
                     list_small_providers: bool = False,
                     outcomes: tuple[str, ...] = OUTCOMES) -> list[dict[str, Any]]:
    """:func:`placement_effects` on frames as :mod:`matcher.catalog` loads them."""
    if not 0.0 < trim < 0.5:
        raise ValueError(f"trim is a share of the propensity scale in (0, 0.5), not {trim}")
    for o in outcomes:
        if o not in OUTCOMES:
            raise ValueError(f"unknown outcome {o!r}; the outcomes are {', '.join(OUTCOMES)}")
    data = effect_frames(clients, placements, options, followups)
    treated = data.treated
    entries: list[dict[str, Any]] = []
    scopes: list[tuple[str, np.ndarray, int]] = [("overall", np.ones(len(treated), bool), 1)]
    scopes += [(k, (treated["kind"] == k).to_numpy(), min_placed_kind) for k in KINDS
               if (treated["kind"] == k).any()]
    counts = treated["provider_id"].value_counts()
    small = sorted(p for p, n in counts.items() if n < min_placed_provider)
    for provider in sorted(counts.index):
        if provider in small and not list_small_providers:
            continue
        scopes.append((str(provider), (treated["provider_id"] == provider).to_numpy(),
                       min_placed_provider))
    for scope, rows, minimum in scopes:
        for outcome in outcomes:
            entries.append(_entry(data, scope, rows, outcome, minimum, trim))
    entries[0]["providers_too_few"] = {"n_providers": len(small),
                                       "min_placed": min_placed_provider,
                                       "listed": bool(list_small_providers)}
    return entries


# --- the analysis frame -----------------------------------------------------------------------


@dataclass
class EffectData:
    """Placed units (placements with an outcome) and comparison units (follow-ups)."""

    treated: pd.DataFrame  # covariates + client_id, kind, provider_id, success, income
    control: pd.DataFrame  # covariates + client_id, success (= earning), income


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, not {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks the columns {', '.join(missing)}")


def effect_frames(clients: pd.DataFrame, placements: pd.DataFrame, options: pd.DataFrame,
                  followups: pd.DataFrame) -> EffectData:
    """Placed and comparison units with their pre-placement covariates and outcomes.

    Placements count when their outcome is known (success 1/0, or dropped = 0); follow-ups
    count when the client had no placement starting on or before the follow-up date.
    """
    from matcher.outcomes.data import outcome_labels

    _require(clients, _CLIENT_COLUMNS, "clients")
    _require(placements, _PLACEMENT_COLUMNS, "placements")
    _require(options, _OPTION_COLUMNS, "options")
    _require(followups, _FOLLOWUP_COLUMNS, "followups")
    known, y = outcome_labels(placements)
    done = placements.loc[known].reset_index(drop=True).assign(y=y)
    if not len(done):
        raise EffectsUnavailable("no placement has a known outcome yet: the effect of "
                                 "placement cannot be estimated")
    opts = options.drop_duplicates("option_id").set_index("option_id")
    missing = ~done["option_id"].isin(opts.index)
    if missing.any():
        raise ValueError(f"placement {done.loc[missing, 'placement_id'].iloc[0]} refers to "
                         "an option that is not in options")
    by_id = clients.drop_duplicates("client_id").set_index("client_id")
    for name, frame in (("placement", done), ("follow-up of client", followups)):
        unknown = ~frame["client_id"].isin(by_id.index)
        if unknown.any():
            raise ValueError(f"{name} {frame.loc[unknown, 'client_id'].iloc[0]}: the client "
                             "is not in clients")
    first_start = pd.to_datetime(placements["start_date"]).groupby(
        placements["client_id"]).min()
    fu = followups.copy()
    fu_on = pd.to_datetime(fu["followed_up_on"])
    placed_before = fu["client_id"].map(first_start)
    fu = fu.loc[~(placed_before.notna() & (placed_before <= fu_on))].reset_index(drop=True)
    if not len(fu):
        raise EffectsUnavailable("no follow-up of a client who was never placed: there is "
                                 "nobody to compare the placed with")
    t_index = pd.to_datetime(done["start_date"]).to_numpy("datetime64[D]")
    c_index = (pd.to_datetime(fu["followed_up_on"]).to_numpy("datetime64[D]")
               - np.timedelta64(WINDOW_DAYS, "D"))
    treated = _covariates(by_id.loc[done["client_id"]], t_index)
    treated = treated.assign(
        client_id=done["client_id"].to_numpy(object),
        kind=opts["kind"].reindex(done["option_id"]).astype(str).to_numpy(object),
        provider_id=opts["provider_id"].reindex(done["option_id"]).astype(str).to_numpy(object),
        success=done["y"].to_numpy(float),
        income=pd.to_numeric(done["income_vnd_day"], errors="coerce").to_numpy(float))
    control = _covariates(by_id.loc[fu["client_id"]], c_index)
    control = control.assign(
        client_id=fu["client_id"].to_numpy(object),
        success=fu["earning"].map(_flag).to_numpy(float),
        income=pd.to_numeric(fu["income_vnd_day"], errors="coerce").to_numpy(float))
    return EffectData(treated=treated, control=control)


def _flag(value: Any) -> float:
    if isinstance(value, str):
        return 1.0 if value.strip().lower() in {"1", "true", "có", "co", "yes"} else 0.0
    return float(bool(value)) if value is not None and value == value else np.nan


def _bool(series: pd.Series) -> np.ndarray:
    return np.array([_flag(v) if v is not None else 0.0 for v in series], dtype=float)


_PLACE_XY: dict[str, tuple[float, float]] = {}


def _place_xy(place_ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if not _PLACE_XY:
        from matcher.places import load_place_index

        for p in load_place_index().places():
            _PLACE_XY[p.place_id] = (float(p.lat), float(p.lon))
    xy = [_PLACE_XY.get(str(p), (np.nan, np.nan)) for p in place_ids]
    lat, lon = (np.array(v, dtype=float) for v in zip(*xy, strict=True)) if xy else \
        (np.zeros(0), np.zeros(0))
    return np.nan_to_num(lat, nan=np.nanmean(lat) if np.isfinite(lat).any() else 0.0), \
        np.nan_to_num(lon, nan=np.nanmean(lon) if np.isfinite(lon).any() else 0.0)


def _covariates(rows: pd.DataFrame, on: np.ndarray) -> pd.DataFrame:
    """Pre-placement covariates of each unit (one row of ``rows`` per unit)."""
    birth = pd.to_datetime(rows["birth_date"]).to_numpy("datetime64[D]")
    age = (on - birth).astype(float) / 365.25
    edu = rows["education"].map(EDUCATION).to_numpy(float)
    prior = pd.to_numeric(rows["prior_income_vnd_month"], errors="coerce").to_numpy(float)
    travel = pd.to_numeric(rows["max_travel_km"], errors="coerce").to_numpy(float)
    registered = pd.to_datetime(rows["registered_on"]).to_numpy("datetime64[D]")
    lat, lon = _place_xy(rows["place_id"])
    gender = rows["gender"].astype(str).to_numpy()
    return pd.DataFrame({
        "age": age,
        "education_level": np.nan_to_num(edu, nan=2.0),
        "education_missing": np.isnan(edu).astype(float),
        "female": (gender == "female").astype(float),
        "gender_other": (gender == "other").astype(float),
        "household_poor": _bool(rows["household_poor"]),
        "ethnic_minority": _bool(rows["ethnic_minority"]),
        "married": _bool(rows["married"]),
        "needs_women_only": _bool(rows["needs_women_only"]),
        "has_prior_income": (np.nan_to_num(prior) > 0).astype(float),
        "log_prior_income": np.log1p(np.maximum(np.nan_to_num(prior), 0.0)),
        "prior_income_missing": np.isnan(prior).astype(float),
        "log_travel_km": np.log1p(np.maximum(np.nan_to_num(travel, nan=15.0), 0.0)),
        "registered_years": (registered - np.datetime64("2020-01-01")).astype(float) / 365.25,
        "lat": lat,
        "lon": lon,
        "group": rows["group_code"].fillna("other").astype(str).to_numpy(object),
        "disability": rows["disability"].fillna("none").astype(str).to_numpy(object),
    })


def _design() -> ColumnTransformer:
    others = [c for c in _NUMERIC if c != "age"]
    return ColumnTransformer([
        ("age", Pipeline([("scale", StandardScaler()),
                          ("spline", SplineTransformer(n_knots=4, degree=3))]), ["age"]),
        ("num", StandardScaler(), others),
        ("cat", OneHotEncoder(handle_unknown="ignore"), _CATEGORIES),
    ])


def _balance_matrix(x: pd.DataFrame) -> pd.DataFrame:
    out = x[[c for c in _NUMERIC if c != "education_missing"]].copy()
    for g in GROUPS:
        out[f"group={g}"] = (x["group"] == g).astype(float)
    for d in DISABILITIES:
        out[f"disability={d}"] = (x["disability"] == d).astype(float)
    return out


# --- the estimator ----------------------------------------------------------------------------


def aipw_att(x: pd.DataFrame, d: np.ndarray, y: np.ndarray, groups: np.ndarray, *,
             binary: bool, trim: float = TRIM, n_folds: int = N_FOLDS) -> dict[str, Any]:
    """Cross-fitted doubly robust ATT of ``d`` on ``y`` given covariates ``x`` (see module).

    ``groups`` are the clusters (client ids): folds and standard errors keep them whole.
    Returns the naive and adjusted figures with 95% intervals and the diagnostics.
    """
    d = np.asarray(d, dtype=bool)
    y = np.asarray(y, dtype=float)
    n1, n0 = int(d.sum()), int((~d).sum())
    if n1 == 0 or n0 == 0:
        raise EffectsUnavailable("both placed and comparison units are needed")
    naive, naive_se = _weighted_diff(y, d, np.zeros(len(y)), np.ones(len(y)), groups)
    e = np.empty(len(y))
    mu0 = np.empty(len(y))
    n_groups = int(pd.unique(groups).size)
    k = max(2, min(n_folds, n_groups))
    folds = np.empty(len(y), dtype=int)
    for f, (_, test) in enumerate(GroupKFold(n_splits=k).split(x, groups=groups)):
        folds[test] = f
    for f in range(k):
        train, test = folds != f, folds == f
        c_train = train & ~d
        if len(np.unique(d[train])) < 2 or c_train.sum() < 5:
            raise EffectsUnavailable("too few comparison clients to cross-fit the models")
        ps = Pipeline([("x", _design()),
                       ("lr", LogisticRegression(C=PROPENSITY_C, class_weight="balanced",
                                                 max_iter=2000))])
        ps.fit(x.loc[train], d[train])
        e[test] = ps.predict_proba(x.loc[test])[:, 1]
        mu0[test] = _outcome_model(x.loc[c_train], y[c_train], binary).predict_x(x.loc[test])
    keep = e <= 1.0 - trim
    n_trimmed_t, n_trimmed_c = int((~keep & d).sum()), int((~keep & ~d).sum())
    if not (keep & d).any() or not (keep & ~d).any():
        raise EffectsUnavailable("no overlap at all between placed and comparison clients")
    ek = np.clip(e, trim, 1.0 - trim)
    w = np.where(d, 1.0, ek / (1.0 - ek))
    est, se = _weighted_diff(y[keep], d[keep], mu0[keep], w[keep], groups[keep])
    wc = w[keep & ~d]
    ess = float(wc.sum() ** 2 / (wc ** 2).sum())
    max_share = float(wc.max() / wc.sum())
    bal = _balance(x, d, w, keep)
    overlap = {
        "propensity_placed": [round(float(e[d].min()), 4), round(float(e[d].max()), 4)],
        "propensity_compared": [round(float(e[~d].min()), 4), round(float(e[~d].max()), 4)],
        "share_trimmed_placed": round(n_trimmed_t / n1, 4),
        "n_trimmed_placed": n_trimmed_t,
        "n_trimmed_compared": n_trimmed_c,
        "effective_sample_size_compared": round(ess, 1),
        "largest_weight_share": round(max_share, 4),
        "trim": trim,
    }
    problems = []
    if n_trimmed_t / n1 > 0.10:
        problems.append(f"{n_trimmed_t / n1:.0%} of the placements have no comparable "
                        "client who was not placed and were left out")
    if ess < 30 or ess < 0.10 * n0:
        problems.append(f"the comparison clients' weights rest on an effective {ess:.0f} "
                        f"of {n0} clients")
    if max_share > 0.10:
        problems.append(f"one comparison client carries {max_share:.0%} of the weight")
    warning = None
    if problems:
        warning = ("poor overlap between placed and comparison clients: "
                   + "; ".join(problems) + ". The adjusted figure is fragile.")
    if n0 < MIN_COMPARED:
        note = f"only {n0} comparison clients (follow-ups of clients never placed)"
        warning = f"{warning} Also {note}." if warning else f"{note[0].upper()}{note[1:]}."
    return {
        "naive": naive, "naive_ci_low": naive - Z95 * naive_se,
        "naive_ci_high": naive + Z95 * naive_se,
        "adjusted": est, "se": se, "ci_low": est - Z95 * se, "ci_high": est + Z95 * se,
        "n_placed": n1, "n_compared": n0, "overlap": overlap, "balance": bal,
        "warning": warning,
    }


class _Fitted:
    def __init__(self, model: Any, binary: bool, constant: float | None = None) -> None:
        self.model, self.binary, self.constant = model, binary, constant

    def predict_x(self, x: pd.DataFrame) -> np.ndarray:
        if self.constant is not None:
            return np.full(len(x), self.constant)
        if self.binary:
            return self.model.predict_proba(x)[:, 1]
        return self.model.predict(x)


def _outcome_model(x: pd.DataFrame, y: np.ndarray, binary: bool) -> _Fitted:
    if binary:
        if len(np.unique(y)) < 2:
            return _Fitted(None, True, float(y.mean()))
        model = Pipeline([("x", _design()), ("lr", LogisticRegression(C=OUTCOME_C, max_iter=2000))])
    else:
        model = Pipeline([("x", _design()), ("ridge", Ridge(alpha=1.0))])
    return _Fitted(model.fit(x, y), binary)


def _weighted_diff(y: np.ndarray, d: np.ndarray, mu0: np.ndarray, w: np.ndarray,
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


def _balance(x: pd.DataFrame, d: np.ndarray, w: np.ndarray,
             keep: np.ndarray) -> list[dict[str, Any]]:
    """Standardised mean differences (placed − compared) / pooled SD, before and after."""
    m = _balance_matrix(x).to_numpy(float)
    t, c = m[d], m[~d]
    sd = np.sqrt((t.var(axis=0) + c.var(axis=0)) / 2)
    sd = np.where(sd > 0, sd, 1.0)
    before = (t.mean(axis=0) - c.mean(axis=0)) / sd
    tk, ck, wk = m[d & keep], m[~d & keep], w[~d & keep]
    after = (tk.mean(axis=0) - np.average(ck, axis=0, weights=wk)) / sd
    return [{"covariate": name, "mean_placed": round(float(t[:, j].mean()), 4),
             "mean_compared": round(float(c[:, j].mean()), 4),
             "smd_before": round(float(before[j]), 4), "smd_after": round(float(after[j]), 4)}
            for j, name in enumerate(BALANCE_COLUMNS)]


def _entry(data: EffectData, scope: str, rows: np.ndarray, outcome: str, minimum: int,
           trim: float) -> dict[str, Any]:
    column = "success" if outcome == "success" else "income"
    t = data.treated.loc[rows]
    t = t.loc[t[column].notna()]
    c = data.control.loc[data.control[column].notna()]
    base = {"scope": scope, "outcome": outcome, "naive": None, "adjusted": None,
            "ci_low": None, "ci_high": None, "n_placed": int(len(t)),
            "n_compared": int(len(c)), "warning": None}
    if len(t) == 0 or len(c) == 0:
        return {**base, "warning": "no placed or no comparison clients with this outcome"}
    naive = float(t[column].mean() - c[column].mean())
    if len(t) < minimum:
        return {**base, "naive": _r(naive, outcome),
                "warning": f"too few placements with an outcome ({len(t)} < {minimum}) "
                           "for an adjusted estimate"}
    x = pd.concat([t, c], ignore_index=True)
    d = np.r_[np.ones(len(t), bool), np.zeros(len(c), bool)]
    y = x[column].to_numpy(float)
    groups = x["client_id"].to_numpy(object)
    try:
        fit = aipw_att(x, d, y, groups, binary=outcome == "success", trim=trim)
    except EffectsUnavailable as exc:
        return {**base, "naive": _r(naive, outcome), "warning": str(exc)}
    out = {**base, **fit}
    for key in ("naive", "naive_ci_low", "naive_ci_high", "adjusted", "se", "ci_low",
                "ci_high"):
        out[key] = _r(out[key], outcome)
    out["method"] = ("AIPW (doubly robust) ATT, 5-fold client-grouped cross-fitting, logistic "
                     "propensity, " + ("logistic" if outcome == "success" else "ridge")
                     + " outcome model, cluster-robust influence-function 95% CI")
    return out


def _r(value: float, outcome: str) -> float:
    return round(float(value), 4 if outcome == "success" else 1)
