"""User accounts: argon2id password hashes, roles, and sign-in slowed after failures.

Lives in matcher/ (not api/) because `matcher users add` creates accounts from the terminal;
the API signs people in through :func:`authenticate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.demo import demo_password_refused, is_demo, is_demo_password
from matcher.domain import Role
from matcher.store.tables import Provider, User

_hasher = PasswordHasher()
# Checked when the username is unknown, so that a wrong name costs as long as a wrong password
# and the time taken does not tell which usernames exist.
_DUMMY = _hasher.hash("not a password of anybody")

MIN_LENGTH = 8


class AccountError(ValueError):
    """A user cannot be created as asked; the message says why."""


def hash_password(password: str, *, demo_database: bool = False) -> str:
    """The argon2id hash; the public demo password only for the demo database's accounts."""
    if len(password) < MIN_LENGTH:
        raise AccountError(f"a password needs at least {MIN_LENGTH} characters")
    if is_demo_password(password) and not demo_database:
        raise AccountError("that is the demo password, printed in the README: it works only "
                           "on the demo database; choose another password")
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def add_user(session: Session, username: str, password: str, role: str,
             provider_id: str | None = None) -> User:
    """Create an active account with a password (the operator's terminal and the demo);
    a provider user is bound to exactly one provider."""
    username = check_new_user(session, username, role, provider_id)
    user = User(username=username, role=role,
                password_hash=hash_password(password, demo_database=is_demo(session)),
                provider_id=provider_id, active=True, status="active", failed_logins=0)
    session.add(user)
    session.flush()
    return user


def check_new_user(session: Session, username: str, role: str,
                   provider_id: str | None = None) -> str:
    """The username to store, or AccountError saying why the account cannot be made."""
    roles = [r.value for r in Role]
    if role not in roles:
        raise AccountError(f"unknown role {role!r}: use one of {', '.join(roles)}")
    username = username.strip()
    if not username or len(username) > 100:
        raise AccountError("a username needs 1 to 100 characters")
    if role == Role.provider.value and not provider_id:
        raise AccountError("a provider user needs --provider PROVIDER_ID")
    if role != Role.provider.value and provider_id:
        raise AccountError("only a provider user is bound to a provider")
    if provider_id and session.get(Provider, provider_id) is None:
        raise AccountError(f"unknown provider {provider_id!r}")
    if session.scalar(select(User.user_id).where(User.username == username)) is not None:
        raise AccountError(f"the username {username!r} is taken")
    return username


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: the user, or how long to wait before retrying."""

    user: User | None
    retry_after_s: int = 0


def wait_after(failures: int, free: int, longest: int) -> int:
    """Seconds to wait after ``failures`` failed attempts in a row: 0, then 1, 2, 4, ... s."""
    if failures < free:
        return 0
    return min(longest, 2 ** (failures - free))


def authenticate(session: Session, username: str, password: str, *, free_failures: int = 3,
                 longest_wait_s: int = 300, now: datetime | None = None) -> SignIn:
    """Check a password; each failure beyond the free ones doubles the wait for the next try.

    The count lives in the users table, so every API worker slows the same account down.
    An attempt during the wait is refused without checking the password at all.
    """
    now = now or datetime.now(UTC)
    if demo_password_refused(session, password):  # public: never on a real database
        return SignIn(None)
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.active:
        verify_password(None, password)
        return SignIn(None)
    wait = wait_after(user.failed_logins or 0, free_failures, longest_wait_s)
    if wait and user.last_failed_at is not None:
        last = user.last_failed_at
        last = last if last.tzinfo else last.replace(tzinfo=UTC)
        left = (last + timedelta(seconds=wait) - now).total_seconds()
        if left > 0:
            return SignIn(None, retry_after_s=max(1, int(left + 0.999)))
    if verify_password(user.password_hash, password):
        if user.failed_logins:
            user.failed_logins = 0
            user.last_failed_at = None
        return SignIn(user)
    user.failed_logins = (user.failed_logins or 0) + 1
    user.last_failed_at = now
    return SignIn(None)
