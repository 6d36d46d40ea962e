"""Accounts (admin): list and create users of every role."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from api import audit
from api.deps import CallerDep, SessionDep, allow
from api.errors import Problem, problem_responses
from api.routing import ReleasingRoute
from api.schemas.clients import ID_PATTERN
from matcher.accounts import AccountError, add_user
from matcher.store.tables import User

router = APIRouter(route_class=ReleasingRoute, prefix="/v1/users", tags=["users"],
                   dependencies=[allow("admin")],
                   responses=problem_responses(401, 403))

RoleName = Literal["social_worker", "programme_staff", "provider", "admin"]


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=8, max_length=200)
    role: RoleName
    provider_id: str | None = Field(default=None, pattern=ID_PATTERN)


class UserOut(BaseModel):
    user_id: int
    username: str
    role: str
    provider_id: str | None
    active: bool


def _out(user: User) -> UserOut:
    return UserOut(user_id=user.user_id, username=user.username, role=user.role,
                   provider_id=user.provider_id, active=user.active)


@router.get("", response_model=list[UserOut])
def list_users(session: SessionDep) -> list[UserOut]:
    """Every account (never a password hash)."""
    return [_out(u) for u in session.scalars(select(User).order_by(User.user_id))]


@router.post("", response_model=UserOut, status_code=201, responses=problem_responses(409, 422))
def create_user(body: NewUser, session: SessionDep, caller: CallerDep) -> UserOut:
    """Create an account; a provider account is bound to one provider."""
    try:
        user = add_user(session, body.username, body.password, body.role, body.provider_id)
    except AccountError as exc:
        status = 409 if "taken" in str(exc) else 422
        field = "username" if status == 409 else (
            "provider_id" if "provider" in str(exc) else "password")
        raise Problem(status, str(exc), field=field) from None
    audit.record(session, caller, "create", "user", str(user.user_id))
    session.commit()
    return _out(user)
