"""Cohort plans (programme staff): compute a plan, review it, commit it.

A plan is computed by :func:`matcher.planning.cohort.plan_cohort` on the API's matcher and stored
as a draft with the ``allocate --json`` body. Committing it reserves every seat it uses at
once or none, in one transaction, and creates a placement per assignment.

A draft stays committable while it is a draft: when the catalogue or the model changed
since, or some of its clients were placed meanwhile, the commit still goes ahead (the plan
is what the staff reviewed); only seats are checked again, atomically, at commit time.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api import audit
from api.deps import CallerDep, SessionDep, allow
from api.errors import Problem, problem_responses
from api.matching import cache
from api.routing import ReleasingRoute
from api.schemas.bounds import IdPath, Offset, page_limit
from api.schemas.plans import CommitOut, PlacementOut, PlanOut, PlanRequest, PlanSummary
from matcher.clock import as_utc
from matcher.planning.cohort import plan_cohort
from matcher.store.profiles import ClientProfile
from matcher.store.seats import reserve_seat
from matcher.store.tables import Client, Option, Placement, Plan

router = APIRouter(route_class=ReleasingRoute, prefix="/v1/plans", tags=["plans"],
                   dependencies=[allow("programme_staff")],
                   responses=problem_responses(401, 403))

_CHUNK = 500  # ids per IN (...) query: well under every backend's limit of parameters


@router.post("", response_model=PlanOut, status_code=201, responses=problem_responses(422))
def create_plan(body: PlanRequest, session: SessionDep, caller: CallerDep) -> dict[str, Any]:
    """Compute the best plan for a cohort of stored clients, with its baselines; kept as a draft."""
    profiles = _profiles(session, body.client_ids)
    matcher = cache.get(session)
    result = plan_cohort(matcher, profiles, budget_vnd=body.budget_vnd,
                         priority={str(g): w for g, w in body.priority.items()})
    result = _plain(result)
    plan = Plan(status="draft", body=result, model_version=str(result["model_version"]),
                budget_vnd=body.budget_vnd, created_by=caller.user_id)
    session.add(plan)
    session.flush()
    audit.record(session, caller, "create", "plan", str(plan.plan_id),
                 detail={"clients": len(profiles), "assigned": len(result["assignments"])})
    session.commit()
    return _out(plan)


@router.get("", response_model=list[PlanSummary])
def list_plans(session: SessionDep,
               limit: page_limit(500) = 50,
               offset: Offset = 0) -> list[PlanSummary]:
    """Plans, newest first, as summaries (no client ids)."""
    plans = session.scalars(select(Plan).order_by(Plan.created_at.desc(), Plan.plan_id.desc())
                            .limit(limit).offset(offset))
    return [_summary(p) for p in plans]


@router.get("/{plan_id}", response_model=PlanOut, responses=problem_responses(404))
def get_plan(plan_id: IdPath, session: SessionDep, caller: CallerDep) -> dict[str, Any]:
    """One plan with its assignments, baselines and unassigned clients."""
    plan = _plan(session, plan_id)
    audit.record(session, caller, "read", "plan", str(plan.plan_id))
    out = _out(plan)
    session.commit()
    return out


@router.post("/{plan_id}/commit", response_model=CommitOut,
             responses=problem_responses(404, 409))
def commit_plan(plan_id: IdPath, session: SessionDep, caller: CallerDep) -> CommitOut:
    """Reserve every seat of the plan and create its placements, all at once or nothing.

    409 when the plan was already committed, or when an option it uses has fewer seats
    left than the plan gives it (the problem lists those options; nothing is reserved).
    """
    now = datetime.now(UTC)
    # Claim the draft first, with one conditional UPDATE: of two commits of the same plan,
    # only one sees a row count of 1 (the other waits for it, then finds it committed).
    claimed = session.execute(
        update(Plan).where(Plan.plan_id == plan_id, Plan.status == "draft")
        .values(status="committed", committed_at=now, committed_by=caller.user_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        session.rollback()
        _plan(session, plan_id)  # 404 when there is no such plan
        raise Problem(409, f"plan {plan_id} is already committed", field="plan_id")
    plan = _plan(session, plan_id)
    assignments = list(plan.body.get("assignments", []))
    wanted = Counter(a["option_id"] for a in assignments)
    # Lock the plan's options first, in one order: each reservation below also bumps the
    # seat counter row, and an accept holding one of these options while it waits for that
    # counter would otherwise deadlock with this commit (PostgreSQL aborts one: a 503).
    session.execute(select(Option.option_id).where(Option.option_id.in_(sorted(wanted)))
                    .order_by(Option.option_id).with_for_update())
    short = [oid for oid, seats in sorted(wanted.items())
             if not reserve_seat(session, oid, user_id=caller.user_id, cause="plan", seats=seats)]
    if short:
        left = dict(session.execute(select(Option.option_id, Option.capacity)
                                    .where(Option.option_id.in_(short))).all())
        session.rollback()
        errors = [{"field": "option_id",
                   "message": f"{oid}: the plan needs {wanted[oid]} seat(s), "
                              + (f"{left[oid]} left" if oid in left else "the option is gone")}
                  for oid in short]
        raise Problem(409, "not committed, nothing was reserved: no seat left for the plan in "
                           f"option(s) {', '.join(short)}; make a new plan",
                      field="option_id", errors=errors)
    starts = dict(session.execute(select(Option.option_id, Option.start_date)
                                  .where(Option.option_id.in_(list(wanted)))).all()) \
        if wanted else {}
    today = date.today()
    placements = []
    for n, a in enumerate(assignments, start=1):
        placement = Placement(placement_id=f"PLAN{plan_id:06d}-{n:04d}",
                              client_id=a["client_id"], option_id=a["option_id"],
                              start_date=starts.get(a["option_id"]) or today, status="ongoing",
                              plan_id=plan_id, created_by=caller.user_id)
        session.add(placement)
        placements.append(placement)
    session.flush()
    for p in placements:
        audit.record(session, caller, "create", "placement", p.placement_id,
                     detail={"plan_id": plan_id})
    audit.record(session, caller, "commit", "plan", str(plan_id),
                 detail={"placements": len(placements), "options": len(wanted)})
    out = CommitOut(plan_id=plan_id, status="committed", committed_at=now,
                    committed_by=caller.user_id,
                    placements=[PlacementOut(placement_id=p.placement_id, client_id=p.client_id,
                                             option_id=p.option_id, start_date=p.start_date,
                                             status=p.status, plan_id=plan_id)
                                for p in placements])
    session.commit()
    return out


# --- helpers ---------------------------------------------------------------------------------


def _profiles(session: Session, ids: list[str]) -> list[ClientProfile]:
    """The clients' profiles in the order given; 422 naming every unknown id."""
    rows: dict[str, Client] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        rows.update((c.client_id, c) for c in
                    session.scalars(select(Client).where(Client.client_id.in_(chunk))))
    missing = [(i, cid) for i, cid in enumerate(ids) if cid not in rows]
    if missing:
        shown = ", ".join(cid for _, cid in missing[:20])
        more = f" and {len(missing) - 20} more" if len(missing) > 20 else ""
        raise Problem(422, f"unknown clients: {shown}{more}", field="body.client_ids",
                      errors=[{"field": f"body.client_ids.{i}", "message": f"unknown client {cid}"}
                              for i, cid in missing])
    return [ClientProfile.from_record(rows[cid]) for cid in ids]


def _plan(session: Session, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise Problem(404, f"no plan {plan_id}", field="plan_id")
    return plan



def _out(plan: Plan) -> dict[str, Any]:
    return {**plan.body, "plan_id": plan.plan_id, "status": plan.status,
            "created_at": as_utc(plan.created_at), "created_by": plan.created_by,
            "committed_at": as_utc(plan.committed_at), "committed_by": plan.committed_by}


def _summary(plan: Plan) -> PlanSummary:
    body = plan.body or {}
    assigned = len(body.get("assignments", []))
    return PlanSummary(
        plan_id=plan.plan_id, status=plan.status, created_at=as_utc(plan.created_at),
        created_by=plan.created_by, committed_at=as_utc(plan.committed_at),
        committed_by=plan.committed_by, model_version=plan.model_version,
        budget_vnd=plan.budget_vnd, n_clients=assigned + len(body.get("unassigned", [])),
        n_assigned=assigned, objective=body.get("objective"),
        expected_successes=body.get("expected_successes"), cost_vnd=body.get("cost_vnd"))


def _plain(result: dict[str, Any]) -> dict[str, Any]:
    """The body as plain JSON values (numpy scalars become Python numbers) for the JSON column."""
    return json.loads(json.dumps(result, default=lambda v: v.item() if hasattr(v, "item")
                                 else str(v)))

