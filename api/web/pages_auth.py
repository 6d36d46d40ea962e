"""Sign-in, sign-out, the language switch and the home page of each role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.security import OAuth2PasswordRequestForm

from api.auth import tokens
from api.deps import SessionDep, SettingsDep
from api.errors import Problem
from api.routes.auth import end_session, sign_in
from api.routes.model import current
from api.routing import ReleasingRoute
from api.web import i18n
from api.web.render import render
from api.web.session import (
    CSRF,
    PageCaller,
    form_token,
    form_token_ok,
    keep_form_token,
    local_path,
    need,
)
from matcher.store.db import is_empty

router = APIRouter(route_class=ReleasingRoute, include_in_schema=False)

HOME = {"social_worker": "/clients", "programme_staff": "/dashboard",
        "provider": "/my/options", "admin": "/admin"}


@router.get("/")
def home(caller: PageCaller) -> RedirectResponse:
    return RedirectResponse(HOME.get(caller.role, "/login"), status_code=303)


@router.get("/login")
def login_page(request: Request, settings: SettingsDep,
               next: str | None = None):  # noqa: A002 - the query's name
    return _login_form(request, settings, next=local_path(next, ""), error=None, username="")


def _login_form(request: Request, settings, *, status: int = 200, **context):
    token = form_token(request)
    page = render(request, "login.html", status=status, form_csrf=token, **context)
    return keep_form_token(page, token, settings.cookie_secure)


@router.post("/login")
def login(request: Request, session: SessionDep, settings: SettingsDep,
          username: Annotated[str, Form(max_length=200)] = "",
          password: Annotated[str, Form(max_length=500)] = "",
          next: Annotated[str, Form(max_length=500)] = "",  # noqa: A002
          csrf: Annotated[str, Form(max_length=100)] = ""):
    if not form_token_ok(request, csrf):
        # Not this site's own form (or a page kept open since before): no password is checked.
        return _login_form(request, settings, next=local_path(next, ""), username=username,
                           error=("login.expired", {}), status=403)
    form = OAuth2PasswordRequestForm(username=username.strip(), password=password)
    reply = Response()
    try:
        token = sign_in(form, reply, session, settings, request)
    except Problem as exc:
        t_key = "login.too_many" if exc.status == 429 else "login.wrong"
        wait = (exc.headers or {}).get("Retry-After", "")
        return _login_form(request, settings, next=local_path(next, ""), username=username,
                           error=(t_key, {"seconds": wait}), status=exc.status)
    target = local_path(next, HOME.get(token.role, "/"))
    response = RedirectResponse(target, status_code=303)
    for value in reply.headers.getlist("set-cookie"):
        response.headers.append("set-cookie", value)
    return response


@router.post("/logout", dependencies=[CSRF])
def logout(caller: PageCaller, session: SessionDep) -> RedirectResponse:
    end_session(session, caller)  # the token is refused from now on, not only forgotten
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(tokens.COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def switch_language(code: str, next: str | None = None) -> RedirectResponse:  # noqa: A002
    response = RedirectResponse(local_path(next), status_code=303)
    response.set_cookie(i18n.COOKIE, i18n.pick(code), max_age=365 * 24 * 3600,
                        samesite="lax", path="/")
    return response


@router.get("/admin")
def admin_home(request: Request, caller: PageCaller, settings: SettingsDep,
               session: SessionDep):
    need(caller, "admin")
    try:
        model = current(settings)
    except Problem:
        model = None
    # A new database is served empty (never filled with the demo world): say what comes next.
    return render(request, "admin.html", caller, model=model,
                  empty=is_empty(session.get_bind()))
