"""The social worker's task list: own caseload only (matcher.store.tasks)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from api import audit
from api.deps import CallerDep, SessionDep, allow
from api.errors import problem_responses
from api.routing import ReleasingRoute
from api.schemas.tasks import TasksOut
from matcher.settings import get_settings
from matcher.store.tasks import tasks_for

router = APIRouter(route_class=ReleasingRoute, prefix="/v1", tags=["tasks"],
                   dependencies=[allow("social_worker")],
                   responses=problem_responses(401, 403))


@router.get("/tasks", response_model=TasksOut)
def my_tasks(session: SessionDep, caller: CallerDep) -> TasksOut:
    """Clients back on the list, referrals unanswered, follow-ups due and overdue."""
    days = get_settings().referral_answer_days
    found = tasks_for(session, caller.user_id, today=date.today(), answer_days=days)
    audit.record(session, caller, "read", "tasks", None, {
        **found.counts,
        "client_ids": sorted({i["client_id"] for i in (*found.returned, *found.unanswered,
                                                       *found.followups_due,
                                                       *found.followups_overdue)})})
    session.commit()
    return TasksOut(answer_days=days, counts=found.counts, returned=found.returned,
                    unanswered=found.unanswered, followups_due=found.followups_due,
                    followups_overdue=found.followups_overdue)
