"""The admin's accounts page: the accounts, a form to make one, and per account a reset and a
switch off or on again.

Every change calls the API's own route function (api.routes.users), so the page does what
the same request to /v1/users would, with the same checks and the same audit entries. A new
or reset account's one-time code is in the answer to that form only: it is never put in a URL,
a cookie or a log, and the page is not cached (api.web.render.HEADERS).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select

from api.deps import Caller, SessionDep, SettingsDep
from api.errors import Problem
from api.routes import users
from api.routing import ReleasingRoute
from api.schemas.bounds import IdPath, IdQuery
from api.web.render import render, translator
from api.web.session import CSRF, PageCaller, need
from matcher.access.activation import CLIENT_ACCESS
from matcher.clock import in_vietnam
from matcher.store.tables import Provider, User

router = APIRouter(route_class=ReleasingRoute, include_in_schema=False)

ROLES = ("social_worker", "programme_staff", "provider", "admin")
DONE = ("deactivate", "reactivate")


@router.get("/admin/accounts")
def accounts_page(request: Request, caller: PageCaller, session: SessionDep,
                  done: Annotated[str | None, Query(max_length=20)] = None,
                  user: IdQuery = None):
    need(caller, "admin")
    notice = None
    if done in DONE and user is not None:
        row = session.get(User, user)
        if row is not None:
            notice = {"action": done, "username": row.username, "status": row.status}
    return _page(request, caller, session, notice=notice)


@router.post("/admin/accounts", dependencies=[CSRF])
def create_account(request: Request, caller: PageCaller, session: SessionDep,
                   settings: SettingsDep,
                   username: Annotated[str, Form(max_length=200)] = "",
                   role: Annotated[str, Form(max_length=50)] = "",
                   provider_id: Annotated[str, Form(max_length=200)] = ""):
    need(caller, "admin")
    values = {"username": username, "role": role, "provider_id": provider_id}
    try:
        body = users.NewUser(username=username.strip(), role=role,
                             provider_id=provider_id.strip() or None)
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        key = {"role": "role", "provider_id": "provider_format"}.get(field, "username")
        return _refused(request, caller, session, values, field, key, 422)
    try:
        made = users.create_user(body, session, caller, settings)
    except Problem as exc:
        session.rollback()
        return _refused(request, caller, session, values, *_why(exc), exc.status)
    return _page(request, caller, session, code=_code(made, "create"))


@router.post("/admin/accounts/{user_id}/reset", dependencies=[CSRF])
def reset_account(user_id: IdPath, request: Request, caller: PageCaller,
                  session: SessionDep, settings: SettingsDep):
    need(caller, "admin")
    made = users.reset_user(user_id, session, caller, settings)
    return _page(request, caller, session, code=_code(made, "reset"))


@router.post("/admin/accounts/{user_id}/deactivate", dependencies=[CSRF])
def deactivate_account(user_id: IdPath, caller: PageCaller, session: SessionDep):
    return _switch(user_id, caller, session, active=False)


@router.post("/admin/accounts/{user_id}/reactivate", dependencies=[CSRF])
def reactivate_account(user_id: IdPath, caller: PageCaller, session: SessionDep):
    return _switch(user_id, caller, session, active=True)


def _switch(user_id: int, caller: Caller, session, *, active: bool) -> RedirectResponse:
    need(caller, "admin")
    users.change_user(user_id, users.UserChange(active=active), session, caller)
    action = "reactivate" if active else "deactivate"
    return RedirectResponse(f"/admin/accounts?done={action}&user={user_id}", status_code=303)


def _why(exc: Problem) -> tuple[str, str]:
    """(the form field, the message key) of a refusal of POST /v1/users."""
    if exc.status == 409:
        return "username", "taken"
    if exc.field == "username":
        return "username", "username"
    detail = exc.detail or ""
    if "unknown provider" in detail:
        return "provider_id", "unknown_provider"
    if "needs" in detail:
        return "provider_id", "provider_needed"
    return "provider_id", "provider_only"


def _code(made: users.UserWithCode, action: str) -> dict:
    # Said to the minute: the code was made a moment ago with this lifetime.
    expires = datetime.now(UTC) + timedelta(hours=made.code_expires_in_hours)
    return {"action": action, "username": made.username, "code": made.activation_code,
            "hours": made.code_expires_in_hours, "expires": in_vietnam(expires),
            "client_access": made.role in CLIENT_ACCESS}


def _refused(request: Request, caller: Caller, session, values: dict, field: str, key: str,
             status: int):
    message = translator(request)(f"admin_accounts.error.{key}")
    return _page(request, caller, session, status=status, values=values,
                 errors={field: message})


def _page(request: Request, caller: Caller, session, *, status: int = 200, code=None,
          notice=None, values=None, errors=None):
    accounts = session.execute(
        select(User.user_id, User.username, User.role, User.status, User.provider_id,
               Provider.name.label("provider_name"), User.created_at)
        .outerjoin(Provider, Provider.provider_id == User.provider_id)
        .order_by(User.username)).all()
    session.rollback()
    rows = [{**row._asdict(), "created": in_vietnam(row.created_at)} for row in accounts]
    return render(request, "admin/accounts.html", caller, status=status, accounts=rows,
                  roles=ROLES, code=code, notice=notice,
                  values=values or {"username": "", "role": "", "provider_id": ""},
                  errors=errors or {},
                  activate_url=str(request.base_url).rstrip("/") + "/activate")
