"""User accounts: argon2id password hashes, roles, and throttled sign-in.

Lives in matcher/ (not api/) because `matcher users add` creates accounts from the terminal;
the API signs people in through :func:`authenticate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.access import sign_in_limits
from matcher.access.sign_in_gate import GATE
from matcher.access.sign_in_limits import Limits
from matcher.demo import demo_password_refused, is_demo, is_demo_password
from matcher.store.tables import Provider, User
from matcher.vocab.domain import Role

_hasher = PasswordHasher()
# Checked when the username is unknown, so that a wrong name costs as long as a wrong password
# and the time taken does not tell which usernames exist. A stored hash (of "not a password of
# anybody") rather than one made at import: hashing took 0.3 s of every process's start, the
# command line's included; its parameters are the hasher's (tests/security/test_accounts.py).
_DUMMY = ("$argon2id$v=19$m=65536,t=3,p=4$1xgtVnlaxExxLSNCWiGo4A"
          "$vkQKECugeAk7wUGTFx9U5VL0f7K4Kx7H3mOQPeyAnXg")

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


def authenticate(session: Session, username: str, password: str, *,
                 address: str | None = None, limits: Limits | None = None,
                 concurrent: int = 2, now: datetime | None = None) -> SignIn:
    """Check a password, throttled (matcher/access/sign_in_limits.py and sign_in_gate.py).

    The try is taken from the counters of the typed username (per ``address`` and for the
    whole account) before anything else, whether or not the account exists, so a known
    and an unknown username get the same answers. A refused try checks no password.
    """
    limits = limits or Limits()
    keys = sign_in_limits.keys_for(username, address)
    with GATE.slot(keys.account, sign_in_limits.address_group(address), concurrent) as ok:
        if not ok:
            return SignIn(None, retry_after_s=1)
        engine = session.get_bind()
        wait = sign_in_limits.claim(engine, keys, limits, now)
        if wait:
            return SignIn(None, retry_after_s=wait)
        if demo_password_refused(session, password):  # public: never on a real database
            return SignIn(None)  # counted like any wrong password, checked without a hash
        user = session.scalar(select(User).where(User.username == username.strip()))
        if user is None or not user.active:
            verify_password(None, password)
            return SignIn(None)
        if verify_password(user.password_hash, password):
            sign_in_limits.reset(engine, keys)
            return SignIn(user)
        return SignIn(None)
