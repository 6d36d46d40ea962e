"""The match-quality review for programme staff and admins (GET /v1/review).

The same figures as `matcher review --json` and the notebooks
(:func:`matcher.review.build_review`), kept in the database and recomputed in the background
after a change (api/reviewing.py): the answer is at once, the last computed review with its
time and whether a newer one is being computed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.deps import SessionDep, SettingsDep, allow
from api.errors import Problem, problem_responses
from api.reviewing import keeper
from api.routing import ReleasingRoute
from api.schemas.review import ReviewComputing, ReviewOut

router = APIRouter(route_class=ReleasingRoute, prefix="/v1/review", tags=["review"],
                   dependencies=[allow("programme_staff", "admin")],
                   responses=problem_responses(401, 403, 422))

#: What a 202 asks the caller to wait before asking again.
RETRY_AFTER_S = 5


@router.get("", response_model=ReviewOut,
            responses={202: {"model": ReviewComputing,
                             "description": "No review yet: the first one is being computed."},
                       **problem_responses(503)})
def review(
    session: SessionDep,
    settings: SettingsDep,
    effects: Annotated[bool, Query(description="With the effects of placement (computed "
                                               "after the rest; false answers sooner).")]
    = True,
):
    """Suggestion quality, calibration, fairness, the provider league table, effects, with
    when they were computed and whether they are being updated."""
    view = keeper.view(session, settings.model_dir, with_effects=effects)
    if view.review is None:
        if not view.updating:
            raise Problem(503, "The review could not be computed; it is tried again after "
                          f"{settings.review_min_interval_s:.0f} s.",
                          headers={"Retry-After": str(int(settings.review_min_interval_s))})
        return JSONResponse({"status": "computing", "retry_after_s": RETRY_AFTER_S},
                            status_code=202, headers={"Retry-After": str(RETRY_AFTER_S)})
    return ReviewOut.model_validate({**view.review, **view.freshness()})


__all__ = ["review", "router"]
