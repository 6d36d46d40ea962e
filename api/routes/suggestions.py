"""Suggestions for a stored client or an unsaved profile, logged with the model version.

Each list is kept (Suggestion: entries, model version, who asked) so that the decisions taken
on it can be compared with what was suggested. An unsaved profile is never stored: only the
list is, with no client. "Why not X?" answers with the rules an option fails, or its rank.
A travel limit given with a request holds for that search only; the list keeps it.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from api import audit
from api.deps import Caller, CallerDep, SessionDep, allow
from api.errors import Problem, problem_responses
from api.matching import cache
from api.routes.clients import ClientId, check_registered, may_see, visible_profile
from api.routing import ReleasingRoute
from api.schemas.bounds import IdPath
from api.schemas.clients import ID_PATTERN
from api.schemas.suggestions import (
    DecisionRecord,
    ExplainOut,
    ProfileSuggestIn,
    SuggestIn,
    SuggestionOut,
    SuggestionRecord,
)
from matcher.store.profiles import ClientProfile
from matcher.store.tables import Client, Decision, Suggestion

router = APIRouter(route_class=ReleasingRoute, prefix="/v1", tags=["suggestions"],
                   dependencies=[allow("social_worker", "programme_staff")],
                   responses=problem_responses(400, 401, 403))

SuggestionId = IdPath
OptionId = Annotated[str, Path(pattern=ID_PATTERN, description="an option id")]


# --- shared with the decision routes -----------------------------------------------------


def visible_suggestion(session: Session, caller: Caller, suggestion_id: int) -> Suggestion:
    """A logged list the caller may see: its client's caseload, or their own unsaved one."""
    found = session.get(Suggestion, suggestion_id)
    if found is not None:
        if found.client_id is None:
            ok = caller.role == "programme_staff" or found.user_id == caller.user_id
        else:
            ok = may_see(caller, session.scalar(select(Client.caseworker_id)
                                                .where(Client.client_id == found.client_id)))
        if ok:
            return found
    raise Problem(404, f"no suggestion {suggestion_id} for your caseload",
                  field="suggestion_id")


# --- routes ------------------------------------------------------------------------------


@router.post("/clients/{client_id}/suggestions", response_model=SuggestionOut, status_code=201,
             responses=problem_responses(404, 422))
def suggest_for_client(client_id: ClientId, body: SuggestIn, session: SessionDep,
                       caller: CallerDep) -> SuggestionOut:
    """Ranked options for a stored client, eligible only; the list is logged."""
    return _suggest(session, caller, visible_profile(session, caller, client_id), body,
                    entity=("client", client_id))


@router.post("/suggestions", response_model=SuggestionOut, status_code=201,
             responses=problem_responses(422))
def suggest_for_profile(body: ProfileSuggestIn, session: SessionDep,
                        caller: CallerDep) -> SuggestionOut:
    """Ranked options for an unsaved profile (nothing about the person is stored)."""
    check_registered(body.profile.birth_date, body.profile.registered_on, "body.profile")
    return _suggest(session, caller, body.profile.profile(), body, entity=None)


@router.get("/suggestions/{suggestion_id}", response_model=SuggestionRecord,
            responses=problem_responses(404, 422))
def read_suggestion(suggestion_id: SuggestionId, session: SessionDep,
                    caller: CallerDep) -> SuggestionRecord:
    """A logged list and the decisions taken on it."""
    found = visible_suggestion(session, caller, suggestion_id)
    decisions = session.scalars(select(Decision).where(Decision.suggestion_id == suggestion_id)
                                .order_by(Decision.decision_id))
    out = SuggestionRecord(
        suggestion_id=found.suggestion_id, client_id=found.client_id, user_id=found.user_id,
        model_version=found.model_version, created_at=found.created_at,
        suggestions=found.entries or [], kind=found.kind,
        travel_limit_km=found.travel_limit_km, max_travel_km=found.max_travel_km,
        beyond_reach=found.beyond_reach or [], pricing=found.pricing,
        decisions=[DecisionRecord(decision_id=d.decision_id, option_id=d.option_id,
                                  decision=d.decision, reason_code=d.reason_code,
                                  reason_text=d.reason_text, user_id=d.user_id,
                                  created_at=d.created_at) for d in decisions])
    audit.record(session, caller, "read", "suggestion", str(suggestion_id),
                 {"client_id": found.client_id})
    session.commit()
    return out


@router.get("/clients/{client_id}/options/{option_id}/explain", response_model=ExplainOut,
            responses=problem_responses(404, 422))
def explain(client_id: ClientId, option_id: OptionId, session: SessionDep,
            caller: CallerDep) -> ExplainOut:
    """Why an option is or is not suggested for a client: failed rules, or score and rank."""
    profile = visible_profile(session, caller, client_id)
    matcher, prices = cache.get_with_prices(session)
    try:
        answer = matcher.explain(profile, option_id, prices=prices)
    except KeyError:
        raise Problem(404, f"no option {option_id}", field="option_id") from None
    audit.record(session, caller, "explain", "client", client_id, {"option_id": option_id})
    session.commit()
    return ExplainOut(**answer)


def _suggest(session: Session, caller: Caller, profile: ClientProfile, body: SuggestIn,
             entity: tuple[str, str] | None) -> SuggestionOut:
    matcher, prices = cache.get_with_prices(session)
    if body.max_travel_km is not None:  # for this search only: the stored client is as it was
        profile = replace(profile, max_travel_km=body.max_travel_km)
    result = matcher.suggest(profile, top=body.top, kind=body.kind, prices=prices)
    entries = result["suggestions"]
    # A plain INSERT … RETURNING into the table: one statement, none of the ORM's
    # bookkeeping per list.
    table = Suggestion.__table__
    suggestion_id = session.execute(
        insert(table).values(client_id=profile.client_id, user_id=caller.user_id,
                             model_version=str(result["model_version"]), entries=entries,
                             kind=body.kind, travel_limit_km=result["travel_limit_km"],
                             max_travel_km=body.max_travel_km,
                             beyond_reach=result["beyond_reach"] or None,
                             pricing=result["pricing"])
        .returning(table.c.suggestion_id)).scalar_one()
    kind, entity_id = entity or ("suggestion", str(suggestion_id))
    detail = {"suggestion_id": suggestion_id, "n": len(entries),
              "option_ids": [e["option_id"] for e in entries]}
    if body.max_travel_km is not None:
        detail["max_travel_km"] = body.max_travel_km
    audit.record(session, caller, "suggest", kind, entity_id, detail)
    session.commit()
    shown = _in_language(entries, body.lang) if body.lang else entries
    return SuggestionOut(suggestion_id=suggestion_id, client_id=profile.client_id,
                         model_version=str(result["model_version"]),
                         prior_only=bool(result["prior_only"]),
                         n_options=int(result["n_options"]),
                         n_eligible=int(result["n_eligible"]),
                         excluded=result["excluded"], pricing=result["pricing"],
                         suggestions=shown, travel_limit_km=float(result["travel_limit_km"]),
                         beyond_reach=result["beyond_reach"])


def _in_language(entries: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Each reason also as ``text`` in the asked language (the stored list is unchanged)."""
    shown = copy.deepcopy(entries)
    for entry in shown:
        for reason in entry.get("reasons", []):
            reason["text"] = reason.get(lang, reason.get("en", ""))
    return shown
