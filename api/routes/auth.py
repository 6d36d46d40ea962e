"""Sign-in (OAuth2 password flow), sign-out, and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.auth import tokens
from api.deps import CallerDep, SessionDep, SettingsDep
from api.errors import Problem, problem_responses
from api.routing import ReleasingRoute
from matcher.accounts import authenticate
from matcher.sign_in_limits import Limits

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


@router.post("/auth/token", response_model=Token,
             responses=problem_responses(401, 422, 429))
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
    token, lifetime = tokens.issue(outcome.user.user_id, outcome.user.role)
    response.set_cookie(tokens.COOKIE, token, max_age=lifetime, httponly=True,
                        secure=settings.cookie_secure, samesite="strict", path="/")
    return Token(access_token=token, expires_in=lifetime, role=outcome.user.role)


@router.post("/auth/logout", status_code=204, responses=problem_responses(401))
def sign_out(_caller: CallerDep, response: Response) -> Response:
    """Forget the pages' session cookie (a bearer token simply expires)."""
    response.delete_cookie(tokens.COOKIE, path="/")
    response.status_code = 204
    return response


@router.get("/me", response_model=Me, responses=problem_responses(401))
def me(caller: CallerDep) -> Me:
    """The signed-in user."""
    return Me(user_id=caller.user_id, username=caller.username, role=caller.role,
              provider_id=caller.provider_id)
