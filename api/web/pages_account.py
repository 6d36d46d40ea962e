"""Account pages: activation with a one-time code, one's own password, and the programme
staff's approval of new accounts with client access.

Each page calls the API's own route function, so it can do what the same request to the API
could, and is audited the same way.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import aliased

from api.deps import SessionDep, SettingsDep
from api.errors import Problem
from api.routes import auth as auth_routes
from api.routes.users import approve
from api.routing import ReleasingRoute
from api.web.render import render
from api.web.session import (
    CSRF,
    PageCaller,
    form_token,
    form_token_ok,
    keep_form_token,
    need,
)
from matcher.clock import in_vietnam
from matcher.store.tables import AuditEntry, User

router = APIRouter(route_class=ReleasingRoute, include_in_schema=False)

EVENTS = 50
ACCOUNT_ACTIONS = ("create", "activate", "approve", "reset", "deactivate", "reactivate",
                   "role", "password")


# --- activation (no sign-in) -----------------------------------------------------------------


@router.get("/activate")
def activate_page(request: Request, settings: SettingsDep):
    return _activate_form(request, settings, error=None, username="")


def _activate_form(request: Request, settings, *, status: int = 200, **context):
    token = form_token(request)
    page = render(request, "account/activate.html", status=status, form_csrf=token, **context)
    return keep_form_token(page, token, settings.cookie_secure)


@router.post("/activate")
def activate(request: Request, session: SessionDep, settings: SettingsDep,
             username: Annotated[str, Form(max_length=100)] = "",
             code: Annotated[str, Form(max_length=100)] = "",
             new_password: Annotated[str, Form(max_length=200)] = "",
             confirm: Annotated[str, Form(max_length=200)] = "",
             csrf: Annotated[str, Form(max_length=100)] = ""):
    def again(key: str, status: int, **values):
        return _activate_form(request, settings, username=username, error=(key, values),
                              status=status)

    if not form_token_ok(request, csrf):
        return again("login.expired", 403)
    if new_password != confirm:
        return again("account.password.mismatch", 422)
    try:
        body = auth_routes.Activation(username=username.strip(), code=code.strip(),
                                      new_password=new_password)
        done = auth_routes.activate(body, session)
    except ValidationError:
        return again("account.password.too_short", 422)
    except Problem as exc:
        key = "account.activate.refused" if exc.status == 400 else "account.password.too_short"
        return again(key, exc.status)
    return render(request, "account/activated.html", status=200, done=done)


# --- one's own password ------------------------------------------------------------------------


@router.get("/account/password")
def password_page(request: Request, caller: PageCaller, changed: bool = False):
    return render(request, "account/password.html", caller, error=None, changed=changed)


@router.post("/account/password", dependencies=[CSRF])
def change_password(request: Request, caller: PageCaller, session: SessionDep,
                    settings: SettingsDep,
                    current_password: Annotated[str, Form(max_length=200)] = "",
                    new_password: Annotated[str, Form(max_length=200)] = "",
                    confirm: Annotated[str, Form(max_length=200)] = ""):
    def again(key: str, status: int):
        return render(request, "account/password.html", caller, error=key, changed=False,
                      status=status)

    if new_password != confirm:
        return again("account.password.mismatch", 422)
    try:
        body = auth_routes.PasswordChange(current_password=current_password,
                                          new_password=new_password)
    except ValidationError:
        return again("account.password.too_short", 422)
    reply = Response()
    try:
        auth_routes.change_password(body, caller, session, settings, reply)
    except Problem:
        return again("account.password.wrong_current", 400)
    # Every other sign-in of this user has ended; this browser gets the new session's cookie.
    response = RedirectResponse("/account/password?changed=1", status_code=303)
    for value in reply.headers.getlist("set-cookie"):
        response.headers.append("set-cookie", value)
    return response


# --- approval by programme staff -------------------------------------------------------------


@router.get("/staff/accounts")
def accounts_page(request: Request, caller: PageCaller, session: SessionDep,
                  error: str | None = None):
    need(caller, "programme_staff")
    creator = aliased(User)
    waiting = session.execute(
        select(User.user_id, User.username, User.role, User.created_at,
               creator.username.label("created_by"))
        .outerjoin(creator, creator.user_id == User.created_by)
        .where(User.status == "awaiting_approval").order_by(User.created_at)).all()
    events = session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "user",
                                 AuditEntry.action.in_(ACCOUNT_ACTIONS))
        .order_by(AuditEntry.at.desc(), AuditEntry.audit_id.desc()).limit(EVENTS)).all()
    names = dict(session.execute(select(User.user_id, User.username).where(
        User.user_id.in_({int(e.entity_id) for e in events if (e.entity_id or "").isdigit()}))
    ).all())
    session.rollback()
    rows = [{"at": in_vietnam(e.at), "actor": e.actor, "action": e.action,
             "account": names.get(int(e.entity_id), e.entity_id)
             if (e.entity_id or "").isdigit() else ""} for e in events]
    return render(request, "staff/accounts.html", caller, waiting=waiting, events=rows,
                  error=error if error in ("self", "creator", "state") else None)


@router.post("/staff/accounts/{user_id}/approve", dependencies=[CSRF])
def approve_account(user_id: Annotated[int, Path(ge=1, le=2**31 - 1)], caller: PageCaller,
                    session: SessionDep):
    need(caller, "programme_staff")
    try:
        approve(session, caller, user_id)
    except Problem as exc:
        if exc.status == 404:
            raise
        why = ("self" if "itself" in exc.detail else "creator" if "made" in exc.detail
               else "state")
        return RedirectResponse(f"/staff/accounts?error={why}", status_code=303)
    return RedirectResponse("/staff/accounts", status_code=303)

