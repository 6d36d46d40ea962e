"""The retraining loop: a candidate is promoted only if it is not worse than the current model.

``retrain`` fits a candidate on every placement with a known outcome (the imported history
and the outcomes social workers recorded through the API) **except those of the held-out
clients**, scores the candidate and the current model on the **same held-out placements**,
and makes the candidate current only if it is not worse on both ROC AUC and Brier score
(within ``tolerance_auc`` / ``tolerance_brier``). Either way the candidate's artefact and
card are kept (the card says what was compared and what was decided), so any version can be
made current again with :func:`restore`.

What is comparable, honestly:

* The held-out clients are fixed by a hash of the client id (``sha256("holdout:" + id)``,
  the lowest ``holdout_fraction`` of the range), not drawn at random: the same clients are
  held out at every retraining, and a new client falls on one side for good. A model
  trained by this loop has never seen a held-out client, so the current model and the
  candidate are both scored out of sample, on the same placements, including the outcomes
  of held-out clients recorded since the current model was trained.
* A current model trained otherwise (``train`` on all history, as ``matcher seed`` + the
  first ``serve`` do) has seen the held-out clients: its held-out figures are in-sample and
  flatter it. Such a model is judged by the cross-validated (out-of-fold) ROC AUC and Brier
  score of its own card instead — out of sample, but not on the same placements — and the
  report says ``comparable: false``; ``force`` promotes anyway.
* The price: the held-out clients' placements (about a fifth) never train a served model.
* The prior (no model yet) is scored on the held-out placements like any model.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from .data import TrainingSet, load_training_set
from .model import OutcomeModel, PriorModel
from .store import (
    ModelError,
    card_path,
    locate,
    read_current_record,
    set_current,
)

HOLDOUT_FRACTION = 0.2
HOLDOUT_SALT = "holdout"
TOLERANCE_AUC = 0.005
TOLERANCE_BRIER = 0.005
MIN_HOLDOUT = 30

__all__ = [
    "HOLDOUT_FRACTION", "HoldoutSplit", "Judgement", "RetrainResult", "holdout_mask", "judge",
    "keep_candidate", "list_versions", "restore", "retrain", "score_on", "split_holdout",
]


@dataclass
class RetrainResult:
    promoted: bool
    reason: str
    candidate: dict[str, Any]  # the candidate's card
    current_before: str | None
    current_after: str | None
    comparison: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The candidate's card (what `matcher train --json` always printed) and the decision."""
        return {**self.candidate, "promoted": self.promoted, "reason": self.reason,
                "candidate_version": self.candidate["version"],
                "current_before": self.current_before, "current_after": self.current_after,
                "comparison": self.comparison}


def holdout_mask(client_ids: np.ndarray, fraction: float = HOLDOUT_FRACTION,
                 salt: str = HOLDOUT_SALT) -> np.ndarray:
    """True for the rows of held-out clients: a fixed, deterministic share of the clients."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"the held-out fraction is in (0, 1), not {fraction}")
    cut = int(fraction * 2**32)
    codes = {c: int.from_bytes(hashlib.sha256(f"{salt}:{c}".encode()).digest()[:4], "big")
             for c in set(map(str, client_ids))}
    return np.fromiter((codes[str(c)] < cut for c in client_ids), dtype=bool,
                       count=len(client_ids))


def score_on(model: OutcomeModel | PriorModel, data: TrainingSet) -> dict[str, Any]:
    """ROC AUC and Brier score of ``model`` on the placements of ``data``."""
    p = model.predict(data.features_with(model.context))
    y = data.y
    auc = float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan")
    return {"roc_auc": round(auc, 4), "brier": round(float(brier_score_loss(y, p)), 4),
            "rows": int(len(y))}


@dataclass(frozen=True)
class HoldoutSplit:
    """The placements a candidate trains on and those it is judged on."""

    train: TrainingSet
    test: TrainingSet
    scheme: dict[str, Any]  # which clients are held out, as the card records it


def split_holdout(data: TrainingSet, fraction: float = HOLDOUT_FRACTION) -> HoldoutSplit:
    """The held-out clients' placements apart from the rest; raises NoHistory when too few
    held-out placements (or only one outcome) remain to compare models on."""
    from .training import NoHistory

    held = holdout_mask(data.client_ids, fraction)
    test, train = data.subset(held), data.subset(~held)
    if len(test) < MIN_HOLDOUT or len(np.unique(test.y)) < 2:
        raise NoHistory(f"{len(test)} held-out placements with an outcome; at least "
                        f"{MIN_HOLDOUT} with both outcomes are needed to compare models")
    scheme = {"salt": HOLDOUT_SALT, "fraction": fraction,
              "rule": "clients whose sha256(salt:client_id) falls in the lowest "
                      "fraction of the range"}
    return HoldoutSplit(train, test, scheme)


@dataclass(frozen=True)
class Judgement:
    """The promotion policy's answer."""

    promoted: bool
    reason: str
    compared_with: dict[str, Any]  # the figures the candidate was held against
    comparable: bool  # both judged on the same held-out placements
    worse: tuple[str, ...]  # in what the candidate was worse


def judge(candidate: dict[str, Any], current: dict[str, Any], current_card: dict[str, Any],
          scheme: dict[str, Any], *, current_is_prior: bool,
          tolerance_auc: float = TOLERANCE_AUC, tolerance_brier: float = TOLERANCE_BRIER,
          force: bool = False) -> Judgement:
    """Promote the candidate unless it is worse than the current model on ROC AUC or Brier
    score beyond the tolerances (or when forced). ``candidate`` and ``current`` are their
    scores on the held-out placements; a current model that was not trained by this loop
    (its card has another hold-out scheme) saw those placements, so it is judged by the
    cross-validated figures of its card instead."""
    comparable = current_is_prior or current_card.get("holdout") == scheme
    ref = current
    if not comparable:
        cv = current_card.get("validation") or {}
        if isinstance(cv.get("roc_auc"), int | float) and \
                isinstance(cv.get("brier"), int | float):
            ref = {"roc_auc": float(cv["roc_auc"]), "brier": float(cv["brier"]),
                   "source": "the current model's cross-validated figures (its card)"}
    d_auc = candidate["roc_auc"] - ref["roc_auc"]
    d_brier = candidate["brier"] - ref["brier"]
    worse = []
    if not d_auc >= -tolerance_auc:
        worse.append(f"ROC AUC {candidate['roc_auc']:.4f} < current "
                     f"{ref['roc_auc']:.4f} − {tolerance_auc}")
    if not d_brier <= tolerance_brier:
        worse.append(f"Brier {candidate['brier']:.4f} > current "
                     f"{ref['brier']:.4f} + {tolerance_brier}")
    promoted = force or not worse
    if worse and force:
        reason = "promoted by force although " + "; ".join(worse)
    elif worse:
        reason = "not promoted: the candidate is worse on the held-out placements: " \
                 + "; ".join(worse)
    else:
        reason = ("promoted: not worse than the current model on the same held-out "
                  f"placements (ROC AUC {d_auc:+.4f}, Brier {d_brier:+.4f})")
    if not comparable:
        reason += (". Note: the current model was trained on the held-out clients too, "
                   "so it was judged by its cross-validated figures, not on the same "
                   "placements")
    return Judgement(promoted, reason, ref, bool(comparable), tuple(worse))


def retrain(source: Session | Engine, *, model_dir: Path,
            holdout_fraction: float = HOLDOUT_FRACTION,
            tolerance_auc: float = TOLERANCE_AUC, tolerance_brier: float = TOLERANCE_BRIER,
            force: bool = False, now: datetime | None = None,
            progress: bool = False) -> RetrainResult:
    """Fit a candidate, compare it with the current model on the same held-out placements,
    promote it only if it is not worse (see the module docstring).

    Raises :class:`~matcher.outcomes.NoHistory` when there is too little history,
    :class:`ModelError` when the current model fails its checks.
    """
    from .training import _progress, _session, fit_model

    with _progress(progress) as step:
        with _session(source) as session:
            data = load_training_set(session)
        step("load")
        split = split_holdout(data, holdout_fraction)
        candidate = fit_model(split.train, now=now, step=step)
        result = keep_candidate(candidate, split, model_dir=Path(model_dir),
                                tolerance_auc=tolerance_auc, tolerance_brier=tolerance_brier,
                                force=force)
        step("write")
    return result


def keep_candidate(candidate: OutcomeModel, split: HoldoutSplit, *, model_dir: Path,
                   tolerance_auc: float = TOLERANCE_AUC,
                   tolerance_brier: float = TOLERANCE_BRIER,
                   force: bool = False) -> RetrainResult:
    """Score a fitted candidate and the current model on ``split.test``, apply
    :func:`judge`, store the candidate with the decision in its card, and make it current
    if promoted."""
    from .training import current_model, save_model

    current = current_model(model_dir)
    before = None if current.is_prior else current.version
    cand_scores, cur_scores = score_on(candidate, split.test), score_on(current, split.test)
    current_card = {} if current.is_prior else dict(
        current.card.to_dict() if hasattr(current.card, "to_dict") else current.card)
    verdict = judge(cand_scores, cur_scores, current_card, split.scheme,
                    current_is_prior=current.is_prior, tolerance_auc=tolerance_auc,
                    tolerance_brier=tolerance_brier, force=force)
    comparison = {
        "held_out_placements": int(len(split.test)), "held_out_clients": split.test.n_clients,
        "train_placements": int(len(split.train)), "holdout": split.scheme,
        "candidate": cand_scores, "current": {"version": current.version, **cur_scores},
        "tolerance": {"roc_auc": tolerance_auc, "brier": tolerance_brier},
        "compared_with": verdict.compared_with, "comparable": verdict.comparable,
        "forced": bool(force and verdict.worse),
    }
    candidate.card = replace(candidate.card, extra={
        **candidate.card.extra, "holdout": split.scheme, "held_out": cand_scores,
        "retraining": {"compared_with": current.version, "promoted": verdict.promoted,
                       "reason": verdict.reason, "comparison": comparison}})
    card = save_model(candidate, model_dir, make_current=False)
    if verdict.promoted:
        set_current(model_dir, card.version)
    after = read_current_record(model_dir).get("version")
    return RetrainResult(promoted=verdict.promoted, reason=verdict.reason,
                         candidate=card.to_dict(), current_before=before, current_after=after,
                         comparison=comparison)


def restore(model_dir: Path, version: str | None = None) -> dict[str, Any]:
    """Make ``version`` (default: the previous current one) current again, after checking
    its artefact against its card (sha256, features, library versions) by loading it."""
    from .training import load_model

    model_dir = Path(model_dir)
    record = read_current_record(model_dir)
    if version is None:
        version = record.get("previous")
        if not version:
            raise ModelError("there is no previous model version to restore")
    name = locate(model_dir, version)
    load_model(model_dir, name)  # raises ModelError when the artefact fails its checks
    before = record.get("version")
    set_current(model_dir, name)
    return {"version": name, "previous": before}


def list_versions(model_dir: Path) -> list[dict[str, Any]]:
    """Every stored version, oldest first: its figures, and which one is current."""
    model_dir = Path(model_dir)
    current = read_current_record(model_dir).get("version") if model_dir.exists() else None
    out = []
    for path in sorted(model_dir.glob("model-*.json")) if model_dir.exists() else []:
        try:
            card = json.loads(path.read_text(encoding="utf-8"))
            version = card["version"]
            if card_path(model_dir, version) != path:
                continue
        except (OSError, ValueError, KeyError, ModelError):
            continue
        validation = card.get("validation") or {}
        retraining = card.get("retraining") or {}
        out.append({
            "version": version, "trained_at": card.get("trained_at"), "rows": card.get("rows"),
            "cv_roc_auc": validation.get("roc_auc"), "cv_brier": validation.get("brier"),
            "held_out": card.get("held_out"), "promoted": retraining.get("promoted"),
            "reason": retraining.get("reason"), "current": version == current,
        })
    out.sort(key=lambda v: (v["trained_at"] or "", v["version"]))
    return out
