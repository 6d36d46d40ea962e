"""Who is signed in on a page, and the check that a form was sent from our own pages.

The pages use the API's session cookie (HttpOnly, SameSite=Strict) and the API's own
sign-in check, so a page answers exactly what the same user's token would. A page asked for
without a valid sign-in redirects to the sign-in page instead of answering 401.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Form, Request, Response

from api.auth import tokens
from api.deps import Caller, SessionDep, current_user
from api.errors import Problem


class SignInRequired(Exception):
    """Raised by a page dependency; answered with a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def page_caller(request: Request, session: SessionDep) -> Caller:
    try:
        return current_user(request, session, None)
    except Problem as exc:
        if exc.status == 401:
            raise SignInRequired(request.url.path) from None
        raise


PageCaller = Annotated[Caller, Depends(page_caller)]


def need(caller: Caller, *roles: str) -> None:
    """403 (an error page) unless the caller has one of these roles."""
    if caller.role not in roles:
        raise Problem(403, f"a {caller.role} account cannot open this page")


def csrf_token(request: Request) -> str:
    """A token bound to the session cookie: a form from another site cannot know it.
    The same value is the X-CSRF-Token header of an API write made with the cookie."""
    return tokens.csrf_for(request.cookies.get(tokens.COOKIE, ""))


def check_csrf(request: Request, csrf: Annotated[str, Form()] = "") -> None:
    """A dependency of every page form: the form's token matches the session's."""
    if not hmac.compare_digest(csrf.encode(), csrf_token(request).encode()):
        raise Problem(403, "this form has expired: open the page again and resend it",
                      field="csrf")


CSRF = Depends(check_csrf)

# Forms sent before anyone is signed in (sign-in, activation) have no session to bind a token
# to: the page sets a random cookie and the form carries the same value (double submit).
# Another site can make a browser send the cookie (not under SameSite=Strict, even) but cannot
# read it to put it in the form, so a forged sign-in (into the attacker's account) fails.
FORM_COOKIE = "matcher_form"


def form_token(request: Request) -> str:
    """The token of a pre-sign-in form: the browser's cookie, or a new one."""
    sent = request.cookies.get(FORM_COOKIE, "")
    return sent if 20 <= len(sent) <= 64 else secrets.token_urlsafe(24)


def keep_form_token(response: Response, token: str, secure: bool) -> Response:
    response.set_cookie(FORM_COOKIE, token, httponly=True, secure=secure, samesite="strict",
                        path="/")
    return response


def form_token_ok(request: Request, sent: str) -> bool:
    cookie = request.cookies.get(FORM_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(sent.encode(), cookie.encode())


def local_path(value: str | None, default: str = "/") -> str:
    """A redirect target on this site only (never //elsewhere or a full URL)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default
