"""Accounts: the admin makes, changes and resets them; programme staff approve them.

The admin never sets a password: a new account (and a reset one) gets a one-time code,
shown once in the answer, with which the person sets their own. An account with access to
client records becomes active only when a programme staff member, neither the account
itself nor its creator, approves it (matcher.access.activation says why).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import audit
from api.deps import Caller, CallerDep, SessionDep, SettingsDep, allow
from api.errors import Problem, problem_responses
from api.routing import ReleasingRoute
from api.schemas.clients import ID_PATTERN
from matcher.access import activation
from matcher.access.accounts import AccountError
from matcher.store.tables import User

router = APIRouter(route_class=ReleasingRoute, prefix="/v1/users", tags=["users"],
                   responses=problem_responses(401, 403))
ADMIN = allow("admin")

RoleName = Literal["social_worker", "programme_staff", "provider", "admin"]
UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class NewUser(BaseModel):
    # No password: a body with one is refused (extra="forbid"); the person sets their own.
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=100)
    role: RoleName
    provider_id: str | None = Field(default=None, pattern=ID_PATTERN)


class UserChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: RoleName | None = None
    provider_id: str | None = Field(default=None, pattern=ID_PATTERN)
    active: bool | None = None


class UserOut(BaseModel):
    user_id: int
    username: str
    role: str
    provider_id: str | None
    active: bool
    status: str  # pending, awaiting_approval, active or disabled
    created_by: int | None
    approved_by: int | None


class UserWithCode(UserOut):
    activation_code: str = Field(description="Shown once, never stored in clear: give it to "
                                             "the person, who sets their own password with it "
                                             "at POST /v1/auth/activate or the page /activate.")
    code_expires_in_hours: int


def _out(user: User) -> UserOut:
    return UserOut(user_id=user.user_id, username=user.username, role=user.role,
                   provider_id=user.provider_id, active=user.active, status=user.status,
                   created_by=user.created_by, approved_by=user.approved_by)


def _with_code(user: User, code: str, hours: int) -> UserWithCode:
    return UserWithCode(**_out(user).model_dump(), activation_code=code,
                        code_expires_in_hours=hours)


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise Problem(404, f"no user {user_id}", field="user_id")
    return user


@router.get("", response_model=list[UserOut], dependencies=[ADMIN])
def list_users(session: SessionDep) -> list[UserOut]:
    """Every account (never a password hash)."""
    return [_out(u) for u in session.scalars(select(User).order_by(User.user_id))]


@router.post("", response_model=UserWithCode, status_code=201, dependencies=[ADMIN],
             responses=problem_responses(409, 422))
def create_user(body: NewUser, session: SessionDep, caller: CallerDep,
                settings: SettingsDep) -> UserWithCode:
    """Create an account without a password, and its one-time activation code (shown once).

    A provider account is bound to one provider."""
    try:
        user, code = activation.add_pending_user(
            session, body.username, body.role, body.provider_id, by=caller.user_id,
            hours=settings.activation_hours)
    except AccountError as exc:
        status = 409 if "taken" in str(exc) else 422
        field = "username" if status == 409 or "username" in str(exc) else "provider_id"
        raise Problem(status, str(exc), field=field) from None
    audit.record(session, caller, "create", "user", str(user.user_id), {"role": user.role})
    session.commit()
    return _with_code(user, code, settings.activation_hours)


@router.patch("/{user_id}", response_model=UserOut, dependencies=[ADMIN],
              responses=problem_responses(404, 422))
def change_user(user_id: UserId, body: UserChange, session: SessionDep,
                caller: CallerDep) -> UserOut:
    """Change an account's role or switch it off or on; either ends its sessions. A role with
    client access, or an account with it switched on again, needs approval again."""
    user = _user(session, user_id)
    try:
        if body.role is not None and (body.role != user.role
                                      or body.provider_id != user.provider_id):
            before = user.role
            activation.change_role(session, user, body.role, body.provider_id)
            audit.record(session, caller, "role", "user", str(user_id),
                         {"from": before, "to": user.role, "status": user.status})
        if body.active is not None and body.active != (user.status != "disabled"):
            activation.set_enabled(session, user, body.active)
            audit.record(session, caller, "reactivate" if body.active else "deactivate",
                         "user", str(user_id), {"status": user.status})
    except AccountError as exc:
        session.rollback()
        raise Problem(422, str(exc), field="provider_id") from None
    session.commit()
    return _out(user)


@router.post("/{user_id}/reset", response_model=UserWithCode, dependencies=[ADMIN],
             responses=problem_responses(404))
def reset_user(user_id: UserId, session: SessionDep, caller: CallerDep,
               settings: SettingsDep) -> UserWithCode:
    """Clear the password and end every session; a new one-time code (shown once). An
    account with client access needs a programme staff member's approval again."""
    user = _user(session, user_id)
    code = activation.reset(session, user, by=caller.user_id, hours=settings.activation_hours)
    audit.record(session, caller, "reset", "user", str(user_id))
    session.commit()
    return _with_code(user, code, settings.activation_hours)


@router.post("/{user_id}/approve", response_model=UserOut,
             dependencies=[allow("programme_staff")], responses=problem_responses(404, 409))
def approve_user(user_id: UserId, session: SessionDep, caller: CallerDep) -> UserOut:
    """A second person lets an activated account with client access sign in."""
    return approve(session, caller, user_id)


def approve(session: Session, caller: Caller, user_id: int) -> UserOut:
    user = _user(session, user_id)
    try:
        activation.approve(session, user, caller.user_id, datetime.now(UTC))
    except AccountError as exc:
        session.rollback()
        raise Problem(409, str(exc), field="user_id") from None
    audit.record(session, caller, "approve", "user", str(user_id), {"role": user.role})
    session.commit()
    return _out(user)
