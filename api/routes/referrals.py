"""Referrals: the placements into the caller's provider's options.

Only what the provider needs, and only of clients who consented to share (consent_share):
name, gender, age, home place, and whether sign language is needed. Of anyone else the
provider gets a reference (the placement id) and nothing personal. The query below reads
just those columns, so group, notes, history, caseworker and income never leave the store.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from api import audit
from api.deps import Caller, CallerDep, SessionDep, allow
from api.errors import Problem, problem_responses
from api.routes.directory import place_name
from api.routing import ReleasingRoute
from api.schemas.bounds import Offset, page_limit
from api.schemas.clients import ID_PATTERN, age_on
from api.schemas.referrals import ReferralOut, ReferralPage, SharedClient, WithheldClient
from matcher.store.tables import Client, Option, Placement, ReferralAnswer

router = APIRouter(route_class=ReleasingRoute, prefix="/v1/my/referrals", tags=["referrals"],
                   dependencies=[allow("provider")],
                   responses=problem_responses(401, 403, 422))

NOT_YOURS = "no such referral among your provider's options"
PlacementId = Annotated[str, Path(pattern=ID_PATTERN, description="a placement id")]


def _columns() -> Select:
    # Exactly the columns a provider may see; nothing else of the client is read.
    return (
        select(Placement.placement_id, Placement.option_id, Option.title, Placement.start_date,
               Placement.status, Client.consent_share, Client.full_name, Client.gender,
               Client.birth_date, Client.place_id, Client.disability,
               ReferralAnswer.answer, ReferralAnswer.reason_code.label("answer_reason"))
        .join(Option, Option.option_id == Placement.option_id)
        .join(Client, Client.client_id == Placement.client_id)
        .outerjoin(ReferralAnswer, ReferralAnswer.placement_id == Placement.placement_id)
    )


def query_of(caller: Caller) -> Select:
    return _columns().where(Option.provider_id == caller.provider_id)


def referral_preview(session: Session, placement_id: str) -> ReferralOut | None:
    """The referral exactly as the option's provider sees it (for the social worker's page)."""
    row = session.execute(_columns().where(Placement.placement_id == placement_id)).first()
    return None if row is None else _out(row, date.today())


def shared_client(row, today: date) -> SharedClient:
    """What a client agreed to share with a provider, from a row of the columns read above
    (full_name, gender, birth_date, place_id, disability); nothing else of the client."""
    return SharedClient(full_name=row.full_name, gender=row.gender,
                        age=age_on(row.birth_date, today), place_name=place_name(row.place_id),
                        needs_sign_language=row.disability == "deaf")


def _out(row, today: date) -> ReferralOut:
    if row.consent_share:
        client: SharedClient | WithheldClient = shared_client(row, today)
    else:
        client = WithheldClient(reference=row.placement_id)
    return ReferralOut(placement_id=row.placement_id, option_id=row.option_id,
                       option_title=row.title, start_date=row.start_date, status=row.status,
                       client=client, answer=row.answer, answer_reason=row.answer_reason)


def read_rows(session: Session, caller: Caller, query: Select) -> list:
    if caller.provider_id is None:
        return []
    return list(session.execute(query).all())


@router.get("", response_model=ReferralPage)
def my_referrals(session: SessionDep, caller: CallerDep,
                 limit: page_limit(200) = 50,
                 offset: Offset = 0) -> ReferralPage:
    """The placements into the caller's options, newest start first."""
    base = query_of(caller)
    total = 0
    if caller.provider_id is not None:
        total = int(session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    rows = read_rows(session, caller, base.order_by(Placement.start_date.desc(),
                                                Placement.placement_id)
                 .limit(limit).offset(offset))
    today = date.today()
    items = [_out(r, today) for r in rows]
    audit.record(session, caller, "read", "placement", None,
                 {"placements": [r.placement_id for r in rows], "total": total,
                  "shared": sum(1 for r in rows if r.consent_share)})
    session.commit()
    return ReferralPage(items=items, total=total)


@router.get("/{placement_id}", response_model=ReferralOut, responses=problem_responses(404))
def my_referral(placement_id: PlacementId, session: SessionDep, caller: CallerDep) -> ReferralOut:
    """One placement into the caller's options (another provider's: 404)."""
    rows = read_rows(session, caller,
                     query_of(caller).where(Placement.placement_id == placement_id))
    if not rows:
        raise Problem(404, NOT_YOURS)
    row = rows[0]
    audit.record(session, caller, "read", "placement", placement_id,
                 {"shared": bool(row.consent_share)})
    session.commit()
    return _out(row, date.today())
