"""Dependency aliases for the routes: they take these as parameters and never build them."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from api.auth import tokens
from api.errors import Problem
from matcher.access.sessions import is_live
from matcher.settings import Settings, get_settings
from matcher.store.db import make_engine, session_factory
from matcher.store.tables import SignInSession, User


@lru_cache
def get_engine() -> Engine:
    """One engine (and connection pool) per worker process."""
    return make_engine(get_settings().database_url)


async def get_session() -> AsyncIterator[Session]:
    """A session per request, closed on the event loop.

    Async on purpose: FastAPI runs the exit of a *sync* generator dependency in the
    threadpool, so under a burst every pool thread could wait for a database connection
    while the requests holding the connections wait for a thread to give them back (a
    deadlock until the pool's timeout). The session connects lazily, inside the route's
    thread; closing it here only returns the connection to the pool.
    """
    session = session_factory(get_engine())()
    try:
        yield session
    finally:
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]

# auto_error=False: the pages send the token as a cookie instead; the check below says why a
# request is refused in the problem+json shape.
bearer = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


@dataclass(frozen=True)
class Caller:
    """The signed-in user of a request (a plain record, detached from any session)."""

    user_id: int
    username: str
    role: str
    provider_id: str | None
    source: str | None
    session_id: str | None = None  # the sign-in session the request came with


CSRF_HEADER = "X-CSRF-Token"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _check_csrf(request: Request, cookie: str) -> None:
    """An API write made with the pages' cookie (a browser) must prove it came from our pages:
    the cookie is sent by the browser on its own, the header only by our own script."""
    if request.method in WRITES and request.url.path.startswith("/v1/"):
        sent = request.headers.get(CSRF_HEADER, "")
        # As bytes: compare_digest refuses a str with non-ASCII characters (a 500, not a 403).
        if not hmac.compare_digest(sent.encode(), tokens.csrf_for(cookie).encode()):
            raise Problem(403, f"a write signed in by the session cookie needs the header "
                               f"{CSRF_HEADER} (or send 'Authorization: Bearer <token>')",
                          field=CSRF_HEADER)


def refuse_cross_site(request: Request) -> None:
    """Sign-in and activation from another site's page: refused. A browser says where a
    request comes from (Sec-Fetch-Site); scripts send nothing and are unaffected. Without
    this, another site could sign a visitor's browser into an account of its own."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise Problem(403, "a sign-in from another site's page is refused: use this site's "
                           "sign-in page", field="Sec-Fetch-Site")


SAME_SITE = Depends(refuse_cross_site)


def current_user(request: Request, session: SessionDep,
                 token: Annotated[str | None, Depends(bearer)] = None) -> Caller:
    cookie = None if token else request.cookies.get(tokens.COOKIE)
    raw = token or cookie
    challenge = {"WWW-Authenticate": "Bearer"}
    if not raw:
        raise Problem(401, "sign in first: send 'Authorization: Bearer <token>' "
                           "from POST /v1/auth/token", headers=challenge)
    try:
        claims = tokens.read(raw)
    except tokens.BadToken as exc:
        raise Problem(401, str(exc), headers=challenge) from None
    if cookie:
        _check_csrf(request, cookie)
    # The user and the token's session in one read: a signed-out, revoked or expired
    # session is refused like a deactivated account.
    query = (select(User.user_id, User.username, User.role, User.provider_id, User.active,
                    SignInSession.expires_at, SignInSession.revoked_at)
             .join(SignInSession, SignInSession.user_id == User.user_id)
             .where(User.user_id == claims.user_id,
                    SignInSession.session_id == claims.session_id))
    # One read needs no transaction: in autocommit it is one round trip to PostgreSQL instead
    # of three (BEGIN, SELECT, ROLLBACK), on every signed-in request. The session is the
    # request's own and still unused here (this is the first dependency that reads).
    user = session.connection(execution_options={"isolation_level": "AUTOCOMMIT"}) \
        .execute(query).first()
    # A deactivated account, or one whose role changed, loses its tokens at once.
    if (user is None or not user.active or user.role != claims.role
            or not is_live(user.expires_at, user.revoked_at)):
        session.rollback()
        raise Problem(401, "this sign-in is no longer valid: sign in again", headers=challenge)
    caller = Caller(user.user_id, user.username, user.role, user.provider_id,
                    request.client.host if request.client else None, claims.session_id)
    # Give the connection back before the route runs: FastAPI calls this dependency and the
    # route in separate threadpool calls, and a connection held in between can leave every
    # pool thread waiting for a connection that only a waiting request would give back.
    session.rollback()
    return caller


CallerDep = Annotated[Caller, Depends(current_user)]


def allow(*roles: str):
    """A dependency that lets only these roles through (403 for the others)."""

    def check(caller: CallerDep) -> Caller:
        if caller.role not in roles:
            raise Problem(403, f"a {caller.role} account cannot do this")
        return caller

    return Depends(check)
