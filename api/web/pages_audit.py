"""The audit log for programme staff (/audit): who read or changed what, when, from where;
through the API's own route function (api.routes.audit_log)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.deps import SessionDep
from api.routes.audit_log import audit_log
from api.routing import ReleasingRoute
from api.web.render import render, translator
from api.web.session import PageCaller, need
from matcher.clock import VIETNAM, in_vietnam

router = APIRouter(route_class=ReleasingRoute, include_in_schema=False)

AUDIT_PAGE = 50

@router.get("/audit")
def audit_page(request: Request, caller: PageCaller, session: SessionDep,
               actor: Annotated[str, Query(max_length=100)] = "",
               action: Annotated[str, Query(max_length=32)] = "",
               entity: Annotated[str, Query(max_length=32)] = "",
               date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
               date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
               page: Annotated[int, Query(ge=1, le=100_000)] = 1):
    need(caller, "programme_staff")
    t = translator(request)
    error = None
    since = until = None
    try:
        if date_from:
            since = datetime.combine(date.fromisoformat(date_from), time(), VIETNAM)
        if date_to:
            until = datetime.combine(date.fromisoformat(date_to) + timedelta(days=1), time(),
                                     VIETNAM)
    except ValueError:
        error = t("staff.audit.bad_date")
    entries = [] if error else audit_log(
        session, caller, entity=entity.strip() or None, entity_id=None,
        user=actor.strip() or None, action=action.strip() or None, since=since, until=until,
        limit=AUDIT_PAGE + 1, offset=(page - 1) * AUDIT_PAGE)
    session.rollback()
    more = len(entries) > AUDIT_PAGE
    rows = [{"at": in_vietnam(e.at), "actor": e.actor,
             "action": e.action, "entity": e.entity, "entity_id": e.entity_id or "",
             "source": e.source or "", "detail": _detail(e.detail)}
            for e in entries[:AUDIT_PAGE]]
    filters = {"actor": actor, "action": action, "entity": entity, "from": date_from,
               "to": date_to}
    return render(request, "staff/audit.html", caller, rows=rows, filters=filters, page=page,
                  more=more, error=error, status=422 if error else 200,
                  query={k: v for k, v in filters.items() if v})


def _detail(detail: dict[str, Any] | None) -> str:
    """An entry's detail as short text: counts and ids, as the writers stored them."""
    if not detail:
        return ""
    parts = []
    for key, value in detail.items():
        if isinstance(value, list):
            shown = ", ".join(str(v) for v in value[:5])
            value = f"[{shown}{', …' if len(value) > 5 else ''}]"
        parts.append(f"{key}: {value}")
    return "; ".join(parts)
