"""Sign-in (OAuth2 password flow), sign-out, and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict, Field

from api import audit
from api.auth import tokens
from api.deps import SAME_SITE, Caller, CallerDep, SessionDep, SettingsDep
from api.errors import Problem, problem_responses
from api.routing import ReleasingRoute
from matcher.access import activation, sessions
from matcher.access.accounts import MIN_LENGTH, AccountError, authenticate
from matcher.access.sign_in_limits import Limits
from matcher.store.tables import User

router = APIRouter(route_class=ReleasingRoute, prefix="/v1", tags=["sign-in"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    role: str


class Me(BaseModel):
    user_id: int
    username: str
    role: str
    provider_id: str | None


@router.post("/auth/token", response_model=Token, dependencies=[SAME_SITE],
             responses=problem_responses(401, 403, 422, 429))
def sign_in(form: Annotated[OAuth2PasswordRequestForm, Depends()], response: Response,
            session: SessionDep, settings: SettingsDep, request: Request) -> Token:
    """Sign in with username and password: a bearer token, and the pages' session cookie."""
    # The peer, or the X-Forwarded-For address when uvicorn trusts the peer as a proxy
    # (FORWARDED_ALLOW_IPS, 127.0.0.1 by default).
    outcome = authenticate(session, form.username, form.password,
                           address=request.client.host if request.client else None,
                           limits=Limits.from_settings(settings),
                           concurrent=settings.login_concurrent)
    if outcome.retry_after_s:
        raise Problem(429, f"too many failed sign-ins: wait {outcome.retry_after_s} s "
                           "and try again", headers={"Retry-After": str(outcome.retry_after_s)})
    if outcome.user is None:
        raise Problem(401, "wrong username or password", field="password",
                      headers={"WWW-Authenticate": "Bearer"})
    return _new_session(session, outcome.user, response, settings.cookie_secure)


def _new_session(session, user: User, response: Response, cookie_secure: bool) -> Token:
    """A sessions row, its token, and the pages' cookie holding the same token."""
    lifetime = tokens.lifetime_s()
    sid = sessions.open_session(session, user.user_id, lifetime)
    session.commit()
    token = tokens.issue(user.user_id, user.role, sid, lifetime)
    response.set_cookie(tokens.COOKIE, token, max_age=lifetime, httponly=True,
                        secure=cookie_secure, samesite="strict", path="/")
    return Token(access_token=token, expires_in=lifetime, role=user.role)


@router.post("/auth/logout", status_code=204, responses=problem_responses(401, 403))
def sign_out(caller: CallerDep, session: SessionDep, response: Response) -> Response:
    """End this sign-in: its token (bearer or cookie) is refused from now on."""
    end_session(session, caller)
    response.delete_cookie(tokens.COOKIE, path="/")
    response.status_code = 204
    return response


def end_session(session, caller: Caller) -> None:
    if caller.session_id:
        sessions.revoke(session, caller.session_id)
        session.commit()


class Activation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=100)
    code: str = Field(min_length=1, max_length=100)
    new_password: str = Field(min_length=MIN_LENGTH, max_length=200)


class ActivationOut(BaseModel):
    username: str
    status: str  # active, or awaiting_approval (an account with access to client records)


CODE_REFUSED = "the username or the one-time code is wrong, used or expired: ask the admin " \
               "for a new code"


@router.post("/auth/activate", response_model=ActivationOut, dependencies=[SAME_SITE],
             responses=problem_responses(400, 403, 422))
def activate(body: Activation, session: SessionDep) -> ActivationOut:
    """Set your own password with the one-time code the admin gave you (no sign-in needed).

    An account with access to client records then waits for a programme staff member's
    approval before it can sign in."""
    try:
        user = activation.activate(session, body.username, body.code, body.new_password)
    except activation.CodeRefused:
        session.rollback()
        raise Problem(400, CODE_REFUSED, field="code") from None
    except AccountError as exc:
        raise Problem(422, str(exc), field="new_password") from None
    audit.record(session, Caller(user.user_id, user.username, user.role, user.provider_id,
                                 None), "activate", "user", str(user.user_id),
                 {"status": user.status})
    session.commit()
    return ActivationOut(username=user.username, status=user.status)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=MIN_LENGTH, max_length=200)


@router.post("/me/password", response_model=Token, responses=problem_responses(400, 401, 422))
def change_password(body: PasswordChange, caller: CallerDep, session: SessionDep,
                    settings: SettingsDep, response: Response) -> Token:
    """Change your own password: every sign-in of yours ends; this answer is a new one."""
    user = session.get(User, caller.user_id)
    try:
        activation.change_password(session, user, body.current_password, body.new_password)
    except AccountError as exc:
        session.rollback()
        raise Problem(400, str(exc), field="current_password") from None
    audit.record(session, caller, "password", "user", str(caller.user_id))
    return _new_session(session, user, response, settings.cookie_secure)


@router.get("/me", response_model=Me, responses=problem_responses(401))
def me(caller: CallerDep) -> Me:
    """The signed-in user."""
    return Me(user_id=caller.user_id, username=caller.username, role=caller.role,
              provider_id=caller.provider_id)
