"""Everything the review reads, loaded once: placements with their predictions, and the log.

:func:`load_review_data` returns a :class:`ReviewData` with

* ``placed``: one row per placement with a known outcome (the outcome model's training
  rows, :func:`matcher.outcomes.load_training_set`), with the client's group, gender, age
  band and home district, the option's kind, trade, wage and provider, and three
  predictions:

  - ``p_oof``: out of fold. The outcomes package's own cross-fitting
    (:func:`matcher.outcomes.fit.fit_outcome_model`, five client-grouped folds, each fold's
    Platt sigmoid fitted on the others) is rerun on the stored history, so no placement is
    scored by a model that saw its outcome; once per distinct training set (by its data
    hash) in a process. These are what calibration is judged on.
  - ``p_model``: the current model as it serves (in sample where it was trained on the row).
  - ``p_expected``: the case-mix expectation for the league table: the current model with
    the provider's own record neutralised (its shrunk success rate set to the province's
    rate, its size to the average) and the area rate taken out of fold, recentred on the
    logit scale so that the province as a whole has observed = expected.

* ``entries``: one row per entry of every logged suggestion list (rank, p_success, the
  decision on it, the placement it led to), and ``lists``: one row per list.

Nothing here writes to the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from sqlalchemy import Engine, case, func, select
from sqlalchemy.orm import Session

from matcher.logistic import sigmoid
from matcher.notes import note
from matcher.outcomes import (
    OutcomeModel,
    PriorModel,
    build_training_set,
    current_model,
)
from matcher.outcomes.fit import (
    MIN_ROWS,
    N_FOLDS,
    TooLittleHistory,
    client_folds,
    fit_outcome_model,
)
from matcher.outcomes.provider_stats import AREA_SHRINK_M, FeatureContext
from matcher.review.recent import Recent
from matcher.store.catalog import load_catalog
from matcher.store.frames import load_clients, load_placements
from matcher.store.tables import Decision, FollowUp, Generation, Placement, Suggestion, User
from matcher.vocab.places import load_place_index
from matcher.vocab.wishes import WishIndex, shared_wish_index

AGE_BANDS = [(0, 16, "13-15"), (16, 18, "16-17"), (18, 25, "18-24"), (25, 35, "25-34"),
             (35, 50, "35-49"), (50, 200, "50+")]
#: A wish counts as "stated" when its best trade similarity reaches this (the taxonomy's
#: fuzzy match of the client's interests).
WISH_MIN = 0.6
#: Option-side columns swapped out when a livelihood model is judged against "the average
#: livelihood model" (see :func:`marginal_expected`).
OPTION_SIDE = ["kind", "primary_trade", "sector", "cost_vnd", "wage_vnd_day", "duration_weeks",
               "women_only", "sign_language", "accepts_records", "hazardous",
               "provider_rate_shrunk", "provider_n_log"]


@dataclass
class ReviewData:
    placed: pd.DataFrame
    entries: pd.DataFrame
    lists: pd.DataFrame
    model_version: str
    model_is_prior: bool
    model_card: dict[str, Any]
    prediction_note: dict[str, Any]  # a coded note (matcher.notes)
    features: pd.DataFrame | None = field(default=None, repr=False)
    model: Any = field(default=None, repr=False)
    folds: np.ndarray | None = field(default=None, repr=False)
    clients: pd.DataFrame | None = field(default=None, repr=False)
    options: pd.DataFrame | None = field(default=None, repr=False)


def age_band(age: Any) -> np.ndarray:
    """The band label of each age in years ("unknown" when missing)."""
    a = np.asarray(pd.to_numeric(pd.Series(np.asarray(age, dtype=object)), errors="coerce"),
                   dtype=float)
    out = np.full(len(a), "unknown", dtype=object)
    for low, high, label in AGE_BANDS:
        out[(a >= low) & (a < high)] = label
    return out


def districts(place_ids: Any) -> np.ndarray:
    """The former district (huyện/thành phố before 2025) of each place id."""
    index = load_place_index()
    out = []
    for pid in np.asarray(place_ids, dtype=object):
        try:
            out.append(index.get(pid).former_district or "unknown")
        except KeyError:
            out.append("unknown")
    return np.asarray(out, dtype=object)


def wished_trades(clients: pd.DataFrame, wish: WishIndex | None = None) -> np.ndarray:
    """Each client's resolved wish: the trade their interests name best, or "none stated"."""
    wish = wish or shared_wish_index()
    v = wish.vectors(list(clients["interests"]))
    best = v.argmax(axis=1) if v.size else np.zeros(len(clients), dtype=int)
    top = v.max(axis=1) if v.size else np.zeros(len(clients))
    names = np.asarray(wish.trade_ids, dtype=object)
    return np.where(top >= WISH_MIN, names[best] if len(names) else "", "none stated")


def fingerprint(session: Session) -> tuple:
    """A cheap summary that changes whenever anything the review reads changes."""
    p = session.execute(select(func.count(), func.count(Placement.success),
                               func.sum(case((Placement.success.is_(True), 1), else_=0)),
                               func.sum(case((Placement.status == "dropped", 1), else_=0)),
                               # a referral declined or never started (revision 0010)
                               func.sum(case((Placement.status == "not_started", 1),
                                             else_=0)),
                               func.max(Placement.created_at), func.max(Placement.followed_up_on))
                        ).one()
    s = session.execute(select(func.count(), func.max(Suggestion.suggestion_id))).one()
    d = session.execute(select(func.count(), func.max(Decision.decision_id))).one()
    f = session.execute(select(func.count(), func.max(FollowUp.followup_id))).one()
    # Leases are who is computing what, not data: they would make every review look stale.
    g = tuple(session.execute(select(Generation.name, Generation.value)
                              .where(Generation.name.not_like("%_lease"))
                              .order_by(Generation.name)).all())
    return tuple(str(x) for x in (*p, *s, *d, *f)) + tuple(map(str, g))


def load_review_data(engine: Engine | Session, model_dir: Path, *,
                     out_of_fold: bool = True) -> ReviewData:
    """Read the store and score its history (see the module docstring)."""
    with session_of(engine) as session:
        catalog = load_catalog(session)
        clients = load_clients(session)
        placements = load_placements(session)
        lists, entries = _load_log(session)
        links = pd.DataFrame(session.execute(
            select(Placement.placement_id, Placement.suggestion_id, Placement.created_at,
                   Placement.start_date, Placement.status, Placement.success)).all(),
            columns=["placement_id", "suggestion_id", "created_at", "placement_start",
                     "placement_status", "placement_success"])
    options = catalog.options
    model = current_model(Path(model_dir))
    wish = shared_wish_index()
    data = build_training_set(placements, clients, options, wish=wish)
    client_pos = pd.Index(clients["client_id"]).get_indexer(data.client_ids)
    option_rows = catalog.rows(_option_ids(placements, data.placement_ids))
    crow = clients.iloc[client_pos].reset_index(drop=True)
    orow = options.iloc[option_rows].reset_index(drop=True)
    wished = wished_trades(clients, wish)
    placed = pd.DataFrame({
        "placement_id": data.placement_ids,
        "client_id": data.client_ids,
        "option_id": orow["option_id"].to_numpy(object),
        "provider_id": data.provider_ids,
        "provider_name": orow["provider_name"].to_numpy(object),
        "provider_kind": orow["provider_kind"].to_numpy(object),
        "kind": orow["kind"].to_numpy(object),
        "primary_trade": orow["primary_trade"].to_numpy(object),
        "wage_vnd_day": pd.to_numeric(orow["wage_vnd_day"], errors="coerce").to_numpy(float),
        "start_date": data.start_dates,
        "y": data.y.astype(int),
        "group": crow["group_code"].to_numpy(object),
        "gender": crow["gender"].to_numpy(object),
        "age_band": age_band(data.features["age"]),
        "place": districts(crow["place_id"]),
        "wished_trade": wished[client_pos] if len(client_pos) else np.zeros(0, dtype=object),
    })
    income = placements.set_index("placement_id")["income_vnd_day"]
    placed["income_vnd_day"] = pd.to_numeric(income.reindex(placed["placement_id"]),
                                              errors="coerce").to_numpy(float)
    placed["suggestion_id"] = links.set_index("placement_id")["suggestion_id"] \
        .reindex(placed["placement_id"]).to_numpy(object)

    folds = client_folds(data.client_ids, N_FOLDS) if len(data) >= 2 else None
    features = None
    if len(data) == 0:
        placed["p_oof"] = placed["p_model"] = placed["p_expected"] = np.zeros(0)
        how = note("predictions.no_outcomes", "no placement has a known outcome yet")
    elif isinstance(model, PriorModel):
        features = data.features
        p = model.predict(features)
        placed["p_model"] = placed["p_oof"] = p
        placed["p_expected"] = recentre(p, data.y)
        how = note("predictions.prior", "no trained model: the transparent prior is judged; it "
                   "never saw an outcome, so its predictions are out of sample")
    else:
        features = data.features_with(model.context)
        placed["p_model"] = model.predict(features)
        placed["p_oof"], how = _out_of_fold(data, model, out_of_fold, placed["p_model"])
        expected_features = neutral_provider(features, data, folds, model.context)
        placed["p_expected"] = recentre(model.predict(expected_features), data.y)
        features = expected_features
    entries = _annotate_entries(entries, lists, clients, options, wished, links)
    card = model.card.to_dict() if isinstance(model, OutcomeModel) else dict(model.card)
    return ReviewData(placed=placed, entries=entries, lists=lists, model_version=model.version,
                      model_is_prior=bool(model.is_prior), model_card=card,
                      prediction_note=how, features=features, model=model, folds=folds,
                      clients=clients, options=options)


def neutral_provider(features: pd.DataFrame, data, folds: np.ndarray | None,
                     context: FeatureContext) -> pd.DataFrame:
    """Features with the provider's own record set to the province's, area rates out of fold."""
    out = features.copy()
    out["provider_rate_shrunk"] = context.prior if np.isfinite(context.prior) else data.y.mean()
    out["provider_n_log"] = float(np.nanmean(features["provider_n_log"].to_numpy(float)))
    if folds is not None:
        out["area_rate_shrunk"], _ = FeatureContext.out_of_fold(
            data.area_keys, data.y, folds, m=AREA_SHRINK_M)
    return out


def recentre(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``p`` shifted on the logit scale so that its sum equals the observed successes."""
    p = np.clip(np.asarray(p, float), 1e-6, 1 - 1e-6)
    target = float(np.sum(y))
    if len(p) == 0 or target <= 0 or target >= len(p):
        return p
    logit = np.log(p / (1 - p))
    shift = brentq(lambda d: sigmoid(logit + d).sum() - target, -20, 20)
    return sigmoid(logit + shift)


def marginal_expected(model: Any, features: pd.DataFrame, rows: np.ndarray, y: np.ndarray,
                      *, samples: int = 40, seed: int = 0) -> np.ndarray:
    """Expected success of ``rows`` in "the average option" of the same rows.

    Each row's option-side columns (:data:`OPTION_SIDE`) are replaced by those of
    ``samples`` rows drawn from ``rows``, the predictions averaged, then recentred so that
    the rows' observed and expected successes agree. Used for livelihood models, whose
    trade is what is being judged, so it must not be part of the expectation.
    """
    rows = np.asarray(rows)
    if len(rows) == 0:
        return np.zeros(0)
    rng = np.random.default_rng(seed)
    base = features.iloc[rows].reset_index(drop=True)
    donors = rng.choice(rows, size=min(samples, len(rows)), replace=False)
    side = [c for c in OPTION_SIDE if c in features.columns]
    total = np.zeros(len(rows))
    for d in donors:
        swapped = base.copy()
        for c in side:
            swapped[c] = features[c].iloc[d]
        total += model.predict(swapped)
    return recentre(total / len(donors), y)


def _out_of_fold(data, model: OutcomeModel, wanted: bool,
                 p_model: pd.Series) -> tuple[np.ndarray, dict[str, Any]]:
    if not wanted:
        return p_model.to_numpy(float), note(
            "predictions.in_sample", "in-sample predictions of the current model: they "
            "flatter its calibration")
    digest = data.data_hash()
    try:
        oof_p = _cross_fitted(data, digest)
    except TooLittleHistory as exc:
        return p_model.to_numpy(float), _in_sample_because(exc, len(data))
    if model.card.data_hash == digest:
        return oof_p, note(
            "predictions.out_of_fold", "out-of-fold predictions: the outcome model's own "
            "{folds}-fold client-grouped cross-fitting rerun on the stored history, the same "
            "rows the current model was trained on", folds=N_FOLDS)
    return oof_p, note(
        "predictions.out_of_fold_stale", "out-of-fold predictions: the outcome model's own "
        "{folds}-fold client-grouped cross-fitting rerun on the stored history; the history "
        "changed since the current model was trained (retrain it)", folds=N_FOLDS)


#: Out-of-fold predictions of the last training sets cross-fitted here, by their data hash
#: (most changes leave the rows with an outcome as they were: refitting them was most of a
#: quick review).
_OOF = Recent(kept=2)


def _cross_fitted(data, digest: str) -> np.ndarray:
    """The outcome model's own cross-fitting of ``data`` (whose data hash is ``digest``):
    its out-of-fold predictions, computed once per distinct training set."""
    return _OOF.get(digest, lambda: fit_outcome_model(data, n_jobs=1).oof_p)


def _in_sample_because(exc: TooLittleHistory, n: int) -> dict[str, Any]:
    if exc.reason == "one_outcome":
        return note("predictions.in_sample_one_outcome", "in-sample predictions (every "
                    "placement with an outcome had the same outcome): they flatter the "
                    "calibration")
    if exc.reason == "one_client":
        return note("predictions.in_sample_one_client", "in-sample predictions (the placements "
                    "with an outcome are all of one client): they flatter the calibration")
    return note("predictions.in_sample_few", "in-sample predictions ({n} placements with a "
                "known outcome; at least {min} are needed): they flatter the calibration",
                n=n, min=MIN_ROWS)


def _option_ids(placements: pd.DataFrame, placement_ids: np.ndarray) -> list[str]:
    by_id = placements.set_index("placement_id")["option_id"]
    return list(by_id.reindex(placement_ids))


def _load_log(session: Session) -> tuple[pd.DataFrame, pd.DataFrame]:
    users = dict(session.execute(select(User.user_id, User.username)).all())
    rows = session.execute(select(Suggestion.suggestion_id, Suggestion.client_id,
                                  Suggestion.user_id, Suggestion.model_version,
                                  Suggestion.created_at, Suggestion.entries)
                           .order_by(Suggestion.suggestion_id)).all()
    lists = pd.DataFrame(
        [(r.suggestion_id, r.client_id, r.user_id, users.get(r.user_id, "unknown"),
          r.model_version, r.created_at, len(r.entries or []),
          bool(any(isinstance(e, dict) and e.get("simulated") for e in (r.entries or []))))
         for r in rows],
        columns=["suggestion_id", "client_id", "user_id", "social_worker", "model_version",
                 "created_at", "n_entries", "simulated"])
    entries = pd.DataFrame(
        [(r.suggestion_id, k + 1, e.get("option_id"), e.get("kind"), e.get("p_success"),
          e.get("score"))
         for r in rows for k, e in enumerate(r.entries or []) if isinstance(e, dict)],
        columns=["suggestion_id", "rank", "option_id", "kind", "p_success", "score"])
    entries = entries.merge(standing_decisions(session), on=["suggestion_id", "option_id"],
                            how="left")
    return lists, entries


def standing_decisions(session: Session) -> pd.DataFrame:
    """The decision that stands on each entry of a logged list: the last one made on it (a
    decline may be followed by an accept of the same option). Columns suggestion_id,
    option_id, decision, reason_code, decided_at. The review's figures and the staff
    dashboard's decline reasons both read these."""
    decisions = pd.DataFrame(session.execute(
        select(Decision.suggestion_id, Decision.option_id, Decision.decision,
               Decision.reason_code, Decision.created_at)
        .order_by(Decision.decision_id)).all(),
        columns=["suggestion_id", "option_id", "decision", "reason_code", "decided_at"])
    return decisions.drop_duplicates(["suggestion_id", "option_id"], keep="last") \
        .reset_index(drop=True)


def _annotate_entries(entries: pd.DataFrame, lists: pd.DataFrame, clients: pd.DataFrame,
                      options: pd.DataFrame, wished: np.ndarray,
                      links: pd.DataFrame) -> pd.DataFrame:
    if entries.empty:
        for c in ("client_id", "social_worker", "model_version", "created_at", "group",
                  "gender", "age_band", "place", "wished_trade", "primary_trade",
                  "wage_vnd_day", "placement_id", "placement_created_at", "placement_start",
                  "placement_status", "placement_success", "simulated", "option_place"):
            entries[c] = pd.Series([], dtype=object)
        return entries
    out = entries.merge(lists[["suggestion_id", "client_id", "social_worker", "model_version",
                               "created_at", "simulated"]], on="suggestion_id", how="left")
    ci = pd.Index(clients["client_id"]).get_indexer(out["client_id"])
    known = ci >= 0
    c = clients.iloc[np.where(known, ci, 0)].reset_index(drop=True)
    created = pd.to_datetime(out["created_at"], utc=True)
    born = pd.to_datetime(c["birth_date"])
    age = (created.dt.tz_localize(None) - born).dt.days.to_numpy(float) / 365.2425
    out["group"] = np.where(known, c["group_code"].to_numpy(object), "unknown")
    out["gender"] = np.where(known, c["gender"].to_numpy(object), "unknown")
    out["age_band"] = np.where(known, age_band(age), "unknown")
    out["place"] = np.where(known, districts(c["place_id"]), "unknown")
    out["wished_trade"] = np.where(known, wished[np.where(known, ci, 0)], "unknown")
    oi = pd.Index(options["option_id"]).get_indexer(out["option_id"])
    o = options.iloc[np.where(oi >= 0, oi, 0)].reset_index(drop=True)
    out["primary_trade"] = np.where(oi >= 0, o["primary_trade"].to_numpy(object), "")
    out["option_place"] = np.where(oi >= 0, o["place_id"].to_numpy(object), "")
    out["wage_vnd_day"] = np.where(oi >= 0, pd.to_numeric(o["wage_vnd_day"], errors="coerce"),
                                   np.nan).astype(float)
    # The placement an accepted entry led to.
    with_list = links.dropna(subset=["suggestion_id"]).copy()
    with_list["suggestion_id"] = with_list["suggestion_id"].astype(int)
    out = out.merge(with_list.rename(columns={"created_at": "placement_created_at"}),
                    on="suggestion_id", how="left")
    accepted = out["decision"].eq("accepted")
    # Only the accepted entry of a list led to its placement.
    out = out.astype({"placement_id": object, "placement_created_at": object,
                      "placement_start": object, "placement_status": object,
                      "placement_success": object})
    out.loc[~accepted, ["placement_id", "placement_created_at", "placement_start",
                        "placement_status", "placement_success"]] = None
    return out


def session_of(source):
    """A context giving a session on ``source``: the session itself (left open), or a new
    session on an engine (closed at the end)."""
    from contextlib import nullcontext
    return nullcontext(source) if isinstance(source, Session) else Session(source)

