"""Backtest of the engine's decisions in a synthetic world whose truth is known.

The engine never reads the truth. Here, and only here, it is used to grade: clients are
held out of training; the model is fitted on the others' placements; then, for the held-out
clients, each policy picks options and the world's true P(success) scores the picks.

Policies, for one client's top-1 suggestion: the engine's first suggestion; a random eligible
option; the nearest eligible option (the status quo); the best wish match (wishes only); and
the oracle (the best possible under the truth). For the cohort: the engine's exact plan, the
greedy plan, the status-quo plan and a random plan, all under the same seats, against the
oracle plan (the exact plan under the truth). The figure that matters is the share of the
oracle's gain over random that each policy captures: (policy − random) / (oracle − random).
A backtest scored by the model itself would grade its own homework (docs/design.md,
"Judging the engine").
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from matcher.allocation import Pairs, greedy, random_eligible, solve, status_quo
from matcher.matching.engine import CohortCandidates, Matcher
from matcher.matching.ranking import score
from matcher.outcomes import build_training_set, fit_model
from matcher.planning.cohort import pairs_from
from matcher.store.catalog import Catalog
from matcher.store.profiles import ClientProfile
from matcher.synth import World, true_success_probability
from matcher.vocab.wishes import shared_wish_index

HOLDOUT_SHARE = 0.25


def split_clients(client_ids: np.ndarray, share: float, seed: int) -> np.ndarray:
    """A boolean mask of held-out clients: a seeded random ``share`` of them."""
    rng = np.random.default_rng(seed)
    return rng.random(len(client_ids)) < share


def backtest(world: World, catalog: Catalog, clients: pd.DataFrame, placements: pd.DataFrame,
             *, seed: int = 0, holdout_share: float = HOLDOUT_SHARE) -> dict[str, Any]:
    """Train on the placements of most clients, grade decisions for the rest by the truth.

    ``catalog``, ``clients`` and ``placements`` come from the store holding ``world``;
    ``world`` (its contract frames and truth) is read only to grade.
    """
    as_of = date.fromisoformat(world.truth["as_of"])
    held = split_clients(clients["client_id"].to_numpy(object), holdout_share, seed)
    held_ids = set(clients.loc[held, "client_id"])
    train_placements = placements[~placements["client_id"].isin(held_ids)]
    wish = shared_wish_index()
    data = build_training_set(train_placements, clients, catalog.options, wish=wish)
    model = fit_model(data)
    matcher = Matcher.from_frames(catalog, train_placements, clients, model=model, wish=wish)
    profiles = [ClientProfile.from_record(r) for r in clients[held].to_dict("records")]
    candidates = matcher.cohort_candidates(profiles, on=as_of)
    pairs = pairs_from(candidates, len(catalog))
    truth_p = true_success_probability(
        world.truth, world.clients, world.options,
        [profiles[i].client_id for i in pairs.client],
        catalog.options["option_id"].to_numpy(object)[pairs.option], on=as_of)
    return {
        "model": {"version": model.version, "rows": len(data),
                  "cv": model.card.validation, "held_out_clients": len(profiles)},
        "held_out_auc": _held_out_auc(model, placements, clients, catalog, held_ids, wish),
        "top1": _top1(matcher, profiles, candidates, pairs, truth_p),
        "cohort": _cohort(matcher, pairs, truth_p, seed),
    }


def _held_out_auc(model, placements, clients, catalog, held_ids, wish) -> dict[str, float]:
    from sklearn.metrics import brier_score_loss, roc_auc_score

    test = build_training_set(placements[placements["client_id"].isin(held_ids)], clients,
                              catalog.options, wish=wish)
    if len(test) == 0 or len(set(test.y)) < 2:
        return {}
    p = model.predict(test.features_with(model.context))
    return {"roc_auc": round(float(roc_auc_score(test.y, p)), 4),
            "brier": round(float(brier_score_loss(test.y, p)), 4), "rows": len(test)}


def _top1(matcher: Matcher, profiles: list[ClientProfile], candidates: CohortCandidates,
          pairs: Pairs, truth_p: np.ndarray) -> dict[str, Any]:
    """Mean true P of each policy's first pick, over held-out clients with a choice."""
    options = matcher.catalog.options
    cost = options["cost_vnd"].to_numpy(float)
    picks: dict[str, list[float]] = {k: [] for k in
                                     ("engine", "random", "nearest", "wishes_only", "oracle")}
    bounds = np.searchsorted(pairs.client, np.arange(pairs.n_clients + 1))
    for i, profile in enumerate(profiles):
        lo, hi = bounds[i], bounds[i + 1]
        if hi == lo:
            continue
        t = truth_p[lo:hi]
        p = pairs.p_success[lo:hi]
        d = pairs.distance_km[lo:hi]
        w = candidates.wish[lo:hi]
        total, _ = score(p, w, d, profile.travel_limit_km, cost[pairs.option[lo:hi]],
                         matcher.weights)
        picks["engine"].append(t[int(np.argmax(total))])
        picks["random"].append(float(t.mean()))  # the expectation of a random pick
        picks["nearest"].append(t[int(np.argmin(d))])
        picks["wishes_only"].append(t[int(np.lexsort((d, -w))[0])])
        picks["oracle"].append(float(t.max()))
    means = {k: float(np.mean(v)) for k, v in picks.items()}
    return {"clients": len(picks["engine"]), "mean_true_p": _rounded(means),
            "share_of_oracle_gain": _shares(means)}


def _cohort(matcher: Matcher, pairs: Pairs, truth_p: np.ndarray, seed: int) -> dict[str, Any]:
    capacity = matcher.catalog.options["capacity"].to_numpy(np.int64)
    kwargs = {"capacity": capacity}
    truth_pairs = Pairs(client=pairs.client, option=pairs.option, p_success=truth_p,
                        distance_km=pairs.distance_km, n_clients=pairs.n_clients,
                        n_options=pairs.n_options)
    plans = {
        "engine": solve(pairs, **kwargs),
        "greedy": greedy(pairs, **kwargs),
        "status_quo": status_quo(pairs, **kwargs),
        "random": random_eligible(pairs, **kwargs, seed=seed),
        "oracle": solve(truth_pairs, **kwargs),
    }
    lookup = {(int(c), int(o)): float(t) for c, o, t in
              zip(pairs.client, pairs.option, truth_p, strict=True)}
    totals = {name: sum(lookup[(i, int(o))] for i, o in enumerate(plan.option_of_client)
                        if o >= 0) for name, plan in plans.items()}
    return {"clients": pairs.n_clients, "true_expected_successes": _rounded(totals),
            "assigned": {k: v.assigned for k, v in plans.items()},
            "share_of_oracle_gain": _shares(totals)}


def _shares(values: dict[str, float]) -> dict[str, float]:
    gain = values["oracle"] - values["random"]
    return {k: round((v - values["random"]) / gain, 4) if gain > 0 else 0.0
            for k, v in values.items() if k not in ("oracle", "random")}


def _rounded(values: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in values.items()}
