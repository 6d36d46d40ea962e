"""A provider's answer to a referral: accepted, or declined with a reason (seat given back).

A referral is answered once. The answer's row has the placement id as its primary key, so a
second answer (even one sent at the same moment) is a 409 and writes nothing. A decline
closes the placement as not_started and returns its seat to the option in the same
transaction (matcher.store.referrals.end_unstarted): the option's seat history gets the
change, and the client is back on the social worker's list with the provider's reason.
Another provider's referral is the same 404 as a missing one.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import audit
from api.deps import Caller, CallerDep, SessionDep, allow
from api.errors import Problem, problem_responses
from api.matching import cache
from api.routes.referrals import NOT_YOURS, PlacementId
from api.routing import ReleasingRoute
from api.schemas.referrals import AnswerIn, AnswerOut
from matcher.store.referrals import end_unstarted
from matcher.store.tables import Option, Placement, ReferralAnswer

router = APIRouter(route_class=ReleasingRoute, prefix="/v1/my/referrals", tags=["referrals"],
                   dependencies=[allow("provider")],
                   responses=problem_responses(401, 403, 422))


def own_placement(session: Session, caller: Caller, placement_id: str) -> Placement:
    """A placement into one of the caller's provider's options; 404 for any other."""
    found = None
    if caller.provider_id is not None:
        found = session.scalar(
            select(Placement).join(Option, Option.option_id == Placement.option_id)
            .where(Placement.placement_id == placement_id,
                   Option.provider_id == caller.provider_id))
    if found is None:
        raise Problem(404, NOT_YOURS, field="placement_id")
    return found


def _answered(session: Session, placement_id: str) -> Problem | None:
    prior = session.get(ReferralAnswer, placement_id)
    if prior is None:
        return None
    return Problem(409, f"referral {placement_id} was already answered ({prior.answer})",
                   field="body.answer")


def _check(body: AnswerIn) -> str | None:
    """The decline's text, after the body's own checks."""
    text = (body.reason_text or "").strip() or None
    if body.answer == "accepted":
        if body.reason_code is not None or text is not None:
            raise Problem(422, "a reason is for a decline only", field="body.reason_code")
        return None
    if body.reason_code is None:
        raise Problem(422, "a decline needs a reason_code: full, not_suitable, cannot_reach "
                           "or other", field="body.reason_code")
    if body.reason_code == "other" and text is None:
        raise Problem(422, "reason_code other needs a reason_text", field="body.reason_text")
    return text


@router.post("/{placement_id}/answer", response_model=AnswerOut, status_code=201,
             responses=problem_responses(404, 409))
def answer_referral(placement_id: PlacementId, body: AnswerIn, session: SessionDep,
                    caller: CallerDep) -> AnswerOut:
    """Accept a referral, or decline it with a reason (its seat goes back to the option)."""
    found = own_placement(session, caller, placement_id)
    text = _check(body)
    if (problem := _answered(session, placement_id)) is not None:
        raise problem
    if found.status != "ongoing":
        raise Problem(409, f"referral {placement_id} is already {found.status}",
                      field="body.answer")
    option_id = found.option_id
    session.add(ReferralAnswer(placement_id=placement_id, answer=body.answer,
                               reason_code=body.reason_code, reason_text=text,
                               answered_by=caller.user_id))
    try:
        session.flush()
    except IntegrityError:  # answered by a concurrent request
        session.rollback()
        raise _answered(session, placement_id) or Problem(
            409, f"referral {placement_id} was already answered", field="body.answer") from None
    released = False
    if body.answer == "declined":
        released = end_unstarted(session, placement_id, option_id, user_id=caller.user_id,
                                 cause="declined")
        if not released:  # the social worker closed it meanwhile: nothing is written
            session.rollback()
            raise Problem(409, f"referral {placement_id} was closed meanwhile",
                          field="body.answer")
    # Codes and ids only: the client's details never enter the audit log.
    audit.record(session, caller, "answer", "placement", placement_id,
                 {"answer": body.answer, "reason_code": body.reason_code,
                  "option_id": option_id, "seat_released": released})
    session.commit()
    if released:
        cache.refresh_in_background(session)  # a seat is free again
    return AnswerOut(placement_id=placement_id, answer=body.answer,
                     reason_code=body.reason_code,
                     status="not_started" if released else "ongoing", seat_released=released)
