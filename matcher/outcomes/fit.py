"""Fit, calibrate and validate the outcome model on a :class:`TrainingSet`.

The procedure, and why:

* **Folds by client** (``GroupKFold``, 5 folds): a client's placements share their latent
  ability, so rows of one client on both sides of a split would flatter the model.
* **Cross-fitting**: for each fold, the pipeline is fitted on the other four and scores the
  held-out clients. The provider rates a training fold sees are themselves out of fold (by
  the same client folds, without the held-out one), and the held-out rows see rates from the
  training folds only, exactly as a new client will at serving time. These out-of-fold
  scores give the card's ROC AUC, and the calibration.
* **Calibration: Platt scaling on the out-of-fold scores**, which is what
  ``CalibratedClassifierCV(method="sigmoid", cv=GroupKFold, ensemble=False)`` does (one
  final pipeline on all rows plus one sigmoid fitted on cross-validated scores), done here by
  hand so that the same five fits also give the validation, and so that the provider
  encoding is nested inside each fold. Sigmoid rather than isotonic because it is strictly
  increasing, so it keeps the monotonic constraints, the order of a client's options and
  no ties, and two parameters are stable with a few hundred placements. The card's Brier
  score and calibration table use, for each fold, a sigmoid fitted on the other folds only.
* **A time split** as a second opinion (docs/design.md, "The outcome model and the score"):
  fit on the first 80% of the history by start date, score the last 20%.

The seven fits (five folds, the time split, the final model) are independent: with many
rows they run in worker processes, one per core. Each fit uses one OpenMP thread: on a
shared 2-core machine, two busy-waiting OpenMP threads per fit made training six times
slower as soon as another process wanted the CPU.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from matcher.logistic import sigmoid
from matcher.outcomes.provider_stats import AREA_SHRINK_M, SHRINK_M, FeatureContext

from .calibration import _round, calibration_table, fit_platt
from .data import TrainingSet
from .pipeline import make_pipeline

N_FOLDS = 5
MIN_ROWS = 30  # fewer placements with an outcome: the prior, not a model fitted on noise
TIME_HOLDOUT = 0.2
#: From this many rows the fits run in parallel processes (below, starting them costs more).
PARALLEL_FROM = 20_000


class TooLittleHistory(ValueError):
    """Not enough placements with an outcome to fit (or both outcomes are not there).

    ``reason`` says which, as a code ("too_few", "one_outcome", "one_client"), so that the
    review can say it in the reader's language.
    """

    def __init__(self, message: str, reason: str = "too_few") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class FitResult:
    """The fitted pipeline, its calibration, the provider context and the validation."""

    pipeline: Pipeline
    calibration: tuple[float, float]  # (a, b): P = sigmoid(a · raw score + b)
    context: FeatureContext
    validation: dict[str, Any]
    calibration_table: list[dict[str, Any]]
    oof_p: np.ndarray = field(repr=False)


def fit_outcome_model(data: TrainingSet, *, step: Callable[[str], None] = lambda _: None,
                      params: dict[str, Any] | None = None, m: float = SHRINK_M,
                      n_jobs: int | None = None) -> FitResult:
    """Cross-fit, calibrate, validate, then fit on every row (see the module docstring).

    Parameters
    ----------
    data : TrainingSet
    step : callable, optional
        Called with a label as each fit ends (the progress bar).
    params : dict, optional
        Overrides of :data:`matcher.outcomes.pipeline.LINEAR_PARAMS`.
    m : float, default=SHRINK_M
        Shrinkage of the provider rates.
    n_jobs : int, optional
        Worker processes; by default one per core from :data:`PARALLEL_FROM` rows, else 1.

    Returns
    -------
    FitResult
    """
    check_enough(data)
    y = data.y
    folds = client_folds(data.client_ids, N_FOLDS)
    n_folds = int(folds.max() + 1)
    jobs: list[tuple[str, int]] = [("fold", k) for k in range(n_folds)]
    jobs += [("time split", 0), ("final fit", 0)]
    if n_jobs is None:
        n_jobs = min(os.cpu_count() or 1, len(jobs)) if len(data) >= PARALLEL_FROM else 1
    results: dict[tuple[str, int], Any] = {}
    if n_jobs == 1:
        for job in jobs:
            results[job] = _run(data, folds, job, params, m)
            step(_label(job))
    else:
        runs = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
            delayed(_run_tagged)(data, folds, job, params, m) for job in jobs)
        for job, result in runs:
            results[job] = result
            step(_label(job))

    raw = np.empty(len(y))
    for k in range(n_folds):
        raw[folds == k] = results[("fold", k)]
    oof_p, baseline_p = _cross_calibrated(raw, y, folds)
    validation = {
        "scheme": f"client-grouped {n_folds}-fold cross-validation (GroupKFold); "
                  "provider rates out of fold inside each training fold",
        "folds": n_folds,
        **_scores(y, oof_p),
        "roc_auc_by_fold": [_round(_auc(y[folds == k], raw[folds == k]))
                            for k in range(n_folds)],
        "baseline": {"what": "the success rate of the training folds, for everyone",
                     **_scores(y, baseline_p)},
        "time_holdout": results[("time split", 0)],
    }
    validation["brier_skill"] = _round(1.0 - validation["brier"] / validation["baseline"]["brier"])
    return FitResult(
        pipeline=results[("final fit", 0)],
        calibration=fit_platt(raw, y),
        context=FeatureContext.fit(data.provider_ids, y, m=m, area_keys=data.area_keys),
        validation=validation,
        calibration_table=calibration_table(oof_p, y),
        oof_p=oof_p,
    )


def check_enough(data: TrainingSet) -> None:
    """Raise :class:`TooLittleHistory` unless there is something to learn from."""
    if len(data) < MIN_ROWS:
        raise TooLittleHistory(
            f"{len(data)} placements with a known outcome; at least {MIN_ROWS} are needed")
    if data.y.min() == data.y.max():
        raise TooLittleHistory("every placement with an outcome had the same outcome",
                               "one_outcome")
    if data.n_clients < 2:
        raise TooLittleHistory("the placements with an outcome are all of one client",
                               "one_client")


def client_folds(client_ids: np.ndarray, n_folds: int) -> np.ndarray:
    """The fold of each row, every client's rows in one fold (balanced by rows)."""
    n_folds = min(n_folds, int(pd.unique(client_ids).size))
    folds = np.empty(len(client_ids), dtype=int)
    dummy = np.zeros(len(client_ids))
    for k, (_, test) in enumerate(GroupKFold(n_splits=n_folds).split(dummy, groups=client_ids)):
        folds[test] = k
    return folds


# --- the fits ----------------------------------------------------------------------------------


def _label(job: tuple[str, int]) -> str:
    return f"fold {job[1] + 1}" if job[0] == "fold" else job[0]


def _run_tagged(data: TrainingSet, folds: np.ndarray, job: tuple[str, int],
                params: dict[str, Any] | None, m: float) -> tuple[tuple[str, int], Any]:
    return job, _run(data, folds, job, params, m)


def _run(data: TrainingSet, folds: np.ndarray, job: tuple[str, int],
         params: dict[str, Any] | None, m: float) -> Any:
    """One fit: a fold's held-out scores, the time split's figures, or the final pipeline."""
    kind, k = job
    with threadpool_limits(limits=1):
        if kind == "fold":
            train, test = folds != k, folds == k
            pipe = _fit_part(data, train, folds, params, m)
            return pipe.decision_function(_held_out(data, train, test, m))
        if kind == "time split":
            return _time_holdout(data, params, m)
        return _fit_part(data, np.ones(len(data), dtype=bool), folds, params, m)


def _fit_part(data: TrainingSet, rows: np.ndarray, folds: np.ndarray,
              params: dict[str, Any] | None, m: float) -> Pipeline:
    """A pipeline fitted on ``rows``, each row's provider and area rates from its other folds."""
    x = data.features.loc[rows].copy()
    rate, n = FeatureContext.out_of_fold(data.provider_ids[rows], data.y[rows], folds[rows], m=m)
    x["provider_rate_shrunk"], x["provider_n_log"] = rate, np.log1p(n)
    x["area_rate_shrunk"], _ = FeatureContext.out_of_fold(
        data.area_keys[rows], data.y[rows], folds[rows], m=AREA_SHRINK_M)
    return make_pipeline(params).fit(x, data.y[rows])


def _held_out(data: TrainingSet, train: np.ndarray, test: np.ndarray, m: float) -> pd.DataFrame:
    """Held-out rows with provider and area rates from the training rows only, as at serving."""
    context = FeatureContext.fit(data.provider_ids[train], data.y[train], m=m,
                                 area_keys=data.area_keys[train])
    return data.subset(test).features_with(context)


def _cross_calibrated(raw: np.ndarray, y: np.ndarray,
                      folds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities (each fold's sigmoid fitted on the others) and the baseline."""
    p = np.empty(len(y))
    base = np.empty(len(y))
    for k in np.unique(folds):
        test = folds == k
        a, b = fit_platt(raw[~test], y[~test])
        p[test] = sigmoid(a * raw[test] + b)
        base[test] = y[~test].mean()
    return p, base


def _time_holdout(data: TrainingSet, params: dict[str, Any] | None, m: float) -> dict[str, Any]:
    """Fit on the earliest placements, score the latest."""
    order = np.argsort(data.start_dates, kind="stable")
    cut = data.start_dates[order[int(len(order) * (1 - TIME_HOLDOUT))]]
    train, test = data.start_dates < cut, data.start_dates >= cut
    if train.sum() < MIN_ROWS or len(np.unique(data.y[train])) < 2 \
            or len(np.unique(data.y[test])) < 2:
        return {"skipped": "too few placements on one side of the time split"}
    all_folds = np.zeros(len(data), dtype=int)
    all_folds[train] = client_folds(data.client_ids[train], N_FOLDS)
    pipe = _fit_part(data, train, all_folds, params, m)
    p = pipe.predict_proba(_held_out(data, train, test, m))[:, 1]
    return {
        "train_before": str(cut),
        "rows_train": int(train.sum()),
        "rows_test": int(test.sum()),
        "roc_auc": _round(_auc(data.y[test], p)),
        "brier_uncalibrated": _round(brier_score_loss(data.y[test], p)),
        "base_rate_train": _round(data.y[train].mean()),
        "base_rate_test": _round(data.y[test].mean()),
    }


# --- scores ------------------------------------------------------------------------------------


def _scores(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    return {
        "roc_auc": _round(_auc(y, p)),
        "brier": _round(brier_score_loss(y, p)),
        "log_loss": _round(log_loss(y, np.clip(p, 1e-6, 1 - 1e-6), labels=[0, 1])),
    }


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    if len(np.unique(y)) < 2:
        return float("nan")
    if np.ptp(score) == 0:
        return 0.5
    return float(roc_auc_score(y, score))
