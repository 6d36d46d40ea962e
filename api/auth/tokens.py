"""Signed, expiring bearer tokens (JWT, HS256). The same token is the pages' session cookie."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import jwt

from matcher.settings import DATA_DIR, get_settings

ALGORITHM = "HS256"
COOKIE = "matcher_session"
SECRET_FILE = DATA_DIR / ".secret_key"


@dataclass(frozen=True)
class Claims:
    user_id: int
    role: str
    expires: datetime
    session_id: str  # the sessions row the request checks (empty in a token from before)


@lru_cache
def secret_key() -> str:
    """The settings' key, or one created once on disk and read by every worker."""
    configured = get_settings().secret_key
    if configured:
        return configured
    return _key_file(SECRET_FILE)


def _key_file(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()


def lifetime_s() -> int:
    return 60 * get_settings().token_minutes


def issue(user_id: int, role: str, session_id: str, lifetime: int) -> str:
    """A token for the user's session (matcher.access.sessions.open_session made it)."""
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "role": role, "sid": session_id, "iat": now,
              "exp": now + timedelta(seconds=lifetime)}
    return jwt.encode(claims, secret_key(), algorithm=ALGORITHM)


class BadToken(Exception):
    pass


def read(token: str) -> Claims:
    try:
        data = jwt.decode(token, secret_key(), algorithms=[ALGORITHM],
                          options={"require": ["sub", "exp", "iat"]})
    except jwt.ExpiredSignatureError as exc:
        raise BadToken("the sign-in has expired: sign in again") from exc
    except jwt.PyJWTError as exc:
        raise BadToken("the token is not valid: sign in again") from exc
    try:
        return Claims(int(data["sub"]), str(data.get("role", "")),
                      datetime.fromtimestamp(int(data["exp"]), UTC), str(data.get("sid", "")))
    except (TypeError, ValueError) as exc:
        raise BadToken("the token is not valid: sign in again") from exc


def csrf_for(cookie: str) -> str:
    """The CSRF token bound to a session cookie: another site cannot compute it."""
    return hmac.new(secret_key().encode(), b"csrf:" + cookie.encode(),
                    hashlib.sha256).hexdigest()[:40]
