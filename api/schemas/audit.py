"""Entries of the audit log: who read or changed what, when, from where (ids, never values)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditOut(BaseModel):
    audit_id: int
    at: datetime
    user_id: int | None
    actor: str
    action: str
    entity: str
    entity_id: str | None
    source: str | None
    detail: dict[str, Any] | None
