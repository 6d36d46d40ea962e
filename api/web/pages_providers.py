"""Programme staff's page of possible duplicate providers: /staff/providers/duplicates.

The pairs an import proposed (names alike, or the same name with other phones), each with
both providers as a person compares them, and three buttons: merge keeping one or the other,
or keep them apart. Below, the latest merges with an undo button while a merge can still be
undone. The buttons run the same functions as the API routes (api/routes/provider_merges.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse

from api import audit
from api.deps import SessionDep
from api.routes.directory import place_name
from api.routes.provider_merges import actor_of
from api.routing import ReleasingRoute
from api.schemas.clients import ID_PATTERN
from api.web.render import render
from api.web.session import CSRF, PageCaller, need
from matcher.clock import in_vietnam
from matcher.ingest.duplicates import (
    MergeRefused,
    mark_distinct,
    merge,
    proposed,
    recent_merges,
    unmerge,
)

router = APIRouter(route_class=ReleasingRoute, include_in_schema=False)

PAGE = "/staff/providers/duplicates"
ProviderField = Annotated[str, Form(pattern=ID_PATTERN)]
#: What the page says after a button, by the refusal's code or the done action.
MESSAGES = ("merged", "distinct", "undone", "same", "unknown", "unknown_merge", "other_kind",
            "already_merged", "undone_before", "placed_since", "kept_gone", "id_taken")


@router.get(PAGE)
def duplicates_page(request: Request, caller: PageCaller, session: SessionDep,
                    done: Annotated[str | None, Query(max_length=32)] = None,
                    error: Annotated[str | None, Query(max_length=32)] = None):
    need(caller, "programme_staff")
    pairs = proposed(session)
    merges = recent_merges(session, limit=20)
    audit.record(session, caller, "read", "provider_pairs", None, {"pairs": len(pairs)})
    session.commit()
    for pair in pairs:
        for side in (pair["a"], pair["b"]):
            side["place"] = place_name(side["place_id"])
    for m in merges:
        m["at"] = in_vietnam(m["merged_at"])
    return render(request, "staff/duplicates.html", caller, pairs=pairs, merges=merges,
                  done=done if done in MESSAGES else None,
                  error=error if error in MESSAGES else None)


@router.post(PAGE + "/merge", dependencies=[CSRF])
def merge_pair(caller: PageCaller, session: SessionDep, keep: ProviderField,
               other: ProviderField):
    need(caller, "programme_staff")
    return _act(session, lambda: merge(session, keep, other, actor_of(caller)), "merged")


@router.post(PAGE + "/distinct", dependencies=[CSRF])
def keep_apart(caller: PageCaller, session: SessionDep, a: ProviderField, b: ProviderField):
    need(caller, "programme_staff")
    return _act(session, lambda: mark_distinct(session, a, b, actor_of(caller)), "distinct")


@router.post(PAGE + "/undo/{merge_id}", dependencies=[CSRF])
def undo(caller: PageCaller, session: SessionDep,
         merge_id: Annotated[int, Path(ge=1, le=2**31 - 1)]):
    need(caller, "programme_staff")
    return _act(session, lambda: unmerge(session, merge_id, actor_of(caller)), "undone")


def _act(session, action, done: str) -> RedirectResponse:
    try:
        action()
    except MergeRefused as exc:
        session.rollback()
        code = "undone_before" if exc.code == "undone" else exc.code
        return RedirectResponse(f"{PAGE}?error={code}", status_code=303)
    session.commit()
    return RedirectResponse(f"{PAGE}?done={done}", status_code=303)


__all__ = ["router"]
