"""The match-quality review for programme staff and admins (GET /v1/review).

The same function as `matcher review --json` and the notebooks
(:func:`matcher.review.report.cached_review`): computed once per state of the data and the
model, then served from memory until a placement, outcome, suggestion, decision, follow-up
or the model changes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import SessionDep, SettingsDep, allow
from api.errors import problem_responses
from api.routing import ReleasingRoute
from api.schemas.review import ReviewOut
from matcher.review.report import cached_review

router = APIRouter(route_class=ReleasingRoute, prefix="/v1/review", tags=["review"],
                   dependencies=[allow("programme_staff", "admin")],
                   responses=problem_responses(401, 403, 422))


@router.get("", response_model=ReviewOut)
def review(
    session: SessionDep,
    settings: SettingsDep,
    effects: Annotated[bool, Query(description="Estimate the effects of placement (slow the "
                                               "first time; false answers without them).")]
    = True,
) -> ReviewOut:
    """Suggestion quality, calibration, fairness, the provider league table, effects."""
    return ReviewOut.model_validate(
        cached_review(session, settings.model_dir, with_effects=effects))


__all__ = ["review", "router"]
