"""The outcome model: which version is in use and its card; training a new one (admin).

Only the version and the card are shown: never the artefact's file name or the model
folder. The API's matcher notices a new ``current.json`` by its timestamp and rebuilds.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter

from api import audit
from api.deps import CallerDep, SessionDep, SettingsDep, allow
from api.errors import Problem, problem_responses
from api.routing import ReleasingRoute
from api.schemas.model import ModelOut, RestoreIn, TrainOut, VersionOut
from matcher.outcomes import NoHistory, PriorModel
from matcher.outcomes.model import PRIOR_VERSION
from matcher.outcomes.retrain import list_versions, restore, retrain
from matcher.outcomes.store import ModelError, card_path, read_current_record

router = APIRouter(route_class=ReleasingRoute, prefix="/v1/model", tags=["model"],
                   responses=problem_responses(401, 403))

HIDDEN = ("artefact",)  # where the pickle lies is the server's business


@router.get("", response_model=ModelOut, responses=problem_responses(503),
            dependencies=[allow("social_worker", "programme_staff", "admin")])
def current(settings: SettingsDep) -> ModelOut:
    """The model the suggestions and plans use now, with its model card."""
    try:
        record = read_current_record(settings.model_dir)
        if not record:
            return ModelOut(version=PRIOR_VERSION, prior_only=True, card=PriorModel().card)
        version = str(record["version"])
        card = json.loads(card_path(settings.model_dir, version).read_text(encoding="utf-8"))
    except (ModelError, OSError, ValueError):
        raise Problem(503, "the current model's card cannot be read: train the model again "
                           "or restore the previous one") from None
    return ModelOut(version=version, prior_only=False, previous=record.get("previous"),
                    updated_at=record.get("updated_at"), card=_public(card))


@router.post("/train", response_model=TrainOut, responses=problem_responses(409, 503),
             dependencies=[allow("admin")])
def train_model(session: SessionDep, settings: SettingsDep, caller: CallerDep,
                force: bool = False) -> TrainOut:
    """Train a candidate on every stored outcome (may take a minute); it becomes current only
    if it is not worse than the current model on the same held-out placements (ROC AUC and
    Brier), or with ``force``. The candidate is kept either way (``promoted`` says which).

    409 when there is no (or too little) outcome history: the prior stays in use.
    """
    try:
        result = retrain(session.get_bind(), model_dir=settings.model_dir, force=force)
    except NoHistory as exc:
        raise Problem(409, str(exc)) from None
    except ModelError:
        raise Problem(503, "the current model cannot be read: restore another version") \
            from None
    card = result.candidate
    audit.record(session, caller, "train", "model", str(card["version"])[:64],
                 detail={"rows": card.get("rows"), "previous": result.current_before,
                         "promoted": result.promoted, "forced": bool(force)})
    session.commit()
    shown = current(settings)
    return TrainOut(**shown.model_dump(), promoted=result.promoted, reason=result.reason,
                    candidate_version=card["version"],
                    comparison=result.comparison)


@router.get("/versions", response_model=list[VersionOut],
            dependencies=[allow("programme_staff", "admin")])
def versions(settings: SettingsDep) -> list[VersionOut]:
    """Every stored model version with its figures, and which one is current."""
    return [VersionOut(**v) for v in list_versions(settings.model_dir)]


@router.post("/restore", response_model=ModelOut, responses=problem_responses(404, 409),
             dependencies=[allow("admin")])
def restore_model(body: RestoreIn, session: SessionDep, settings: SettingsDep,
                  caller: CallerDep) -> ModelOut:
    """Make the previous (or the named) version current again, after checking its sha256."""
    try:
        done = restore(settings.model_dir, body.version)
    except ModelError as exc:
        raise Problem(409, f"not restored: {exc}") from None
    audit.record(session, caller, "restore", "model", str(done["version"])[:64],
                 detail={"previous": done["previous"]})
    session.commit()
    return current(settings)


def _public(card: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in card.items() if k not in HIDDEN}
