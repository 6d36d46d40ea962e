"""The audit log: who read or changed which record, when, from where; ids, never values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from api.deps import Caller
from matcher.store.tables import AuditEntry


def record(session: Session, caller: Caller, action: str, entity: str,
           entity_id: str | None = None, detail: dict[str, Any] | None = None) -> None:
    """Write an entry in the caller's transaction; ``detail`` holds counts, ids or field names.

    A plain INSERT into the table, neither an ORM object nor the ORM's bulk insert: it is
    written on every request that touches a client, and the ORM's bookkeeping would cost
    more than the statement.
    """
    session.execute(insert(AuditEntry.__table__).values(
        user_id=caller.user_id, actor=caller.username, action=action, entity=entity,
        entity_id=entity_id, source=caller.source, detail=detail))
