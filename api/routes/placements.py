"""Decisions on suggestions, placements and their outcomes, follow-ups of clients not placed.

Accepting a suggestion takes a seat and creates the placement in one short transaction, after
every read and check is done (see :func:`decide`). A seat is only ever taken by
:func:`matcher.store.seats.reserve_seat` (one conditional UPDATE), so 200 requests for the
last seats give exactly as many placements as there were seats, and a 409 to the others.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import audit
from api.deps import Caller, CallerDep, SessionDep, allow
from api.errors import Problem, problem_responses
from api.matching import cache
from api.routes.clients import ClientId, may_see, visible_client
from api.routes.suggestions import SuggestionId, visible_suggestion
from api.routing import ReleasingRoute
from api.schemas.bounds import Offset, page_limit
from api.schemas.clients import ID_PATTERN, PlacementStatusName
from api.schemas.placements import (
    CheckOut,
    DecisionIn,
    DecisionOut,
    FollowUpIn,
    FollowUpOut,
    OutcomeIn,
    OutcomeOut,
    PlacementDetail,
    PlacementOut,
    PlacementPage,
    ProviderAnswerOut,
)
from matcher.store import generations
from matcher.store.profiles import load_profile
from matcher.store.seats import release_seat, reserve_seat
from matcher.store.tables import (
    Client,
    Decision,
    FollowUp,
    Option,
    Placement,
    PlacementCheck,
    ReferralAnswer,
    Suggestion,
)

router = APIRouter(route_class=ReleasingRoute, prefix="/v1", tags=["placements"],
                   dependencies=[allow("social_worker", "programme_staff")],
                   responses=problem_responses(400, 401, 403))

PlacementId = Annotated[str, Path(pattern=ID_PATTERN, description="a placement id")]
SOCIAL_WORKER = allow("social_worker")
# An accepted start may be recorded late, or lie ahead with the option's next intake.
START_PAST = timedelta(days=366)
START_AHEAD = timedelta(days=2 * 366)


# --- decisions ---------------------------------------------------------------------------


@router.post("/suggestions/{suggestion_id}/decisions", response_model=DecisionOut,
             status_code=201, dependencies=[SOCIAL_WORKER],
             responses=problem_responses(404, 409, 422))
def decide(suggestion_id: SuggestionId, body: DecisionIn, session: SessionDep,
           caller: CallerDep) -> DecisionOut:
    """Accept one suggested option (takes a seat, creates the placement) or decline it."""
    found = visible_suggestion(session, caller, suggestion_id)
    if body.option_id not in {e.get("option_id") for e in found.entries or []}:
        raise Problem(422, f"option {body.option_id} is not in suggestion {suggestion_id}",
                      field="body.option_id")
    if body.decision == "declined":
        return _decline(session, caller, found, body)
    return _accept(session, caller, found, body)


def _decline(session: Session, caller: Caller, found: Suggestion,
             body: DecisionIn) -> DecisionOut:
    if body.reason_code is None:
        raise Problem(422, "a decline needs a reason_code: too_far, not_interested, "
                           "not_eligible, no_capacity, unreachable or other",
                      field="body.reason_code")
    text = (body.reason_text or "").strip() or None
    if body.reason_code == "other" and text is None:
        raise Problem(422, "reason_code other needs a reason_text", field="body.reason_text")
    if body.start_date is not None:
        raise Problem(422, "start_date is for an accept only", field="body.start_date")
    decision = Decision(suggestion_id=found.suggestion_id, option_id=body.option_id,
                        decision="declined", reason_code=body.reason_code, reason_text=text,
                        user_id=caller.user_id)
    session.add(decision)
    session.flush()
    audit.record(session, caller, "decline", "suggestion", str(found.suggestion_id),
                 {"client_id": found.client_id, "option_id": body.option_id,
                  "decision_id": decision.decision_id, "reason_code": body.reason_code})
    session.commit()
    return DecisionOut(decision_id=decision.decision_id, suggestion_id=found.suggestion_id,
                       option_id=body.option_id, decision="declined")


def _accept(session: Session, caller: Caller, found: Suggestion,
            body: DecisionIn) -> DecisionOut:
    if body.reason_code is not None or body.reason_text is not None:
        raise Problem(422, "a reason is for a decline only", field="body.reason_code")
    if found.client_id is None:
        raise Problem(409, "this list was for an unsaved profile: save the client first, "
                           "then ask for suggestions again", field="suggestion_id")
    if _accepted(session, found.suggestion_id):
        raise Problem(409, f"suggestion {found.suggestion_id} was already accepted",
                      field="suggestion_id")
    option = session.get(Option, body.option_id)
    if option is None:
        raise Problem(409, f"option {body.option_id} is no longer offered",
                      field="body.option_id")
    start = body.start_date or option.start_date or date.today()
    if not date.today() - START_PAST <= start <= date.today() + START_AHEAD:
        raise Problem(422, f"start_date {start} must lie within a year before and two years "
                           "after today", field="body.start_date")
    # Eligibility against today's data. Capacity is left to the seat reservation below: the
    # matcher's seat counts may lag, and only the conditional UPDATE decides who gets a seat.
    try:
        why = cache.get(session).explain(load_profile(session, found.client_id),
                                         body.option_id)
    except KeyError:
        raise Problem(409, f"option {body.option_id} is no longer offered",
                      field="body.option_id") from None
    failed = [r for r in why["failed_rules"] if r["code"] != "no_capacity"]
    if failed:
        rules = "; ".join(f"{r['en']} ({r['code']})" for r in failed)
        raise Problem(409, f"the client is no longer eligible for {body.option_id}: {rules}",
                      field="body.option_id")
    client_id, option_id = found.client_id, body.option_id

    # The write transaction: nothing but writes and reads of rows it has locked, so that it
    # is short (SQLite holds its one write lock for it; the busy timeout queues the others).
    # 1. A no-op UPDATE of the suggestion row locks it: on PostgreSQL, a second accept of the
    #    same list waits here until the first commits, and then sees its decision; on SQLite
    #    the first write takes the database's write lock, which serialises them the same way.
    session.execute(update(Suggestion).where(Suggestion.suggestion_id == found.suggestion_id)
                    .values(model_version=Suggestion.model_version)
                    .execution_options(synchronize_session=False))
    # 2. Checked again under that lock: the list is accepted at most once.
    if _accepted(session, found.suggestion_id):
        session.rollback()
        raise Problem(409, f"suggestion {found.suggestion_id} was already accepted",
                      field="suggestion_id")
    # 3. The seat: one conditional UPDATE; False means none was left, and nothing is written.
    if not reserve_seat(session, option_id, user_id=caller.user_id, cause="placement"):
        session.rollback()
        raise Problem(409, f"no seat left in {option_id}", field="body.option_id")
    placement = Placement(placement_id=f"PL{uuid.uuid4().hex[:12].upper()}",
                          client_id=client_id, option_id=option_id, start_date=start,
                          status="ongoing", suggestion_id=found.suggestion_id,
                          created_by=caller.user_id)
    decision = Decision(suggestion_id=found.suggestion_id, option_id=option_id,
                        decision="accepted", user_id=caller.user_id)
    session.add_all([placement, decision])
    session.flush()
    seats_left = session.scalar(select(Option.capacity).where(Option.option_id == option_id))
    audit.record(session, caller, "accept", "suggestion", str(found.suggestion_id),
                 {"client_id": client_id, "option_id": option_id,
                  "decision_id": decision.decision_id, "placement_id": placement.placement_id})
    audit.record(session, caller, "create", "placement", placement.placement_id,
                 {"client_id": client_id, "option_id": option_id})
    session.commit()
    cache.refresh_in_background(session)  # a seat is gone and a client placed
    return DecisionOut(decision_id=decision.decision_id, suggestion_id=found.suggestion_id,
                       option_id=option_id, decision="accepted",
                       placement_id=placement.placement_id, seats_left=seats_left)


def _accepted(session: Session, suggestion_id: int) -> bool:
    return session.scalar(select(Decision.decision_id).where(
        Decision.suggestion_id == suggestion_id, Decision.decision == "accepted").limit(1)
    ) is not None


# --- placements --------------------------------------------------------------------------


def _out(p: Placement) -> PlacementOut:
    return PlacementOut(placement_id=p.placement_id, client_id=p.client_id,
                        option_id=p.option_id, start_date=p.start_date, status=p.status,
                        success=p.success, income_vnd_day=p.income_vnd_day,
                        followed_up_on=p.followed_up_on, suggestion_id=p.suggestion_id,
                        plan_id=p.plan_id, created_by=p.created_by, created_at=p.created_at)


def _visible_placement(session: Session, caller: Caller, placement_id: str) -> Placement:
    found = session.get(Placement, placement_id)
    if found is None or not may_see(caller, session.scalar(
            select(Client.caseworker_id).where(Client.client_id == found.client_id))):
        raise Problem(404, f"no placement {placement_id} in your caseload",
                      field="placement_id")
    return found


@router.get("/placements", response_model=PlacementPage, responses=problem_responses(422))
def list_placements(
    session: SessionDep, caller: CallerDep,
    client_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    option_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    status: PlacementStatusName | None = None,
    limit: page_limit(200) = 50,
    offset: Offset = 0,
) -> PlacementPage:
    """Placements of the caller's caseload (programme staff: all), newest first."""
    where = []
    if caller.role != "programme_staff":
        where.append(Placement.client_id.in_(
            select(Client.client_id).where(Client.caseworker_id == caller.user_id)))
    if client_id:
        where.append(Placement.client_id == client_id)
    if option_id:
        where.append(Placement.option_id == option_id)
    if status:
        where.append(Placement.status == status)
    total = session.scalar(select(func.count()).select_from(Placement).where(*where)) or 0
    rows = list(session.scalars(select(Placement).where(*where)
                                .order_by(Placement.start_date.desc(),
                                          Placement.placement_id.desc())
                                .limit(limit).offset(offset)))
    audit.record(session, caller, "search", "placement", None,
                 {"n": len(rows), "placement_ids": [p.placement_id for p in rows]})
    session.commit()
    return PlacementPage(items=[_out(p) for p in rows], total=total, limit=limit,
                         offset=offset)


@router.get("/placements/{placement_id}", response_model=PlacementDetail,
            responses=problem_responses(404, 422))
def read_placement(placement_id: PlacementId, session: SessionDep,
                   caller: CallerDep) -> PlacementDetail:
    """One placement of the caller's caseload (programme staff: any), with its follow-ups."""
    found = _visible_placement(session, caller, placement_id)
    out = PlacementDetail(**_out(found).model_dump(),
                          checks=placement_checks(session, placement_id),
                          answer=provider_answer(session, placement_id))
    audit.record(session, caller, "read", "placement", placement_id,
                 {"client_id": found.client_id})
    session.commit()
    return out


@router.post("/placements/{placement_id}/outcome", response_model=OutcomeOut,
             dependencies=[SOCIAL_WORKER], responses=problem_responses(404, 409, 422))
def record_outcome(placement_id: PlacementId, body: OutcomeIn, session: SessionDep,
                   caller: CallerDep) -> OutcomeOut:
    """Record a follow-up: status, success, income; a drop before the start frees the seat."""
    found = _visible_placement(session, caller, placement_id)
    today = date.today()
    sent = body.model_fields_set
    followed = body.followed_up_on if "followed_up_on" in sent else found.followed_up_on
    success = body.success if "success" in sent else found.success
    if "followed_up_on" in sent and followed is not None:
        if followed > today:
            raise Problem(422, f"followed_up_on {followed} is in the future",
                          field="body.followed_up_on")
        if followed < found.start_date:
            raise Problem(422, f"followed_up_on {followed} is before the start date "
                               f"{found.start_date}", field="body.followed_up_on")
    if body.status == "completed" and found.start_date > today:
        raise Problem(422, f"the placement starts on {found.start_date}: it cannot be "
                           "completed yet", field="body.status")
    if body.status == "dropped" and success:
        raise Problem(422, "a dropped placement cannot be a success", field="body.success")
    if body.checkpoint_months == 3 and "success" in sent and body.success is not None:
        raise Problem(422, "success is judged at the 6-month follow-up: leave it out at 3 "
                           "months", field="body.success")
    if found.status == "not_started":
        raise Problem(409, "this referral ended before the client started (declined by the "
                           "provider, or the client never came): its seat went back; accept "
                           "a new suggestion instead", field="body.status")
    if found.status == "dropped" and body.status != "dropped":
        raise Problem(409, "a dropped placement is closed (its seat may be taken): "
                           "accept a new suggestion instead", field="body.status")
    released = False
    if body.status == "dropped" and found.status != "dropped":
        # The status change is a conditional UPDATE: of two concurrent drops only one sees
        # a row, so a seat is given back at most once.
        done = session.execute(
            update(Placement).where(Placement.placement_id == placement_id,
                                    Placement.status != "dropped")
            .values(status="dropped").execution_options(synchronize_session=False))
        if done.rowcount != 1:
            session.rollback()
            raise Problem(409, "the placement was dropped meanwhile", field="body.status")
        if today < found.start_date:
            release_seat(session, found.option_id, user_id=caller.user_id, cause="placement")
            released = True
    changed = [n for n in sorted(sent - {"checkpoint_months"})
               if getattr(found, n) != getattr(body, n)]
    found.status = body.status
    found.success = success
    found.followed_up_on = followed
    if "income_vnd_day" in sent:
        found.income_vnd_day = body.income_vnd_day
    if body.checkpoint_months:
        _keep_check(session, caller, found, body)
    audit.record(session, caller, "update", "placement", placement_id,
                 {"client_id": found.client_id, "fields": changed,
                  "seat_released": released, "checkpoint_months": body.checkpoint_months})
    session.commit()
    return OutcomeOut(**_out(found).model_dump(), seat_released=released)


def _keep_check(session: Session, caller: Caller, found: Placement, body: OutcomeIn) -> None:
    """The follow-up of this month, replacing one recorded before (a correction)."""
    check = session.scalar(select(PlacementCheck).where(
        PlacementCheck.placement_id == found.placement_id,
        PlacementCheck.months == body.checkpoint_months))
    if check is None:
        check = PlacementCheck(placement_id=found.placement_id, months=body.checkpoint_months)
        session.add(check)
    check.followed_up_on = found.followed_up_on
    check.status = found.status
    check.success = found.success if body.checkpoint_months == 6 else None
    check.income_vnd_day = body.income_vnd_day
    check.recorded_by = caller.user_id
    check.recorded_at = datetime.now(UTC)


def provider_answer(session: Session, placement_id: str) -> ProviderAnswerOut | None:
    found = session.get(ReferralAnswer, placement_id)
    if found is None:
        return None
    return ProviderAnswerOut(answer=found.answer, reason_code=found.reason_code,
                             reason_text=found.reason_text, answered_at=found.answered_at)


def placement_checks(session: Session, placement_id: str) -> list[CheckOut]:
    rows = session.scalars(select(PlacementCheck)
                           .where(PlacementCheck.placement_id == placement_id)
                           .order_by(PlacementCheck.months))
    return [CheckOut(months=c.months, followed_up_on=c.followed_up_on, status=c.status,
                     success=c.success, income_vnd_day=c.income_vnd_day,
                     recorded_at=c.recorded_at) for c in rows]


# --- a client's placements and follow-ups ------------------------------------------------


@router.get("/clients/{client_id}/placements", response_model=list[PlacementOut],
            responses=problem_responses(404, 422))
def client_placements(client_id: ClientId, session: SessionDep,
                      caller: CallerDep) -> list[PlacementOut]:
    """Every placement of one client, newest first."""
    visible_client(session, caller, client_id)
    rows = list(session.scalars(select(Placement).where(Placement.client_id == client_id)
                                .order_by(Placement.start_date.desc(),
                                          Placement.placement_id.desc())))
    audit.record(session, caller, "read", "client", client_id,
                 {"placement_ids": [p.placement_id for p in rows]})
    session.commit()
    return [_out(p) for p in rows]


def _followup_out(f: FollowUp) -> FollowUpOut:
    return FollowUpOut(followup_id=f.followup_id, client_id=f.client_id,
                       followed_up_on=f.followed_up_on, earning=f.earning,
                       income_vnd_day=f.income_vnd_day)


@router.get("/clients/{client_id}/followups", response_model=list[FollowUpOut],
            responses=problem_responses(404, 422))
def client_followups(client_id: ClientId, session: SessionDep,
                     caller: CallerDep) -> list[FollowUpOut]:
    """The follow-ups of a client who was not placed, oldest first."""
    visible_client(session, caller, client_id)
    rows = list(session.scalars(select(FollowUp).where(FollowUp.client_id == client_id)
                                .order_by(FollowUp.followed_up_on)))
    audit.record(session, caller, "read", "client", client_id,
                 {"followup_ids": [f.followup_id for f in rows]})
    session.commit()
    return [_followup_out(f) for f in rows]


@router.post("/clients/{client_id}/followups", response_model=FollowUpOut, status_code=201,
             dependencies=[SOCIAL_WORKER], responses=problem_responses(404, 409, 422))
def add_followup(client_id: ClientId, body: FollowUpIn, session: SessionDep,
                 caller: CallerDep) -> FollowUpOut:
    """Record how a client who was not placed is doing (one follow-up per date)."""
    client = visible_client(session, caller, client_id)
    if body.followed_up_on > date.today():
        raise Problem(422, f"followed_up_on {body.followed_up_on} is in the future",
                      field="body.followed_up_on")
    if body.followed_up_on < client.birth_date:
        raise Problem(422, f"followed_up_on {body.followed_up_on} is before the birth date",
                      field="body.followed_up_on")
    if not body.earning and body.income_vnd_day:
        raise Problem(422, "a client who is not earning has no income: set earning true or "
                           "leave income_vnd_day out", field="body.income_vnd_day")
    taken = f"client {client_id} already has a follow-up on {body.followed_up_on}"
    if session.scalar(select(FollowUp.followup_id).where(
            FollowUp.client_id == client_id,
            FollowUp.followed_up_on == body.followed_up_on)) is not None:
        raise Problem(409, taken, field="body.followed_up_on")
    row = FollowUp(client_id=client_id, followed_up_on=body.followed_up_on,
                   earning=body.earning, income_vnd_day=body.income_vnd_day)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # the same date recorded by a concurrent request
        session.rollback()
        raise Problem(409, taken, field="body.followed_up_on") from None
    audit.record(session, caller, "create", "followup", str(row.followup_id),
                 {"client_id": client_id})
    generations.bump(session, generations.WAITING)
    session.commit()
    return _followup_out(row)
