"""Liveness and readiness: the only routes that answer without signing in."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy import text

from api.deps import SessionDep
from api.errors import Problem
from api.matching import cache
from api.routing import ReleasingRoute
from matcher.store.db import head_revision

router = APIRouter(route_class=ReleasingRoute, tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(session: SessionDep, response: Response) -> dict[str, str]:
    """The database answers, its schema is current, and the model can be used."""
    try:
        session.execute(text("SELECT 1"))
        revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # any database failure means "not ready", never a 500
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return {"status": "unavailable", "database": "unreachable"}
    if revision != head_revision():
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return {"status": "unavailable", "database": "schema behind"}
    # Ready means able to suggest: the matcher is built (once per worker, then cached) from
    # the store and a model whose artefact matches its card, or the prior when none is there.
    try:
        model = cache.get(session).model
    except Problem:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return {"status": "unavailable", "database": "ok", "model": "unusable"}
    return {"status": "ok", "database": "ok",
            "model": "prior" if model.is_prior else str(model.version)}
