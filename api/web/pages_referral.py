"""One referral's page for its provider: what the client shares, and the provider's answer.

The answer is one form: a group of choices (accept, or decline for one of four reasons) and
a text for "another reason", so that it is one set of keys to press on a phone. It posts to
the route function its API twin runs (api.routes.referral_answers.answer_referral) with the
page's caller: another provider's referral is the same 404, a second answer the same
refusal, shown next to the choice it concerns.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from api.deps import SessionDep
from api.errors import Problem
from api.routes.referral_answers import answer_referral
from api.routes.referrals import PlacementId, my_referral
from api.routing import ReleasingRoute
from api.schemas.referrals import AnswerIn
from api.web.render import render
from api.web.session import CSRF, PageCaller, need
from matcher.vocab.referrals import DECLINE_REASONS, REASON_TEXT_MAX

router = APIRouter(route_class=ReleasingRoute, include_in_schema=False)

#: The form's choices: accept, or one of the decline reasons.
CHOICES = ("accepted", *DECLINE_REASONS)
# The API's field at fault, as the form's field next to which its error is shown.
FORM_FIELD = {"body.answer": "answer", "body.reason_code": "answer",
              "body.reason_text": "reason_text"}


def _page(request: Request, session, caller, placement_id: str, *, status: int = 200,
          values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          answered: bool = False):
    referral = my_referral(placement_id, session, caller)
    return render(request, "provider/referral.html", caller, status=status,
                  referral=referral, choices=CHOICES, text_max=REASON_TEXT_MAX,
                  values=values or {"answer": "", "reason_text": ""}, errors=errors or {},
                  answered=answered)


@router.get("/my/referrals/{placement_id}")
def referral_page(placement_id: PlacementId, request: Request, caller: PageCaller,
                  session: SessionDep, answered: bool = False):
    need(caller, "provider")
    return _page(request, session, caller, placement_id, answered=answered)


@router.post("/my/referrals/{placement_id}/answer", dependencies=[CSRF])
def answer_page(placement_id: PlacementId, request: Request, caller: PageCaller,
                session: SessionDep,
                answer: Annotated[str, Form(max_length=20)] = "",
                reason_text: Annotated[str, Form(max_length=REASON_TEXT_MAX * 4)] = ""):
    need(caller, "provider")
    values = {"answer": answer, "reason_text": reason_text}
    if answer not in CHOICES:
        return _page(request, session, caller, placement_id, status=422, values=values,
                     errors={"answer": "referral.error.choose"})
    if len(reason_text.strip()) > REASON_TEXT_MAX:
        return _page(request, session, caller, placement_id, status=422, values=values,
                     errors={"reason_text": "referral.error.too_long"})
    try:
        body = AnswerIn(answer="accepted" if answer == "accepted" else "declined",
                        reason_code=None if answer == "accepted" else answer,
                        reason_text=(reason_text.strip() or None) if answer == "other"
                        else None)
        answer_referral(placement_id, body, session, caller)
    except ValidationError:
        return _page(request, session, caller, placement_id, status=422, values=values,
                     errors={"reason_text": "referral.error.text"})
    except Problem as exc:
        session.rollback()
        if exc.status not in (409, 422):
            raise
        key = {409: "referral.error.answered"}.get(exc.status, "referral.error.reason_text"
                                                   if exc.field == "body.reason_text"
                                                   else "referral.error.choose")
        return _page(request, session, caller, placement_id, status=exc.status,
                     values=values, errors={FORM_FIELD.get(exc.field or "", "answer"): key})
    return RedirectResponse(f"/my/referrals/{placement_id}?answered=1", status_code=303)
