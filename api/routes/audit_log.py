"""The audit log (programme staff, admin): who read or changed what, when, from where.

The writers store ids, counts and field names only, never a sensitive value, so the
entries are shown as they are. The admin sees only the entries about accounts, the model,
providers and their options: a client's case history (who read, suggested, placed or
planned for whom) is for programme staff. It is an allow-list, so an entity added later
stays hidden from the admin until someone decides it may be shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import or_, select

from api.deps import CallerDep, SessionDep, allow
from api.errors import problem_responses
from api.routing import ReleasingRoute
from api.schemas.audit import AuditOut
from api.schemas.bounds import MAX_AUDIT_OFFSET, page_limit, page_offset
from matcher.clock import as_utc
from matcher.store.tables import AuditEntry

router = APIRouter(route_class=ReleasingRoute, prefix="/v1/audit", tags=["audit"],
                   dependencies=[allow("programme_staff", "admin")],
                   responses=problem_responses(401, 403, 422))


# The entities whose entries the admin may read (imports are named by their kind).
ADMIN_ENTITIES = frozenset({"user", "model", "provider", "providers", "option", "options",
                            "option_history"})


@router.get("", response_model=list[AuditOut])
def audit_log(
    session: SessionDep,
    caller: CallerDep,
    entity: Annotated[str | None, Query(max_length=32, description="client, plan, ...")] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    user: Annotated[str | None, Query(max_length=100,
                                      description="A username, or a numeric user id.")] = None,
    action: Annotated[str | None, Query(max_length=32, description="read, create, ...")] = None,
    since: Annotated[datetime | None, Query(description="Entries at or after this time "
                                                         "(UTC when no offset is given).")] = None,
    until: Annotated[datetime | None, Query(description="Entries before this time "
                                                         "(UTC when no offset is given).")] = None,
    limit: page_limit(1000) = 100,
    offset: page_offset(MAX_AUDIT_OFFSET) = 0,
) -> list[AuditOut]:
    """Entries, newest first, filtered by any of the parameters."""
    query = select(AuditEntry)
    if caller.role != "programme_staff":
        query = query.where(AuditEntry.entity.in_(sorted(ADMIN_ENTITIES)))
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if user is not None:
        who = AuditEntry.actor == user
        if user.isdigit() and len(user) < 10:
            who = or_(who, AuditEntry.user_id == int(user))
        query = query.where(who)
    if since is not None:
        # In UTC: SQLite keeps the times as UTC text without the zone.
        query = query.where(AuditEntry.at >= as_utc(since))
    if until is not None:
        query = query.where(AuditEntry.at < as_utc(until))
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.audit_id.desc())
    entries = session.scalars(query.limit(limit).offset(offset))
    return [AuditOut(audit_id=e.audit_id, at=as_utc(e.at), user_id=e.user_id, actor=e.actor,
                     action=e.action, entity=e.entity, entity_id=e.entity_id, source=e.source,
                     detail=e.detail) for e in entries]

