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
from api.schemas.model import ModelOut
from matcher.outcomes import NoHistory, PriorModel, train
from matcher.outcomes.model import PRIOR_VERSION
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


@router.post("/train", response_model=ModelOut, responses=problem_responses(409),
             dependencies=[allow("admin")])
def train_model(session: SessionDep, settings: SettingsDep, caller: CallerDep) -> ModelOut:
    """Train a new model on the stored outcomes now (may take a minute) and make it current.

    409 when there is no (or too little) outcome history: the prior stays in use.
    """
    before = read_current_record(settings.model_dir).get("version")
    try:
        card = train(session.get_bind(), model_dir=settings.model_dir)
    except NoHistory as exc:
        raise Problem(409, str(exc)) from None
    data = card.to_dict()
    audit.record(session, caller, "train", "model", str(data["version"])[:64],
                 detail={"rows": data.get("rows"), "previous": before})
    session.commit()
    return ModelOut(version=data["version"], prior_only=False, previous=before,
                    card=_public(data))


def _public(card: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in card.items() if k not in HIDDEN}
