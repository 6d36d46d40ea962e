"""The social worker's suggestion, decision and placement pages.

Suggestions are asked for with a POST (it logs a list, as the API does) and shown from the
logged list, so that reloading the page never asks the model again and the decisions on
the page are the ones recorded against that list. Accepting takes the seat through the
API's decide(); the placement page then shows the referral exactly as the provider sees it.
When nothing is within reach, the page names the nearest options beyond it and offers the
same search again with a wider travel limit, for that search only.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select

from api.deps import SessionDep
from api.errors import Problem
from api.routes.clients import ClientId, read_client
from api.routes.placement_reports import report_placement, reports_of
from api.routes.placements import PlacementId, decide, read_placement, record_outcome
from api.routes.referrals import referral_preview
from api.routes.suggestions import read_suggestion, suggest_for_client, visible_suggestion
from api.routing import ReleasingRoute
from api.schemas.bounds import IdPath
from api.schemas.clients import MAX_TRAVEL_KM
from api.schemas.placements import DecisionIn, OutcomeIn
from api.schemas.suggestions import SuggestIn
from api.web.forms import FormFields, blank_to_none, field_errors, problem_text
from api.web.pages_client import option_names
from api.web.pages_referral import REPORT_FIELDS, report_form, submit_report
from api.web.render import render, translator
from api.web.session import CSRF, PageCaller, need
from matcher.store.tables import Placement
from matcher.store.tasks import DUE_AFTER
from matcher.vocab import kinds as kind_table

router = APIRouter(route_class=ReleasingRoute, include_in_schema=False)

SuggestionNo = IdPath
REASONS = ("too_far", "not_interested", "not_eligible", "no_capacity", "unreachable", "other")
KINDS = kind_table.PLACEMENT_CODES
STATUSES = ("ongoing", "completed", "dropped")


@router.post("/clients/{client_id}/suggestions", dependencies=[CSRF])
def ask_suggestions(client_id: ClientId, session: SessionDep, caller: PageCaller,
                    kind: Annotated[str, Form(max_length=20)] = ""):
    need(caller, "social_worker")
    body = SuggestIn(top=10, kind=kind if kind in KINDS else None)
    out = suggest_for_client(client_id, body, session, caller)
    return RedirectResponse(f"/clients/{client_id}/suggestions/{out.suggestion_id}",
                            status_code=303)


@router.post("/clients/{client_id}/suggestions/{suggestion_id}/widen", dependencies=[CSRF])
def widen_page(request: Request, client_id: ClientId, suggestion_id: SuggestionNo,
               session: SessionDep, caller: PageCaller, fields: FormFields):
    """A logged list's question again, with a travel limit for this search only."""
    need(caller, "social_worker")
    asked = visible_suggestion(session, caller, suggestion_id)
    if asked.client_id != client_id:
        raise Problem(404, f"no suggestion {suggestion_id} for client {client_id}")
    try:  # the kind is the logged list's, not the form's
        body = SuggestIn(top=10, kind=asked.kind, max_travel_km=fields.get("max_travel_km", ""))
    except ValidationError as exc:
        message = "; ".join(field_errors(exc, translator(request)).values())
        return _suggestion_page(request, session, caller, client_id, suggestion_id,
                                problem=message, status=422)
    out = suggest_for_client(client_id, body, session, caller)
    return RedirectResponse(f"/clients/{client_id}/suggestions/{out.suggestion_id}",
                            status_code=303)


def _suggestion_page(request: Request, session, caller, client_id: str, suggestion_id: int,
                     *, problem: str | None = None, status: int = 200):
    record = read_suggestion(suggestion_id, session, caller)
    if record.client_id != client_id:
        raise Problem(404, f"no suggestion {suggestion_id} for client {client_id}")
    client = read_client(client_id, session, caller)
    decisions = {d.option_id: d for d in record.decisions}
    placement_id = session.scalar(select(Placement.placement_id)
                                  .where(Placement.suggestion_id == suggestion_id))
    entries = [e.model_dump() for e in record.suggestions]
    t = translator(request)
    limit = record.travel_limit_km
    farthest = max((f.distance_km for f in record.beyond_reach), default=None)
    return render(request, "client/suggestions.html", caller, status=status, client=client,
                  record=record, entries=entries, decisions=decisions,
                  placement_id=placement_id, reasons=REASONS, problem=problem,
                  declined=request.query_params.get("declined"),
                  today=date.today().isoformat(),
                  limit_km=None if limit is None else t.number(limit, 0 if limit % 1 == 0 else 1),
                  widen_to=None if farthest is None else _widen_to(farthest))


def _widen_to(farthest_km: float) -> int:
    """Whole km that reach the farthest option listed (its distance is rounded to 0.1 km),
    within what a search may ask."""
    return max(1, min(int(MAX_TRAVEL_KM), math.ceil(farthest_km + 0.05)))


@router.get("/clients/{client_id}/suggestions/{suggestion_id}")
def suggestions_page(request: Request, client_id: ClientId, suggestion_id: SuggestionNo,
                     session: SessionDep, caller: PageCaller):
    need(caller, "social_worker")
    return _suggestion_page(request, session, caller, client_id, suggestion_id)


@router.post("/clients/{client_id}/suggestions/{suggestion_id}/decide", dependencies=[CSRF])
def decide_page(request: Request, client_id: ClientId, suggestion_id: SuggestionNo,
                session: SessionDep, caller: PageCaller, fields: FormFields):
    need(caller, "social_worker")
    t = translator(request)
    values = {k: v for k, v in blank_to_none(fields, "option_id", "decision", "reason_code",
                                             "reason_text", "start_date").items()
              if v is not None}
    if values.get("decision") == "accepted":
        values.pop("reason_code", None)
        values.pop("reason_text", None)
    else:
        values.pop("start_date", None)
    try:
        out = decide(suggestion_id, DecisionIn(**values), session, caller)
    except ValidationError as exc:
        message = "; ".join(field_errors(exc, t).values())
        return _suggestion_page(request, session, caller, client_id, suggestion_id,
                                problem=message, status=422)
    except Problem as exc:
        if exc.status == 404:
            raise
        return _suggestion_page(request, session, caller, client_id, suggestion_id,
                                problem=problem_text(exc, t), status=exc.status)
    if out.placement_id:
        return RedirectResponse(f"/placements/{out.placement_id}?accepted=1", status_code=303)
    return RedirectResponse(f"/clients/{client_id}/suggestions/{suggestion_id}"
                            f"?declined={out.option_id}", status_code=303)


# --- a placement ----------------------------------------------------------------------------


def _placement_page(request: Request, session, caller, placement_id: str, *,
                    errors: dict | None = None, status: int = 200,
                    report: dict[str, str] | None = None,
                    report_errors: dict[str, str] | None = None):
    placement = read_placement(placement_id, session, caller)
    client = read_client(placement.client_id, session, caller)
    option = option_names(session, [placement.option_id]).get(placement.option_id)
    start = placement.start_date
    due = {months: start + after for months, after in DUE_AFTER.items()}
    today = date.today()
    return render(request, "client/placement.html", caller, status=status,
                  placement=placement, client=client, option=option,
                  referral=referral_preview(session, placement_id), statuses=STATUSES,
                  due=due, today=today, errors=errors or {},
                  reports=reports_of(session, placement_id),
                  accepted=request.query_params.get("accepted") == "1",
                  saved=request.query_params.get("saved") == "1",
                  reported=request.query_params.get("reported") == "1",
                  **report_form(session, placement_id, f"/placements/{placement_id}/reports",
                                report, report_errors))


@router.get("/placements/{placement_id}")
def placement_page(request: Request, placement_id: PlacementId, session: SessionDep,
                   caller: PageCaller):
    need(caller, "social_worker")
    return _placement_page(request, session, caller, placement_id)


@router.post("/placements/{placement_id}/reports", dependencies=[CSRF])
def report_placement_page(request: Request, placement_id: PlacementId, session: SessionDep,
                          caller: PageCaller, fields: FormFields):
    """The social worker's report of what happened (the same form as the provider's)."""
    need(caller, "social_worker")
    read_placement(placement_id, session, caller)  # another caseload: 404 before any check
    values = {k: (fields.get(k) or "")[:40] for k in REPORT_FIELDS}
    status, errors = submit_report(
        session, values, lambda body: report_placement(placement_id, body, session, caller))
    if errors:
        return _placement_page(request, session, caller, placement_id, status=status,
                               report=values, report_errors=errors)
    return RedirectResponse(f"/placements/{placement_id}?reported=1#reports", status_code=303)


@router.post("/placements/{placement_id}/outcome", dependencies=[CSRF])
def placement_outcome(request: Request, placement_id: PlacementId, session: SessionDep,
                      caller: PageCaller, fields: FormFields):
    """The follow-up at 3 months (still there? income) or at 6 months (a stable living?)."""
    need(caller, "social_worker")
    t = translator(request)
    months = fields.get("months")
    values: dict = {k: v for k, v in blank_to_none(fields, "status", "followed_up_on",
                                                   "income_vnd_day").items() if v is not None}
    if months == "6" and fields.get("success") in ("1", "0"):
        values["success"] = fields["success"] == "1"
    if months in ("3", "6"):
        values["checkpoint_months"] = int(months)
    try:
        record_outcome(placement_id, OutcomeIn(**values), session, caller)
    except ValidationError as exc:
        return _placement_page(request, session, caller, placement_id,
                               errors={months or "3": field_errors(exc, t)}, status=422)
    except Problem as exc:
        if exc.status == 404:
            raise
        return _placement_page(request, session, caller, placement_id,
                               errors={months or "3": {"form": problem_text(exc, t)}},
                               status=exc.status)
    return RedirectResponse(f"/placements/{placement_id}?saved=1", status_code=303)
