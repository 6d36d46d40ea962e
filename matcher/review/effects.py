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
three times, as in the truth. When some placed clients have no comparable unplaced
clients, they are left out and the entry says so (``about``: whom the figure is about, and
how those left out differ).

**Covariates**, all from the client's profile and none from after the placement: age at the
start of the six months (the placement's start date; for a comparison client, the
follow-up date minus 182 days), gender, group, education, disability, household poor,
ethnic minority, married, prior income (any, and its log; missing flagged), travel limit,
years since 2020 at registration, and the home's coordinates. A covariate the same for
everyone is dropped from the models and the balance table.

**Method**: cross-fitted doubly robust (AIPW) with nuisance models chosen by out-of-fold
loss (:mod:`matcher.review.aipw`); the checks, the verdict and the sensitivity figure in
:mod:`matcher.review.effect_checks`. No adjustment removes confounding by what is not
recorded (the synthetic world's ``hidden_confounding``): the E-value says how strong such
a difference would have to be.

**Validated** on records we did not make: the NSW job-training experiment against survey
comparison groups (:mod:`matcher.review.benchmarks`), and synthetic worlds with a known
effect (``bench/bench_effects.py``); the README's table shows both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from matcher.notes import note
from matcher.review.aipw import (
    TRIM,
    EffectsUnavailable,
    cross_fit,
    weighted_difference,
)
from matcher.review.effect_checks import balance_table, describe_left_out, e_values, verdict
from matcher.review.recent import Recent, frames_digest
from matcher.review.stats import Z95
from matcher.vocab import kinds as kind_table

__all__ = [
    "EffectsUnavailable",
    "OUTCOMES",
    "aipw_att",
    "effect_frames",
    "estimate_effects",
    "placement_effects",
]

OUTCOMES = ("success", "income_vnd_day")
MIN_PLACED_KIND = 30
MIN_PLACED_PROVIDER = 30
WINDOW_DAYS = 182
GROUPS = ("youth_at_risk", "trafficking_returnee", "after_rehab", "after_prison",
          "after_reform_school", "sex_worker_exiting", "gbv_survivor", "disabled", "other")
EDUCATION = {"none": 0.0, "primary": 1.0, "lower_secondary": 2.0, "upper_secondary": 3.0,
             "vocational": 4.0, "college": 4.5}
DISABILITIES = ("none", "deaf", "blind", "physical", "intellectual", "psychosocial")
KINDS = kind_table.PLACEMENT_CODES

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


# --- entry points -----------------------------------------------------------------------------


def placement_effects(engine: Engine | Session, *, min_placed_kind: int = MIN_PLACED_KIND,
                      min_placed_provider: int = MIN_PLACED_PROVIDER, trim: float = TRIM,
                      list_small_providers: bool = False) -> list[dict[str, Any]]:
    """The effect of placement from the store behind ``engine``, as ``review --json``'s
    ``effects``: overall, by kind and by provider, for ``success`` and ``income_vnd_day``.

    Each entry has the contract's keys (``scope``, ``outcome``, ``naive``, ``adjusted``,
    ``ci_low``, ``ci_high``, ``n_placed``, ``n_compared``) and more: ``naive_ci_low/high``,
    ``se``, ``verdict`` (``estimate``, ``fragile``, ``cannot_say`` — then ``adjusted`` and
    its interval are None — or ``too_few``), ``notes`` (coded reasons), ``about`` (whom the
    figure is about), ``overlap``, ``balance``, ``constant_covariates``, ``sensitivity``
    (E-values), ``models`` and ``method``. A kind or provider with fewer than
    ``min_placed_*`` placements with an outcome gets no adjusted figure (verdict
    ``too_few``, a note saying so); such providers are listed
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
    from matcher.review.data import session_of
    from matcher.store.catalog import load_catalog
    from matcher.store.frames import load_clients, load_followups, load_placements

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
    """:func:`placement_effects` on frames as :mod:`matcher.store.catalog` loads them."""
    if not 0.0 < trim < 0.5:
        raise ValueError(f"trim is a share of the propensity scale in (0, 0.5), not {trim}")
    for o in outcomes:
        if o not in OUTCOMES:
            raise ValueError(f"unknown outcome {o!r}; the outcomes are {', '.join(OUTCOMES)}")
    data = effect_frames(clients, placements, options, followups)
    # Most changes (a new client, a list, a seat) leave the placed and comparison units as
    # they were: their estimates are the ones kept (matcher/review/recent.py).
    key = (frames_digest(data.treated, data.control), min_placed_kind, min_placed_provider,
           trim, list_small_providers, tuple(outcomes))
    return _ESTIMATES.get(key, lambda: _estimates(data, min_placed_kind, min_placed_provider,
                                                  trim, list_small_providers, outcomes))


#: The estimates of the last distinct sets of units (a review with and one without the
#: providers listed, say).
_ESTIMATES = Recent(kept=2)


def _estimates(data: EffectData, min_placed_kind: int, min_placed_provider: int, trim: float,
               list_small_providers: bool, outcomes: tuple[str, ...]) -> list[dict[str, Any]]:
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
    # One BLAS/OpenMP thread, as the outcome model's fits (matcher/outcomes/fit.py): the
    # models are small, and a second thread mostly spun waiting, which doubled the CPU the
    # estimate took on two cores (and slowed whatever else ran: the API's other requests).
    with threadpool_limits(limits=1):
        for scope, rows, minimum in scopes:
            cache: dict = {}  # the propensity, shared by the scope's outcomes
            for outcome in outcomes:
                entries.append(_entry(data, scope, rows, outcome, minimum, trim, cache))
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
        raise EffectsUnavailable("no_outcomes", "no placement has a known outcome yet: the "
                                 "effect of placement cannot be estimated")
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
        raise EffectsUnavailable("no_comparison", "no follow-up of a client who was never "
                                 "placed: there is nobody to compare the placed with")
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
        from matcher.vocab.places import load_place_index

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


def _balance_matrix(x: pd.DataFrame) -> pd.DataFrame:
    out = x[[c for c in _NUMERIC if c != "education_missing"]].copy()
    for g in GROUPS:
        out[f"group={g}"] = (x["group"] == g).astype(float)
    for d in DISABILITIES:
        out[f"disability={d}"] = (x["disability"] == d).astype(float)
    return out


# --- the estimator ----------------------------------------------------------------------------


def aipw_att(x: pd.DataFrame, d: np.ndarray, y: np.ndarray, groups: np.ndarray, *,
             binary: bool, trim: float = TRIM, cache: dict | None = None) -> dict[str, Any]:
    """Cross-fitted doubly robust ATT of ``d`` on ``y`` given covariates ``x`` (see module).

    ``groups`` are the clusters (client ids): folds and standard errors keep them whole.
    Returns the naive figure, and the adjusted one with its 95% interval, verdict, notes and
    diagnostics; ``adjusted`` is None when the verdict is ``cannot_say``.
    """
    d = np.asarray(d, dtype=bool)
    y = np.asarray(y, dtype=float)
    groups = np.asarray(groups, dtype=object)
    n1, n0 = int(d.sum()), int((~d).sum())
    if n1 == 0 or n0 == 0:
        raise EffectsUnavailable("one_side", "both placed and comparison clients are needed")
    naive, naive_se = weighted_difference(y, d, np.zeros(len(y)), np.ones(len(y)), groups)
    fit = cross_fit(x, d, y, groups, binary=binary, numeric=_NUMERIC, categories=_CATEGORIES,
                    cache=cache)
    keep = fit.e <= 1.0 - trim
    if not (keep & d).any() or not (keep & ~d).any():
        raise EffectsUnavailable("no_overlap", "no placed client has a comparable client who "
                                 "was not placed")
    ec = np.clip(fit.e, 1e-6, 1 - 1e-6)
    w = np.where(d, 1.0, ec / (1.0 - ec))
    est, se = weighted_difference(y[keep], d[keep], fit.mu0[keep], w[keep], groups[keep])
    wc = w[keep & ~d]
    ess = float(wc.sum() ** 2 / (wc ** 2).sum())
    largest = float(wc.max() / wc.sum())
    matrix = _balance_matrix(x)
    bal, constant = balance_table(matrix, d, w, keep)
    n_kept = int((keep & d).sum())
    kind, notes = verdict(n_placed=n1, n_kept=n_kept, n_compared=n0, ess=ess,
                          largest_share=largest, balance=bal,
                          outcome_constant=bool(np.ptp(y) == 0))
    ci = (est - Z95 * se, est + Z95 * se)
    kept_y = y[keep & d]
    sensitivity = None if kind == "cannot_say" else e_values(
        est, ci, binary=binary, mean_placed=float(kept_y.mean()),
        sd_outcome=float(y[keep].std()))
    overlap = {
        "propensity_placed": [round(float(fit.e[d].min()), 4), round(float(fit.e[d].max()), 4)],
        "propensity_compared": [round(float(fit.e[~d].min()), 4),
                                round(float(fit.e[~d].max()), 4)],
        "share_trimmed_placed": round(1 - n_kept / n1, 4),
        "n_trimmed_placed": n1 - n_kept,
        "n_trimmed_compared": int((~keep & ~d).sum()),
        "effective_sample_size_compared": round(ess, 1),
        "largest_weight_share": round(largest, 4),
        "trim": trim,
    }
    shown = kind != "cannot_say"
    return {
        "naive": naive, "naive_ci_low": naive - Z95 * naive_se,
        "naive_ci_high": naive + Z95 * naive_se,
        "adjusted": est if shown else None, "se": se if shown else None,
        "ci_low": ci[0] if shown else None, "ci_high": ci[1] if shown else None,
        "n_placed": n1, "n_compared": n0, "verdict": kind, "notes": notes,
        "about": {"n_placed_inside": n_kept, "n_placed": n1,
                  "left_out": describe_left_out(matrix, d, keep)},
        "overlap": overlap, "balance": bal, "constant_covariates": constant,
        "sensitivity": sensitivity,
        "models": {"propensity": fit.propensity_model, "outcome": fit.outcome_model,
                   **fit.losses},
    }


def _entry(data: EffectData, scope: str, rows: np.ndarray, outcome: str, minimum: int,
           trim: float, cache: dict | None = None) -> dict[str, Any]:
    column = "success" if outcome == "success" else "income"
    t = data.treated.loc[rows]
    t = t.loc[t[column].notna()]
    c = data.control.loc[data.control[column].notna()]
    base = {"scope": scope, "outcome": outcome, "naive": None, "adjusted": None,
            "ci_low": None, "ci_high": None, "n_placed": int(len(t)),
            "n_compared": int(len(c)), "verdict": "cannot_say", "notes": []}
    if len(t) == 0 or len(c) == 0:
        return {**base, "notes": [note("effects.no_outcome_side", "no placed or no comparison "
                                       "clients with this outcome")]}
    naive = float(t[column].mean() - c[column].mean())
    if len(t) < minimum:
        return {**base, "naive": _r(naive, outcome), "verdict": "too_few",
                "notes": [note("effects.too_few_placed", "too few placements with an outcome "
                               "({n_placed} < {minimum}) for an adjusted estimate",
                               n_placed=int(len(t)), minimum=minimum)]}
    x = pd.concat([t, c], ignore_index=True)
    d = np.r_[np.ones(len(t), bool), np.zeros(len(c), bool)]
    y = x[column].to_numpy(float)
    groups = x["client_id"].to_numpy(object)
    try:
        fit = aipw_att(x, d, y, groups, binary=outcome == "success", trim=trim, cache=cache)
    except EffectsUnavailable as exc:
        return {**base, "naive": _r(naive, outcome), "notes": [exc.note]}
    out = {**base, **fit}
    for key in ("naive", "naive_ci_low", "naive_ci_high", "adjusted", "se", "ci_low",
                "ci_high"):
        out[key] = None if out[key] is None else _r(out[key], outcome)
    out["method"] = note(
        "effects.method", "doubly robust (AIPW) effect on the placed, 5-fold client-grouped "
        "cross-fitting; propensity model: {propensity}; outcome model: {outcome}; placements "
        "with no comparable client left out (trim {trim}); cluster-robust 95% interval",
        propensity=fit["models"]["propensity"], outcome=fit["models"]["outcome"], trim=trim)
    return out


def _r(value: float, outcome: str) -> float:
    return round(float(value), 4 if outcome == "success" else 1)
