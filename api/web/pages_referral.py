"""One referral's page for its provider: what the client shares, the provider's answer, and
its reports of what happened (started, attending, never came, dropped out, completed, hired).

The answer is one form: a group of choices (accept, or decline for one of four reasons) and
a text for "another reason", so that it is one set of keys to press on a phone. It posts to
the route function its API twin runs (api.routes.referral_answers.answer_referral) with the
page's caller: another provider's referral is the same 404, a second answer the same
refusal, shown next to the choice it concerns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from api.deps import SessionDep
from api.errors import Problem
from api.routes.placement_reports import referral_date, report_my_referral, reports_of
from api.routes.referral_answers import answer_referral, own_placement
from api.routes.referrals import PlacementId, my_referral
from api.routing import ReleasingRoute
from api.schemas.referrals import AnswerIn, ReportIn
from api.web.render import render
from api.web.session import CSRF, PageCaller, need
from matcher.store.tables import Placement
from matcher.vocab.referrals import (
    DECLINE_REASONS,
    DROP_REASONS,
    REASON_TEXT_MAX,
    REPORT_KINDS,
    WAGE_CEILING_VND_DAY,
)

router = APIRouter(route_class=ReleasingRoute, include_in_schema=False)

#: The form's choices: accept, or one of the decline reasons.
CHOICES = ("accepted", *DECLINE_REASONS)
# The API's field at fault, as the form's field next to which its error is shown.
FORM_FIELD = {"body.answer": "answer", "body.reason_code": "answer",
              "body.reason_text": "reason_text"}
REPORT_FIELDS = ("kind", "reported_on", "reason_code", "certificate", "wage_vnd_day")
# The catalogue key of a report's error, by the field at fault.
REPORT_ERROR = {"kind": "referral.error.report_kind", "reported_on": "referral.error.date_range",
                "reason_code": "referral.error.drop_reason",
                "certificate": "referral.error.certificate",
                "wage_vnd_day": "referral.error.wage"}
FormText = Annotated[str, Form(max_length=40)]


def report_form(session, placement_id: str, action: str, report: dict[str, str] | None,
                report_errors: dict[str, str] | None) -> dict[str, Any]:
    """What the report form (provider/_report_form.html) reads, for either page (each page
    gives ``today`` itself)."""
    placement = session.get(Placement, placement_id)
    return {"report_kinds": REPORT_KINDS, "drop_reasons": DROP_REASONS,
            "report": report or {**dict.fromkeys(REPORT_FIELDS, ""),
                                 "reported_on": date.today().isoformat()},
            "report_errors": report_errors or {}, "report_action": action,
            "since": referral_date(placement).isoformat(), "wage_most": WAGE_CEILING_VND_DAY}


def _page(request: Request, session, caller, placement_id: str, *, status: int = 200,
          values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          answered: bool = False, report: dict[str, str] | None = None,
          report_errors: dict[str, str] | None = None, reported: bool = False):
    referral = my_referral(placement_id, session, caller)
    own_placement(session, caller, placement_id)
    return render(request, "provider/referral.html", caller, status=status,
                  referral=referral, choices=CHOICES, text_max=REASON_TEXT_MAX,
                  values=values or {"answer": "", "reason_text": ""}, errors=errors or {},
                  answered=answered, reports=reports_of(session, placement_id),
                  reported=reported, today=date.today().isoformat(),
                  **report_form(session, placement_id, f"/my/referrals/{placement_id}/reports",
                                report, report_errors))


@router.get("/my/referrals/{placement_id}")
def referral_page(placement_id: PlacementId, request: Request, caller: PageCaller,
                  session: SessionDep, answered: bool = False, reported: bool = False):
    need(caller, "provider")
    return _page(request, session, caller, placement_id, answered=answered,
                 reported=reported)


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


def _parse_report(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's text as ReportIn's fields, and the errors (catalogue keys) by field."""
    parsed: dict[str, Any] = {"kind": values["kind"].strip()}
    errors: dict[str, str] = {}
    if parsed["kind"] not in REPORT_KINDS:
        errors["kind"] = "referral.error.choose_kind"
    try:
        parsed["reported_on"] = date.fromisoformat(values["reported_on"].strip())
    except ValueError:
        errors["reported_on"] = "referral.error.date"
    parsed["reason_code"] = values["reason_code"].strip() or None
    if parsed["reason_code"] not in (None, *DROP_REASONS):
        errors["reason_code"] = "referral.error.drop_reason"
    parsed["certificate"] = {"": None, "yes": True, "no": False}.get(
        values["certificate"].strip(), "bad")
    if parsed["certificate"] == "bad":
        errors["certificate"] = "referral.error.certificate"
    # Money may be typed with thousands separators (150.000 or 150,000 ₫).
    wage = values["wage_vnd_day"].strip().replace(" ", "").replace(".", "").replace(",", "")
    wage = wage.rstrip("₫đ")
    if not wage:
        parsed["wage_vnd_day"] = None
    elif wage.lstrip("-").isdigit() and len(wage) <= 15:
        parsed["wage_vnd_day"] = int(wage)
    else:
        errors["wage_vnd_day"] = "referral.error.whole_number"
    return parsed, errors


def submit_report(session, values: dict[str, str],
                  send: Callable[[ReportIn], Any]) -> tuple[int, dict[str, str]]:
    """Check the form and file the report through ``send`` (the API route's function):
    (status for the page, errors by field as catalogue keys); no errors: filed."""
    parsed, errors = _parse_report(values)
    if not errors:
        try:
            send(ReportIn(**parsed))
        except ValidationError as exc:
            name = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else "kind"
            errors[name] = REPORT_ERROR.get(name, "referral.error.choose_kind")
        except Problem as exc:
            session.rollback()
            if exc.status not in (409, 422):
                raise
            name = (exc.field or "body.kind").removeprefix("body.")
            errors[name] = ("referral.error.report_conflict" if exc.status == 409
                            else "referral.error.no_job" if name == "kind"
                            else REPORT_ERROR.get(name, "referral.error.choose_kind"))
    conflict = any(e == "referral.error.report_conflict" for e in errors.values())
    return (409 if conflict else 422) if errors else 303, errors


@router.post("/my/referrals/{placement_id}/reports", dependencies=[CSRF])
def report_page(placement_id: PlacementId, request: Request, caller: PageCaller,
                session: SessionDep, kind: FormText = "", reported_on: FormText = "",
                reason_code: FormText = "", certificate: FormText = "",
                wage_vnd_day: FormText = ""):
    need(caller, "provider")
    values = {"kind": kind, "reported_on": reported_on, "reason_code": reason_code,
              "certificate": certificate, "wage_vnd_day": wage_vnd_day}
    own_placement(session, caller, placement_id)  # 404 before any check
    status, errors = submit_report(
        session, values, lambda body: report_my_referral(placement_id, body, session, caller))
    if errors:
        return _page(request, session, caller, placement_id, status=status,
                     report=values, report_errors=errors)
    return RedirectResponse(f"/my/referrals/{placement_id}?reported=1#reports",
                            status_code=303)
