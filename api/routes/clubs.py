"""Support clubs: the clubs near a client, referrals with consent, the three-month check.

The social worker (and programme staff, reading) sees a client's short list of clubs beside
the suggestions; the social worker refers with the client's consent, which takes one of the
club's places when it counts them (matcher.store.seats, the same conditional UPDATE as every
seat), and records three months on whether the client still attends. A club's provider sees
who was referred to it: name, gender, age, home place and sign language, which the client
agreed to share with this club; never the client's group, although a club serving one group
tells by its nature, which is why the referral needs the client's consent.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import audit
from api.deps import Caller, CallerDep, SessionDep, allow
from api.errors import Problem, problem_responses
from api.routes.clients import ClientId, visible_client, visible_profile
from api.routes.directory import place_name
from api.routes.referrals import shared_client
from api.routing import ReleasingRoute
from api.schemas.bounds import Offset, page_limit
from api.schemas.clients import ID_PATTERN
from api.schemas.clubs import (
    ClientClubs,
    ClubCheckIn,
    ClubMemberOut,
    ClubMemberPage,
    ClubReferralIn,
    ClubReferralOut,
    NearbyClubOut,
)
from matcher.matching.clubs import load_clubs, nearby_clubs
from matcher.store.seats import reserve_seat
from matcher.store.tables import Client, ClubReferral, Option, Provider
from matcher.vocab.kinds import CLUB_CODES
from matcher.vocab.places import load_place_index

router = APIRouter(route_class=ReleasingRoute, prefix="/v1", tags=["clubs"],
                   responses=problem_responses(400, 401, 403, 422))

ReferralId = Annotated[str, Path(pattern=ID_PATTERN, description="a club referral id")]
CASEWORK = allow("social_worker", "programme_staff")
SOCIAL_WORKER = allow("social_worker")
#: The three-month check can be recorded from twelve weeks after the referral.
CHECK_AFTER = timedelta(weeks=12)


def referral_out(row) -> ClubReferralOut:
    return ClubReferralOut(
        referral_id=row.referral_id, client_id=row.client_id, option_id=row.option_id,
        title=row.title, provider_name=row.name, referred_on=row.referred_on,
        check_due_on=row.referred_on + CHECK_AFTER, attending_3m=row.attending_3m,
        checked_on=row.checked_on)


def _referrals(session: Session, client_id: str) -> list[ClubReferralOut]:
    rows = session.execute(
        select(ClubReferral.referral_id, ClubReferral.client_id, ClubReferral.option_id,
               Option.title, Provider.name, ClubReferral.referred_on, ClubReferral.attending_3m,
               ClubReferral.checked_on)
        .join(Option, Option.option_id == ClubReferral.option_id)
        .join(Provider, Provider.provider_id == Option.provider_id)
        .where(ClubReferral.client_id == client_id)
        .order_by(ClubReferral.referred_on.desc(), ClubReferral.referral_id)).all()
    return [referral_out(r) for r in rows]


def client_clubs(session: Session, caller: Caller, client_id: str) -> ClientClubs:
    """The clubs that would take the client, nearest first, and the clubs it was sent to."""
    profile = visible_profile(session, caller, client_id)
    referrals = _referrals(session, client_id)
    places = load_place_index()
    clubs = load_clubs(session)
    near = nearby_clubs(profile, clubs, places,
                        leave_out=frozenset(r.option_id for r in referrals))
    note = None
    if clubs.empty:
        note = "no clubs are registered yet"
    elif not near:
        note = "no club within the client's travel limit would take them"
    return ClientClubs(nearby=[NearbyClubOut(
        option_id=c.option_id, title=c.title, provider_name=c.provider_name,
        place_id=c.place_id, place_name=place_name(c.place_id), distance_km=c.distance_km,
        places_left=c.places_left, women_only=c.women_only, sign_language=c.sign_language,
        groups=list(c.groups)) for c in near], referrals=referrals, note=note)


@router.get("/clients/{client_id}/clubs", response_model=ClientClubs, dependencies=[CASEWORK],
            responses=problem_responses(404))
def read_client_clubs(client_id: ClientId, session: SessionDep,
                      caller: CallerDep) -> ClientClubs:
    """The support clubs near the client that would take them, and its club referrals."""
    found = client_clubs(session, caller, client_id)
    audit.record(session, caller, "read", "club_list", client_id,
                 {"nearby": len(found.nearby), "referrals": len(found.referrals)})
    session.commit()
    return found


def refer(session: Session, caller: Caller, client_id: str,
          body: ClubReferralIn) -> ClubReferralOut:
    """Refer the client to a club with consent; takes a place when the club counts them."""
    profile = visible_profile(session, caller, client_id)
    if not body.consent:
        raise Problem(422, "the client must agree to join and to the club knowing their name, "
                           "age and home place", field="body.consent")
    option = session.get(Option, body.option_id)
    if option is None or option.kind not in CLUB_CODES:
        raise Problem(422, f"{body.option_id} is not a club", field="body.option_id")
    taken = session.scalar(select(ClubReferral.referral_id).where(
        ClubReferral.client_id == client_id, ClubReferral.option_id == body.option_id))
    if taken is not None:
        raise Problem(409, f"the client was already referred to {body.option_id}",
                      field="body.option_id")
    clubs = load_clubs(session)
    one = clubs[clubs["option_id"] == body.option_id]
    if not option.unlimited and option.capacity <= 0:
        raise Problem(409, f"{body.option_id} has no place left", field="body.option_id")
    if not nearby_clubs(profile, one, load_place_index()):
        raise Problem(409, f"{body.option_id} would not take this client (the groups it "
                           "serves, its ages, women only, sign language or the travel limit)",
                      field="body.option_id")
    if not option.unlimited and not reserve_seat(session, body.option_id,
                                                 user_id=caller.user_id, cause="club_referral"):
        session.rollback()
        raise Problem(409, f"{body.option_id} has no place left", field="body.option_id")
    referral = ClubReferral(referral_id=uuid.uuid4().hex, client_id=client_id,
                            option_id=body.option_id, referred_on=date.today(),
                            referred_by=caller.user_id)
    session.add(referral)
    try:
        session.flush()
    except IntegrityError:  # the same referral made at the same moment by another request
        session.rollback()
        raise Problem(409, f"the client was already referred to {body.option_id}",
                      field="body.option_id") from None
    audit.record(session, caller, "refer", "club_referral", referral.referral_id,
                 {"client_id": client_id, "option_id": body.option_id})
    session.commit()
    return next(r for r in _referrals(session, client_id)
                if r.referral_id == referral.referral_id)


@router.post("/clients/{client_id}/club-referrals", response_model=ClubReferralOut,
             status_code=201, dependencies=[SOCIAL_WORKER], responses=problem_responses(404, 409))
def create_club_referral(client_id: ClientId, body: ClubReferralIn, session: SessionDep,
                         caller: CallerDep) -> ClubReferralOut:
    """Refer a client of the caller's caseload to a support club, with the client's consent."""
    return refer(session, caller, client_id, body)


def record_check(session: Session, caller: Caller, referral_id: str,
                 body: ClubCheckIn) -> ClubReferralOut:
    """Whether the client still attends three months on; recorded once."""
    referral = session.get(ClubReferral, referral_id)
    if referral is None:
        raise Problem(404, f"no club referral {referral_id} in your caseload",
                      field="referral_id")
    visible_client(session, caller, referral.client_id)  # 404 for another caseload
    if referral.checked_on is not None:
        raise Problem(409, f"the three-month check of {referral_id} was recorded on "
                           f"{referral.checked_on}", field="referral_id")
    due = referral.referred_on + CHECK_AFTER
    if body.checked_on < due:
        raise Problem(422, f"the three-month check can be recorded from {due} (twelve weeks "
                           f"after the referral on {referral.referred_on})",
                      field="body.checked_on")
    if body.checked_on > date.today():
        raise Problem(422, f"checked_on {body.checked_on} is in the future",
                      field="body.checked_on")
    referral.attending_3m, referral.checked_on = body.attending, body.checked_on
    audit.record(session, caller, "check", "club_referral", referral_id,
                 {"client_id": referral.client_id})
    session.commit()
    return next(r for r in _referrals(session, referral.client_id)
                if r.referral_id == referral_id)


@router.post("/club-referrals/{referral_id}/check", response_model=ClubReferralOut,
             dependencies=[SOCIAL_WORKER], responses=problem_responses(404, 409))
def check_club_referral(referral_id: ReferralId, body: ClubCheckIn, session: SessionDep,
                        caller: CallerDep) -> ClubReferralOut:
    """Record the three-month check of a club referral: is the client still attending?"""
    return record_check(session, caller, referral_id, body)


def club_members(session: Session, caller: Caller, limit: int, offset: int) -> ClubMemberPage:
    """The referrals to the caller's clubs, newest first: what the clients agreed to share."""
    if caller.provider_id is None:
        return ClubMemberPage(items=[], total=0)
    base = (select(ClubReferral.referral_id, ClubReferral.option_id, Option.title,
                   ClubReferral.referred_on, Client.full_name, Client.gender,
                   Client.birth_date, Client.place_id, Client.disability)
            .join(Option, Option.option_id == ClubReferral.option_id)
            .join(Client, Client.client_id == ClubReferral.client_id)
            .where(Option.provider_id == caller.provider_id))
    total = int(session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    rows = session.execute(base.order_by(ClubReferral.referred_on.desc(),
                                         ClubReferral.referral_id)
                           .limit(limit).offset(offset)).all()
    today = date.today()
    items = [ClubMemberOut(
        referral_id=r.referral_id, option_id=r.option_id, title=r.title,
        referred_on=r.referred_on, client=shared_client(r, today)) for r in rows]
    audit.record(session, caller, "read", "club_referral", None,
                 {"referrals": [r.referral_id for r in rows], "total": total})
    session.commit()
    return ClubMemberPage(items=items, total=total)


@router.get("/my/club-referrals", response_model=ClubMemberPage,
            dependencies=[allow("provider")])
def my_club_referrals(session: SessionDep, caller: CallerDep,
                      limit: page_limit(200) = 50, offset: Offset = 0) -> ClubMemberPage:
    """The clients referred to the caller's clubs (a provider of no club: none)."""
    return club_members(session, caller, limit, offset)
