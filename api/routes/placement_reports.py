"""Reports of what happened after a referral: started, attending at 1 and 3 months, never
came, dropped out, completed, hired with a daily wage. Each is a dated record with its
source (the provider, or the social worker); the social worker's follow-up at 3 and 6 months
(POST /v1/placements/{id}/outcome) stays the verified outcome the model learns from.

Every check runs before anything is written, so bad input writes nothing. A no-show ends the
referral as not_started and gives its seat back in the same transaction.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import audit
from api.deps import Caller, CallerDep, SessionDep, allow
from api.errors import Problem, problem_responses
from api.matching import cache
from api.routes.placements import PlacementId, _visible_placement
from api.routes.referral_answers import own_placement
from api.routes.referrals import PlacementId as ReferralId
from api.routing import ReleasingRoute
from api.schemas.referrals import ReportIn, ReportOut
from matcher.clock import in_vietnam
from matcher.store.referrals import end_unstarted
from matcher.store.tables import Option, Placement, PlacementReport
from matcher.vocab import kinds
from matcher.vocab.referrals import ENDS_UNSTARTED, WAGE_CEILING_VND_DAY

provider_router = APIRouter(route_class=ReleasingRoute, prefix="/v1/my/referrals",
                            tags=["referrals"], dependencies=[allow("provider")],
                            responses=problem_responses(401, 403, 422))
worker_router = APIRouter(route_class=ReleasingRoute, prefix="/v1/placements",
                          tags=["placements"], dependencies=[allow("social_worker")],
                          responses=problem_responses(401, 403, 422))


def referral_date(found: Placement) -> date:
    """The day of the referral: when the placement was made (or its start, if earlier: an
    imported placement is made when it is imported)."""
    made = in_vietnam(found.created_at)
    return min(made.date(), found.start_date) if made else found.start_date


def _check(session: Session, found: Placement, body: ReportIn) -> None:
    """Every rule of a report; a Problem naming the field at fault."""
    if body.reported_on > date.today():
        raise Problem(422, f"reported_on {body.reported_on} is in the future",
                      field="body.reported_on")
    since = referral_date(found)
    if body.reported_on < since:
        raise Problem(422, f"reported_on {body.reported_on} is before the referral ({since})",
                      field="body.reported_on")
    needs = {"reason_code": body.kind == "dropped", "certificate": body.kind == "completed",
             "wage_vnd_day": body.kind == "hired"}
    for name, needed in needs.items():
        given = getattr(body, name) is not None
        if needed and not given:
            raise Problem(422, f"a {body.kind} report needs {name}", field=f"body.{name}")
        if given and not needed:
            raise Problem(422, f"{name} is not part of a {body.kind} report",
                          field=f"body.{name}")
    if body.kind == "hired":
        kind = session.scalar(select(Option.kind).where(Option.option_id == found.option_id))
        if kind not in kinds.BY_CODE or not kinds.BY_CODE[kind].hire_reported:
            raise Problem(422, f"option {found.option_id} is a {kind}: it has no job to be "
                               "hired into (its income is recorded at the follow-up)",
                          field="body.kind")
        if not 0 <= body.wage_vnd_day <= WAGE_CEILING_VND_DAY:
            raise Problem(422, f"wage_vnd_day must be 0 to {WAGE_CEILING_VND_DAY:,} VND a day",
                          field="body.wage_vnd_day")
    if found.status == "not_started":
        raise Problem(409, f"referral {found.placement_id} ended before the client started",
                      field="body.kind")


def file_report(session: Session, caller: Caller, found: Placement, body: ReportIn,
                source: str) -> ReportOut:
    _check(session, found, body)
    placement_id, option_id = found.placement_id, found.option_id
    row = PlacementReport(placement_id=placement_id, kind=body.kind,
                          reported_on=body.reported_on, source=source,
                          reason_code=body.reason_code, certificate=body.certificate,
                          wage_vnd_day=body.wage_vnd_day, user_id=caller.user_id)
    session.add(row)
    taken = Problem(409, f"a {body.kind} report of referral {placement_id} was already made",
                    field="body.kind")
    try:
        session.flush()
    except IntegrityError:  # the same kind reported by a concurrent request
        session.rollback()
        raise taken from None
    released = False
    if body.kind in ENDS_UNSTARTED:
        released = end_unstarted(session, placement_id, option_id, user_id=caller.user_id,
                                 cause="no_show")
        if not released:
            session.rollback()
            raise Problem(409, f"referral {placement_id} is no longer ongoing: a no-show "
                               "frees a seat only before the client started",
                          field="body.kind")
    audit.record(session, caller, "report", "placement", placement_id,
                 {"kind": body.kind, "source": source, "report_id": row.report_id,
                  "seat_released": released})
    session.commit()
    if released:
        cache.refresh_in_background(session)
    return ReportOut(report_id=row.report_id, placement_id=placement_id, kind=row.kind,
                     reported_on=row.reported_on, source=source, reason_code=row.reason_code,
                     certificate=row.certificate, wage_vnd_day=row.wage_vnd_day,
                     created_at=row.created_at, seat_released=released)


def reports_of(session: Session, placement_id: str) -> list[ReportOut]:
    rows = session.scalars(select(PlacementReport)
                           .where(PlacementReport.placement_id == placement_id)
                           .order_by(PlacementReport.reported_on, PlacementReport.report_id))
    return [ReportOut(report_id=r.report_id, placement_id=r.placement_id, kind=r.kind,
                      reported_on=r.reported_on, source=r.source, reason_code=r.reason_code,
                      certificate=r.certificate, wage_vnd_day=r.wage_vnd_day,
                      created_at=r.created_at) for r in rows]


@provider_router.post("/{placement_id}/reports", response_model=ReportOut, status_code=201,
                      responses=problem_responses(404, 409))
def report_my_referral(placement_id: ReferralId, body: ReportIn, session: SessionDep,
                       caller: CallerDep) -> ReportOut:
    """The provider reports what happened (another provider's referral: 404)."""
    return file_report(session, caller, own_placement(session, caller, placement_id), body,
                       "provider")


@provider_router.get("/{placement_id}/reports", response_model=list[ReportOut],
                     responses=problem_responses(404))
def my_referral_reports(placement_id: ReferralId, session: SessionDep,
                        caller: CallerDep) -> list[ReportOut]:
    """The reports of one of the caller's referrals (both sources), oldest first."""
    own_placement(session, caller, placement_id)
    out = reports_of(session, placement_id)
    audit.record(session, caller, "read", "placement", placement_id, {"reports": len(out)})
    session.commit()
    return out


@worker_router.post("/{placement_id}/reports", response_model=ReportOut, status_code=201,
                    responses=problem_responses(404, 409))
def report_placement(placement_id: PlacementId, body: ReportIn, session: SessionDep,
                     caller: CallerDep) -> ReportOut:
    """The social worker reports what happened (own caseload only)."""
    return file_report(session, caller, _visible_placement(session, caller, placement_id),
                       body, "social_worker")
