"""Possible duplicate providers, decided by programme staff or an admin.

An import never joins two providers that only look alike: it proposes the pair. Here a
person lists the proposals, merges a pair (one transaction, audited) or keeps it apart, and
undoes a merge until a placement is recorded after it (matcher.ingest.duplicates).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.deps import CallerDep, SessionDep, allow
from api.errors import Problem, problem_responses
from api.routing import ReleasingRoute
from api.schemas.provider_merges import DistinctIn, MergeIn, MergeOut, PairOut, ScanOut
from matcher.ingest.duplicates import (
    Actor,
    MergeRefused,
    mark_distinct,
    merge,
    merge_summary,
    proposed,
    recent_merges,
    scan,
    unmerge,
)
from matcher.store.tables import ProviderMerge

router = APIRouter(route_class=ReleasingRoute, prefix="/v1", tags=["providers"],
                   dependencies=[allow("programme_staff", "admin")],
                   responses=problem_responses(401, 403, 404, 409, 422))

#: A refusal's status: the provider or merge is not there (404), the request can never be
#: right (422), or the records' state forbids it now (409).
STATUS = {"unknown": 404, "unknown_merge": 404, "same": 422, "other_kind": 422}


def actor_of(caller) -> Actor:
    return Actor(caller.username, caller.user_id, caller.source or "api")


def refused(exc: MergeRefused) -> Problem:
    return Problem(STATUS.get(exc.code, 409), str(exc))


@router.get("/provider-pairs", response_model=list[PairOut])
def list_pairs(session: SessionDep) -> list[PairOut]:
    """Pairs of providers that may be one, most alike first."""
    return [PairOut.model_validate(p) for p in proposed(session)]


@router.post("/provider-pairs/scan", response_model=ScanOut)
def scan_pairs(session: SessionDep) -> ScanOut:
    """Look through every provider for alike pairs never proposed (older records)."""
    found = scan(session)
    session.commit()
    return ScanOut(found=found)


@router.post("/provider-pairs/distinct", status_code=204)
def keep_apart(body: DistinctIn, caller: CallerDep, session: SessionDep) -> Response:
    """The two are different providers: never proposed again."""
    try:
        mark_distinct(session, body.a, body.b, actor_of(caller))
    except MergeRefused as exc:
        session.rollback()
        raise refused(exc) from None
    session.commit()
    return Response(status_code=204)


@router.get("/provider-merges", response_model=list[MergeOut])
def list_merges(session: SessionDep) -> list[MergeOut]:
    """The latest merges, newest first, with whether each can still be undone."""
    return [MergeOut.model_validate(m) for m in recent_merges(session)]


@router.post("/provider-merges", response_model=MergeOut, status_code=201)
def create_merge(body: MergeIn, caller: CallerDep, session: SessionDep) -> MergeOut:
    """Merge ``other`` into ``keep``: options (with placements and seat history), aliases and
    accounts move, in one transaction."""
    try:
        merge_id = merge(session, body.keep, body.other, actor_of(caller))
    except MergeRefused as exc:
        session.rollback()
        raise refused(exc) from None
    session.commit()
    return _merge_out(session, merge_id)


@router.post("/provider-merges/{merge_id}/undo", response_model=MergeOut)
def undo_merge(merge_id: Annotated[int, Path(ge=1, le=2**31 - 1)], caller: CallerDep,
               session: SessionDep) -> MergeOut:
    """Undo a merge: refused (409) once a placement was recorded after it."""
    try:
        unmerge(session, merge_id, actor_of(caller))
    except MergeRefused as exc:
        session.rollback()
        raise refused(exc) from None
    session.commit()
    return _merge_out(session, merge_id)


def _merge_out(session, merge_id: int) -> MergeOut:
    return MergeOut.model_validate(merge_summary(session, session.get(ProviderMerge, merge_id)))


__all__ = ["router"]
