"""The social worker's task list "Việc cần làm" (api.routes.tasks.my_tasks), and its counts
on the first page after sign-in (the client list)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import SessionDep
from api.routes.tasks import my_tasks
from api.routing import ReleasingRoute
from api.web.render import render
from api.web.session import PageCaller, need

router = APIRouter(route_class=ReleasingRoute, include_in_schema=False)


@router.get("/tasks")
def tasks_page(request: Request, session: SessionDep, caller: PageCaller):
    need(caller, "social_worker")
    return render(request, "client/tasks.html", caller, tasks=my_tasks(session, caller))
