"""Capacity: a provider reads and updates its own options; staff read an option's history.

An update is one conditional UPDATE on (option, provider, version) that also raises the
version, so of two writers who read the same version only one can win; the other gets 412
and changes nothing. Every changed field is kept in option_changes (who, when, old, new) and
the matcher's counters are bumped in the same transaction.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from api import audit
from api.deps import Caller, CallerDep, SessionDep, allow
from api.errors import Problem, problem_responses
from api.routes.directory import OptionId, etag, options_out
from api.routing import ReleasingRoute
from api.schemas.bounds import Offset, page_limit
from api.schemas.capacity import ChangeOut, ChangePage, OptionUpdate
from api.schemas.directory import OptionOut, OptionPage
from matcher.store import generations
from matcher.store.tables import Option, OptionChange, User
from matcher.vocab.kinds import BY_CODE

router = APIRouter(route_class=ReleasingRoute, prefix="/v1", tags=["capacity"],
                   responses=problem_responses(401, 403, 422))

PROVIDER = allow("provider")
# The same answer for another provider's option and for one that does not exist.
NOT_YOURS = "no such option among your provider's options"
SEAT_FIELDS = frozenset({"capacity"})
_VERSION = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


def _mine(session: Session, caller: Caller, option_id: str) -> Option:
    option = session.get(Option, option_id)
    if option is None or caller.provider_id is None or option.provider_id != caller.provider_id:
        raise Problem(404, NOT_YOURS)
    return option


def _history(session: Session, option_id: str, limit: int, offset: int, *,
             names_of: str | None = None) -> ChangePage:
    """A page of the option's history. With ``names_of`` (a provider id), only that
    provider's own accounts are named; anyone else (a social worker who took a seat, staff
    who committed a plan) shows as their role: a provider has no need to know who they are."""
    total = session.scalar(select(func.count()).select_from(OptionChange)
                           .where(OptionChange.option_id == option_id))
    rows = session.execute(
        select(OptionChange, User.username, User.role, User.provider_id)
        .outerjoin(User, User.user_id == OptionChange.user_id)
        .where(OptionChange.option_id == option_id)
        .order_by(OptionChange.at.desc(), OptionChange.change_id.desc())
        .limit(limit).offset(offset)).all()
    items = []
    for c, name, role, provider in rows:
        named = names_of is None or (role == "provider" and provider == names_of)
        items.append(ChangeOut(change_id=c.change_id, at=c.at, username=name if named else None,
                               actor=role, field=c.field, old=c.old_value, new=c.new_value,
                               cause=c.cause))
    return ChangePage(option_id=option_id, items=items, total=int(total or 0))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def _wanted_version(if_match: str | None) -> int:
    if if_match is None or not if_match.strip() or if_match.strip() == "*":
        raise Problem(428, "send the option's version in an If-Match header: the ETag of "
                           'GET /v1/my/options/{option_id}, e.g. If-Match: "3"',
                      field="header.If-Match")
    found = _VERSION.match(if_match)
    if found is None:
        raise Problem(412, "If-Match must be the option's version from GET "
                           '/v1/my/options/{option_id}, e.g. "3"; nothing was changed',
                      field="header.If-Match")
    return int(found.group(1))


Limit = page_limit(200)


@router.get("/my/options", response_model=OptionPage, dependencies=[PROVIDER])
def my_options(session: SessionDep, caller: CallerDep, limit: Limit = 50,
               offset: Offset = 0) -> OptionPage:
    """The options of the caller's provider."""
    query = select(Option).where(Option.provider_id == caller.provider_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Option.option_id).limit(limit).offset(offset)).all()
    audit.record(session, caller, "read", "option", None, {"count": len(rows), "total": total})
    session.commit()
    return OptionPage(items=options_out(session, rows), total=int(total))


@router.get("/my/options/{option_id}", response_model=OptionOut, dependencies=[PROVIDER],
            responses=problem_responses(404))
def my_option(option_id: OptionId, response: Response, session: SessionDep,
              caller: CallerDep) -> OptionOut:
    """One of the caller's options, with its version as the ETag (send it back in If-Match)."""
    option = _mine(session, caller, option_id)
    audit.record(session, caller, "read", "option", option_id)
    session.commit()
    response.headers["ETag"] = etag(option.version)
    return options_out(session, [option])[0]


@router.patch("/my/options/{option_id}", response_model=OptionOut, dependencies=[PROVIDER],
              responses=problem_responses(404, 412, 428))
def update_my_option(option_id: OptionId, body: OptionUpdate, response: Response,
                     session: SessionDep, caller: CallerDep,
                     if_match: Annotated[str | None, Header(
                         max_length=100, description='The version from GET, e.g. "3".')] = None,
                     ) -> OptionOut:
    """Change seats, start date, duration, cost or wage of one of the caller's options.

    Sending the values the option already holds confirms them: nothing changes but the
    history, which records the confirmation (field ``confirmed``).
    """
    option = _mine(session, caller, option_id)
    version = _wanted_version(if_match)
    sent = body.model_dump(include=body.model_fields_set)
    if not sent:
        raise Problem(422, "send at least one field to change: capacity, start_date, "
                           "duration_weeks, cost_vnd or wage_vnd_day", field="body")
    if "capacity" in sent and sent["capacity"] is None:
        raise Problem(422, "capacity cannot be empty: send 0 when no seat is free",
                      field="body.capacity")
    for name in ("cost_vnd", "wage_vnd_day"):
        if sent.get(name) and not BY_CODE[option.kind].has_cost:
            raise Problem(422, f"a {option.kind} costs nothing and pays nothing: leave "
                               f"{name} empty or 0", field=f"body.{name}")
    if option.version != version:
        raise Problem(412, f"the option changed since you read it (it is now version "
                           f"{option.version}): GET it again; nothing was changed",
                      field="header.If-Match")
    changed = {name: value for name, value in sent.items()
               if value != getattr(option, name)}
    if "start_date" in changed:
        start = changed["start_date"]
        if start is None and option.kind == "training":
            raise Problem(422, "a training course needs a start date", field="body.start_date")
        if start is not None and start < date.today():
            raise Problem(422, f"the start date must be today ({date.today().isoformat()}) "
                               "or later", field="body.start_date")
    old = {name: getattr(option, name) for name in changed}
    if changed:
        done = session.execute(
            update(Option)
            .where(Option.option_id == option_id, Option.provider_id == caller.provider_id,
                   Option.version == version)
            .values(**changed, version=Option.version + 1)
            .execution_options(synchronize_session=False))
        if done.rowcount != 1:
            # Someone else wrote between our read and our update: theirs stands.
            session.rollback()
            raise Problem(412, "the option changed while you were saving: GET it again; "
                               "nothing was changed", field="header.If-Match")
        for name, value in changed.items():
            session.add(OptionChange(option_id=option_id, user_id=caller.user_id, field=name,
                                     old_value=_text(old[name]), new_value=_text(value),
                                     cause="provider"))
        if SEAT_FIELDS & changed.keys():
            generations.bump(session, generations.CAPACITY)
        if changed.keys() - SEAT_FIELDS:
            generations.bump(session, generations.CATALOG)
    else:
        # Nothing differs: the provider confirms the values are still right. Kept in the
        # history so that "last updated by the provider" moves (the 30-day reminder).
        session.add(OptionChange(option_id=option_id, user_id=caller.user_id,
                                 field="confirmed", old_value=None, new_value=None,
                                 cause="provider"))
    audit.record(session, caller, "update", "option", option_id,
                 {"fields": sorted(changed), "version": version})
    session.commit()
    option = session.get(Option, option_id, populate_existing=True)
    response.headers["ETag"] = etag(option.version)
    return options_out(session, [option])[0]


@router.get("/my/options/{option_id}/history", response_model=ChangePage,
            dependencies=[PROVIDER], responses=problem_responses(404))
def my_option_history(option_id: OptionId, session: SessionDep, caller: CallerDep,
                      limit: Limit = 50, offset: Offset = 0) -> ChangePage:
    """Every change of one of the caller's options, newest first."""
    _mine(session, caller, option_id)
    page = _history(session, option_id, limit, offset, names_of=caller.provider_id)
    audit.record(session, caller, "read", "option_history", option_id,
                 {"count": len(page.items)})
    session.commit()
    return page


@router.get("/options/{option_id}/history", response_model=ChangePage,
            dependencies=[allow("programme_staff", "admin")], responses=problem_responses(404))
def option_history(option_id: OptionId, session: SessionDep, caller: CallerDep,
                   limit: Limit = 50, offset: Offset = 0) -> ChangePage:
    """Every change of an option (seats taken, provider edits, imports), newest first."""
    if session.get(Option, option_id) is None:
        raise Problem(404, "no such option")
    page = _history(session, option_id, limit, offset)
    audit.record(session, caller, "read", "option_history", option_id,
                 {"count": len(page.items)})
    session.commit()
    return page
