"""Accounts made by the admin: one-time codes, activation, second-person approval, resets.

The admin never sets nor learns a password: an account is made without one, with a
one-time code that the person uses to set their own. An account with access to client
records (social worker, programme staff) then waits until a programme staff member, who
is neither the account itself nor its creator, approves it; so no one person can make
themselves a way into client records. A reset by the admin sends the account the same way
again. Only the code's SHA-256 is stored: the code is random and long, so a fast hash is
enough, and a stolen table gives no usable code.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matcher.access.accounts import AccountError, check_new_user, hash_password, verify_password
from matcher.access.sessions import revoke_all
from matcher.clock import as_utc
from matcher.store.tables import AccountCode, Provider, User

# The roles that read client records: their accounts need a second person's approval.
CLIENT_ACCESS = frozenset({"social_worker", "programme_staff"})
STATUSES = ("pending", "awaiting_approval", "active", "disabled")


class CodeRefused(Exception):
    """A wrong, used or expired code, or an unknown username: one answer for all of them."""


def set_status(user: User, status: str) -> None:
    assert status in STATUSES, status
    user.status = status
    user.active = status == "active"  # what every sign-in check reads


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def new_code(session: Session, user: User, purpose: str, *, by: int | None,
             hours: int, now: datetime | None = None) -> str:
    """A fresh one-time code for the user; any earlier unused one stops working."""
    now = now or datetime.now(UTC)
    session.execute(update(AccountCode).where(AccountCode.user_id == user.user_id,
                                              AccountCode.used_at.is_(None))
                    .values(used_at=now))
    code = secrets.token_urlsafe(12)  # 16 characters, 96 random bits
    session.add(AccountCode(user_id=user.user_id, purpose=purpose, code_hash=_digest(code),
                            created_at=now, expires_at=now + timedelta(hours=hours),
                            created_by=by))
    session.flush()
    return code


def add_pending_user(session: Session, username: str, role: str, provider_id: str | None,
                     *, by: int, hours: int) -> tuple[User, str]:
    """An account without a password, and the one-time code that activates it."""
    username = check_new_user(session, username, role, provider_id)
    user = User(username=username, password_hash=None, role=role, provider_id=provider_id,
                failed_logins=0, created_by=by)
    set_status(user, "pending")
    session.add(user)
    session.flush()
    return user, new_code(session, user, "activation", by=by, hours=hours)


def activate(session: Session, username: str, code: str, new_password: str,
             now: datetime | None = None) -> User:
    """Set the account's own password with its code; CodeRefused says nothing about why."""
    now = now or datetime.now(UTC)
    hashed = hash_password(new_password)  # a too short password is said first: it is no secret
    user = session.scalar(select(User).where(User.username == username.strip()))
    row = session.scalar(select(AccountCode).where(AccountCode.code_hash == _digest(code))
                         .with_for_update()) if code else None
    if (user is None or row is None or row.user_id != user.user_id or row.used_at is not None
            or as_utc(row.expires_at) <= now or user.status != "pending"):
        raise CodeRefused
    row.used_at = now
    user.password_hash = hashed
    user.failed_logins = 0
    user.last_failed_at = None
    set_status(user, "awaiting_approval" if user.role in CLIENT_ACCESS else "active")
    if user.role not in CLIENT_ACCESS:
        user.approved_by, user.approved_at = None, None
    session.flush()
    return user


def approve(session: Session, user: User, approver_id: int, now: datetime | None = None) -> None:
    """A second person lets an activated account with client access in."""
    if user.user_id == approver_id:
        raise AccountError("an account cannot approve itself")
    if user.created_by == approver_id:
        raise AccountError("the person who made the account cannot approve it")
    if user.status != "awaiting_approval":
        raise AccountError(f"the account is {user.status}, not awaiting approval")
    set_status(user, "active")
    user.approved_by, user.approved_at = approver_id, now or datetime.now(UTC)


def reset(session: Session, user: User, *, by: int, hours: int) -> str:
    """No password and no session any more; a new one-time code (approval again after it)."""
    user.password_hash = None
    user.approved_by, user.approved_at = None, None
    set_status(user, "pending")
    revoke_all(session, user.user_id)
    return new_code(session, user, "reset", by=by, hours=hours)


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """The user's own change: every session of theirs ends (the caller gets a new one)."""
    if not verify_password(user.password_hash, current):
        raise AccountError("the current password is wrong")
    user.password_hash = hash_password(new)
    revoke_all(session, user.user_id)


def change_role(session: Session, user: User, role: str, provider_id: str | None) -> None:
    """A new role ends the account's sessions; a role with client access needs approval."""
    if role == "provider" and not provider_id:
        raise AccountError("a provider user needs provider_id")
    if role != "provider":
        provider_id = None
    elif session.get(Provider, provider_id) is None:
        raise AccountError(f"unknown provider {provider_id!r}")
    user.role, user.provider_id = role, provider_id
    if role in CLIENT_ACCESS and user.status == "active":
        set_status(user, "awaiting_approval")
        user.approved_by, user.approved_at = None, None
    elif role not in CLIENT_ACCESS and user.status == "awaiting_approval":
        set_status(user, "active")  # approval is asked only of roles with client access
    revoke_all(session, user.user_id)


def set_enabled(session: Session, user: User, enabled: bool) -> None:
    """Deactivation ends every session; turning an account on again with client access
    needs a second person's approval, as when it was made."""
    if not enabled:
        set_status(user, "disabled")
        revoke_all(session, user.user_id)
    elif user.status == "disabled":
        if user.password_hash is None:
            set_status(user, "pending")
        elif user.role in CLIENT_ACCESS:
            set_status(user, "awaiting_approval")
            user.approved_by, user.approved_at = None, None
        else:
            set_status(user, "active")

