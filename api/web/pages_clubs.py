"""Support clubs on the pages: the client's short list with the referral form and the
three-month check (social worker), and who was sent to a club (the club's own account).

Each form calls the route function its JSON twin runs (api.routes.clubs), so a refusal is the
same here as over the API and is shown next to the form that caused it.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from api.deps import SessionDep
from api.errors import Problem
from api.routes.clients import ClientId
from api.routes.clubs import ReferralId, club_members, record_check, refer
from api.routing import ReleasingRoute
from api.schemas.bounds import Offset
from api.schemas.clubs import ClubCheckIn, ClubReferralIn
from api.web.forms import FormFields, checked, field_errors, problem_text
from api.web.pages_client import client_page
from api.web.pages_provider import PAGE, _pager
from api.web.render import render, translator
from api.web.session import CSRF, PageCaller, need

router = APIRouter(route_class=ReleasingRoute, include_in_schema=False)


def _problem(exc: Problem, t) -> str:
    """A club refusal in the page's language: the clubs' own sentence where there is one."""
    key = f"clubs.problem.{exc.status}.{(exc.field or '').removeprefix('body.')}"
    return t(key) if t.has(key) else problem_text(exc, t)


def _refused(request: Request, session, caller, client_id: str, status: int,
             errors: dict[str, str]):
    return client_page(request, session, caller, client_id, status=status,
                       club_errors=errors)


def _submit(request: Request, session, caller, client_id: str,
            send: Callable[[], object], done: str):
    """Run one club form's route function (``send``, which builds its body from the form);
    a refusal is shown on the client's page next to the clubs, else go to ``done``."""
    need(caller, "social_worker")
    t = translator(request)
    try:
        send()
    except ValidationError as exc:
        return _refused(request, session, caller, client_id, 422, field_errors(exc, t))
    except Problem as exc:
        if exc.status == 404 and exc.field == "client_id":
            raise
        return _refused(request, session, caller, client_id, exc.status,
                        {"form": _problem(exc, t)})
    return RedirectResponse(done, status_code=303)


@router.post("/clients/{client_id}/club-referrals", dependencies=[CSRF])
def refer_to_club(request: Request, client_id: ClientId, session: SessionDep,
                  caller: PageCaller, fields: FormFields):
    """Refer the client to the club chosen on the short list, with the client's consent."""
    def send():
        body = ClubReferralIn(option_id=(fields.get("option_id") or "").strip(),
                              consent=checked(fields, "consent"))
        refer(session, caller, client_id, body)

    return _submit(request, session, caller, client_id, send,
                   f"/clients/{client_id}?club=1#clubs")


@router.post("/clients/{client_id}/club-referrals/{referral_id}/check", dependencies=[CSRF])
def check_club(request: Request, client_id: ClientId, referral_id: ReferralId,
               session: SessionDep, caller: PageCaller, fields: FormFields):
    """The three-month check of a club referral: is the client still attending?"""
    def send():
        body = ClubCheckIn(attending=fields.get("attending") == "1",
                           checked_on=(fields.get("checked_on") or "").strip() or None)
        record_check(session, caller, referral_id, body)

    return _submit(request, session, caller, client_id, send, f"/clients/{client_id}#clubs")


@router.get("/my/club-members")
def club_members_page(request: Request, caller: PageCaller, session: SessionDep,
                      offset: Offset = 0):
    """The people sent to the caller's clubs, newest first."""
    need(caller, "provider")
    page = club_members(session, caller, PAGE, offset)
    return render(request, "provider/club_members.html", caller, members=page.items,
                  pager=_pager(offset, page.total))
