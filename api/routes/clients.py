"""Clients: create, read, update and search, within the social worker's own caseload.

A social worker sees only the clients whose ``caseworker_id`` is their own user id; any other
client answers 404, as if it did not exist, and never shows up in a search. Programme staff
read and search every client and move clients between caseloads, but do not edit them.
Providers and admins have no access to clients here (403). Each read and change is audited
with ids and field names only. Saving a client does not bump the matcher's generations:
the matcher reads a client's profile per request.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy import and_, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import audit
from api.deps import Caller, CallerDep, SessionDep, allow
from api.errors import Problem, problem_responses
from api.routes.directory import place_name
from api.routing import ReleasingRoute
from api.schemas.bounds import Offset, page_limit
from api.schemas.clients import (
    ID_PATTERN,
    NOT_NULL,
    CaseworkerIn,
    ClientCreate,
    ClientOut,
    ClientPage,
    ClientSearch,
    ClientSummary,
    ClientUpdate,
    age_on,
)
from matcher.store import generations
from matcher.store.profiles import ClientProfile
from matcher.store.tables import Client, User
from matcher.vocab.text import fold

router = APIRouter(route_class=ReleasingRoute, prefix="/v1/clients", tags=["clients"],
                   dependencies=[allow("social_worker", "programme_staff")],
                   responses=problem_responses(400, 401, 403))

ClientId = Annotated[str, Path(pattern=ID_PATTERN, description="a client id, e.g. KH00001")]

# API field name -> table attribute, where they differ.
COLUMN = {"group": "group_code", "place": "place_id"}
_KH = re.compile(r"KH(\d+)", re.ASCII)
_ID_ATTEMPTS = 5


# --- shared with the suggestion and placement routes -------------------------------------


def visible_client(session: Session, caller: Caller, client_id: str) -> Client:
    """The client if the caller may see it; 404 otherwise (other caseloads do not exist)."""
    client = session.get(Client, client_id)
    if client is None or not may_see(caller, client.caseworker_id):
        raise not_in_caseload(client_id)
    return client


def visible_profile(session: Session, caller: Caller, client_id: str) -> ClientProfile:
    """The profile of a client the caller may see, from one plain read of the row (no ORM
    object: suggestions are the busiest route); 404 as :func:`visible_client`."""
    table = Client.__table__
    row = session.execute(select(table).where(table.c.client_id == client_id)).first()
    if row is None or not may_see(caller, row.caseworker_id):
        raise not_in_caseload(client_id)
    return ClientProfile.from_record(row)


def not_in_caseload(client_id: str) -> Problem:
    """The one answer for a client that is not there and one of another caseload."""
    return Problem(404, f"no client {client_id} in your caseload", field="client_id")


def may_see(caller: Caller, caseworker_id: int | None) -> bool:
    if caller.role == "programme_staff":
        return True
    return caller.role == "social_worker" and caseworker_id == caller.user_id


def check_registered(birth_date, registered_on, prefix: str = "body") -> None:
    """The registration lies between the birth date and today (checked when both are known)."""
    if registered_on is not None and registered_on < birth_date:
        raise Problem(422, f"registered_on {registered_on} is before the birth date",
                      field=f"{prefix}.registered_on")


def client_out(client: Client) -> ClientOut:
    return ClientOut(
        client_id=client.client_id, full_name=client.full_name, birth_date=client.birth_date,
        age=age_on(client.birth_date, date.today()), gender=client.gender,
        group=client.group_code, place_id=client.place_id, place=place_name(client.place_id),
        education=client.education, disability=client.disability,
        interests=client.interests, skills=client.skills, max_travel_km=client.max_travel_km,
        needs_women_only=bool(client.needs_women_only),
        household_poor=bool(client.household_poor),
        ethnic_minority=bool(client.ethnic_minority), married=bool(client.married),
        prior_income_vnd_month=client.prior_income_vnd_month,
        consent_share=bool(client.consent_share), registered_on=client.registered_on,
        notes=client.notes, caseworker_id=client.caseworker_id,
        created_at=client.created_at, updated_at=client.updated_at)


def name_or_id(q: str | None) -> tuple[list, list]:
    """The conditions and the ordering that find clients by name (with or without diacritics:
    every folded word in the folded name) or by the start of their id, an exact name first.

    Shared by the API's search and the pages' client lists. Empty text matches everyone.
    """
    if not q or not q.strip():
        return [], []
    folded = fold(q)
    by_name = [Client.full_name_folded.like(f"%{w}%") for w in folded.split()]  # fold drops % _
    raw = q.strip().upper()
    escaped = raw.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    by_id = func.upper(Client.client_id).like(f"{escaped}%", escape="\\")
    return ([by_id if not by_name else (by_id | and_(*by_name))],
            [case((Client.full_name_folded == folded, 0), else_=1)])


def _summary(client: Client) -> ClientSummary:
    return ClientSummary(client_id=client.client_id, full_name=client.full_name,
                         birth_date=client.birth_date, gender=client.gender,
                         place_id=client.place_id, place=place_name(client.place_id),
                         caseworker_id=client.caseworker_id)


def _store(client: Client, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name in ("full_name", "notes", "interests", "skills", "education") and value == "":
            value = None
        setattr(client, COLUMN.get(name, name), value)
        if name == "full_name":
            client.full_name_folded = fold(value) if value else None


def _next_client_id(session: Session) -> str:
    """KH + one more than the highest KH number in use (a race is retried by the caller)."""
    ids = session.scalars(select(Client.client_id).where(Client.client_id.like("KH%"))
                          .order_by(func.length(Client.client_id).desc(),
                                    Client.client_id.desc()).limit(50))
    numbers = [int(m.group(1)) for i in ids if (m := _KH.fullmatch(i))]
    return f"KH{max(numbers, default=0) + 1:05d}"


# --- routes ------------------------------------------------------------------------------


@router.post("", response_model=ClientOut, status_code=201, dependencies=[allow("social_worker")],
             responses=problem_responses(409, 422))
def create_client(body: ClientCreate, session: SessionDep, caller: CallerDep) -> ClientOut:
    """Register a client in the caller's caseload."""
    values = body.model_dump(exclude={"client_id"})
    check_registered(body.birth_date, body.registered_on)
    for _attempt in range(_ID_ATTEMPTS):
        client_id = body.client_id or _next_client_id(session)
        if body.client_id and session.get(Client, client_id) is not None:
            raise Problem(409, f"client id {client_id} is taken", field="body.client_id")
        client = Client(client_id=client_id, caseworker_id=caller.user_id)
        _store(client, values)
        session.add(client)
        audit.record(session, caller, "create", "client", client_id,
                     {"fields": sorted(body.model_fields_set - {"client_id"})})
        generations.bump(session, generations.WAITING)
        try:
            session.commit()
        except IntegrityError:
            # Another request took this id between the look-up and the insert.
            session.rollback()
            if body.client_id:
                raise Problem(409, f"client id {client_id} is taken",
                              field="body.client_id") from None
            continue
        return client_out(client)
    raise Problem(409, "could not allocate a client id: try again", field="body.client_id")


@router.get("", response_model=ClientPage, responses=problem_responses(422))
def list_clients(
    session: SessionDep, caller: CallerDep,
    q: Annotated[str | None, Query(max_length=200, include_in_schema=False)] = None,
    limit: page_limit(100) = 20,
    offset: Offset = 0,
) -> ClientPage:
    """The clients the caller may see, by id; to search by name, POST /v1/clients/search."""
    if q is not None:
        # A name in a URL stays in proxy and server logs and in the browser's history.
        raise Problem(422, "search by POST /v1/clients/search with the words in a JSON body "
                           '({"q": ...}): a name must not travel in a URL', field="query.q")
    return _search(session, caller, ClientSearch(limit=limit, offset=offset))


@router.post("/search", response_model=ClientPage, responses=problem_responses(422))
def search_clients(body: ClientSearch, session: SessionDep, caller: CallerDep) -> ClientPage:
    """Search the clients the caller may see, by name or the start of an id (in the body, so
    that names never reach a URL or a log)."""
    return _search(session, caller, body)


def _search(session: Session, caller: Caller, body: ClientSearch) -> ClientPage:
    where, first = name_or_id(body.q)
    if caller.role != "programme_staff":
        where.append(Client.caseworker_id == caller.user_id)
    total = session.scalar(select(func.count()).select_from(Client).where(*where)) or 0
    rows = list(session.scalars(select(Client).where(*where)
                                .order_by(*first, Client.client_id)
                                .limit(body.limit).offset(body.offset)))
    audit.record(session, caller, "search", "client", None,
                 {"n": len(rows), "client_ids": [c.client_id for c in rows]})
    session.commit()
    return ClientPage(items=[_summary(c) for c in rows], total=total, limit=body.limit,
                      offset=body.offset)


@router.get("/{client_id}", response_model=ClientOut, responses=problem_responses(404, 422))
def read_client(client_id: ClientId, session: SessionDep, caller: CallerDep) -> ClientOut:
    """One client of the caller's caseload (programme staff: any client)."""
    client = visible_client(session, caller, client_id)
    audit.record(session, caller, "read", "client", client_id)
    session.commit()
    return client_out(client)


@router.patch("/{client_id}", response_model=ClientOut, dependencies=[allow("social_worker")],
              responses=problem_responses(404, 422))
def update_client(client_id: ClientId, body: ClientUpdate, session: SessionDep,
                  caller: CallerDep) -> ClientOut:
    """Change some fields of a client; the others keep their values."""
    client = visible_client(session, caller, client_id)
    values = body.model_dump(exclude_unset=True)
    for name, value in values.items():
        if value is None and name in NOT_NULL:
            raise Problem(422, f"{name} cannot be emptied", field=f"body.{name}")
    check_registered(values.get("birth_date", client.birth_date),
                     values.get("registered_on", client.registered_on))
    changed = sorted(n for n, v in values.items()
                     if getattr(client, COLUMN.get(n, n)) != (None if v == "" else v))
    _store(client, values)
    audit.record(session, caller, "update", "client", client_id, {"fields": changed})
    if changed:
        generations.bump(session, generations.WAITING)
    session.commit()
    return client_out(client)


@router.put("/{client_id}/caseworker", response_model=ClientOut,
            dependencies=[allow("programme_staff")], responses=problem_responses(404, 422))
def move_client(client_id: ClientId, body: CaseworkerIn, session: SessionDep,
                caller: CallerDep) -> ClientOut:
    """Move a client to another social worker's caseload (programme staff)."""
    client = visible_client(session, caller, client_id)
    target = session.get(User, body.user_id)
    if target is None or not target.active or target.role != "social_worker":
        raise Problem(422, f"user {body.user_id} is not an active social worker",
                      field="body.user_id")
    before = client.caseworker_id
    client.caseworker_id = target.user_id
    audit.record(session, caller, "update", "client", client_id,
                 {"fields": ["caseworker_id"], "from_user_id": before,
                  "to_user_id": target.user_id})
    session.commit()
    return client_out(client)
