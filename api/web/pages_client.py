"""The social worker's pages: my clients, a new client, a client's page, resolving free text.

Every read and change goes through the API's own route functions (api.routes.clients and
api.routes.placements), so a page sees only the caller's caseload, and is audited, exactly
as the JSON API. Searches and filters are POSTed: a client's name or group never appears in
a URL (browser history, proxy logs).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import func, select

from api import audit
from api.deps import SessionDep
from api.errors import Problem
from api.routes.clients import ClientId, create_client, name_or_id, read_client
from api.routes.clubs import client_clubs
from api.routes.directory import list_options, place_ids, place_name
from api.routes.placements import add_followup, client_followups, client_placements
from api.routes.suggestions import explain
from api.routing import ReleasingRoute
from api.schemas.bounds import MAX_OFFSET
from api.schemas.clients import ClientCreate, age_on
from api.schemas.placements import FollowUpIn
from api.web.forms import FormFields, blank_to_none, checked, field_errors, problem_text
from api.web.render import render, translator
from api.web.session import CSRF, PageCaller, need
from matcher.settings import get_settings
from matcher.store.tables import Client, Option, Provider
from matcher.store.tasks import tasks_for
from matcher.vocab import domain
from matcher.vocab import kinds as kind_table
from matcher.vocab.places import PlaceNotFound, load_place_index
from matcher.vocab.trades import load_trade_index

router = APIRouter(route_class=ReleasingRoute, include_in_schema=False)

PAGE = 25
CHOICES = {
    "gender": [g.value for g in domain.Gender],
    "group": [g.value for g in domain.Group],
    "education": [e.value for e in domain.Education],
    "disability": [d.value for d in domain.Disability],
}
TEXT_FIELDS = ("full_name", "birth_date", "gender", "group", "place", "education",
               "disability", "interests", "skills", "max_travel_km",
               "prior_income_vnd_month", "registered_on", "notes")
FLAGS = ("needs_women_only", "household_poor", "ethnic_minority", "married", "consent_share")


# --- my clients ----------------------------------------------------------------------------


@router.get("/clients")
def my_clients(request: Request, session: SessionDep, caller: PageCaller):
    need(caller, "social_worker")
    return _list(request, session, caller, {})


@router.post("/clients", dependencies=[CSRF])
def search_my_clients(request: Request, session: SessionDep, caller: PageCaller,
                      fields: FormFields):
    need(caller, "social_worker")
    return _list(request, session, caller, fields)


def _list(request: Request, session, caller, fields: dict[str, str]):
    q = (fields.get("q") or "").strip()[:200]
    group = fields.get("group") or ""
    place = (fields.get("place") or "").strip()[:200]
    try:
        offset = min(MAX_OFFSET, max(0, int(fields.get("offset") or 0)))
    except ValueError:
        offset = 0
    where, first = name_or_id(q)
    where.append(Client.caseworker_id == caller.user_id)
    error = None
    if group in CHOICES["group"]:
        where.append(Client.group_code == group)
    if place:
        try:
            where.append(Client.place_id.in_(sorted(place_ids(place))))
        except Problem:
            error = "clients.place_unknown"
            where.append(Client.client_id.is_(None))
    total = session.scalar(select(func.count()).select_from(Client).where(*where)) or 0
    rows = list(session.scalars(select(Client).where(*where)
                                .order_by(*first, Client.client_id).limit(PAGE).offset(offset)))
    audit.record(session, caller, "search", "client", None,
                 {"n": len(rows), "client_ids": [c.client_id for c in rows]})
    session.commit()
    today = date.today()
    items = [{"client_id": c.client_id, "full_name": c.full_name,
              "age": age_on(c.birth_date, today), "gender": c.gender, "group": c.group_code,
              "place": place_name(c.place_id)} for c in rows]
    # The first page after sign-in: the task list's counts, with a link to it.
    tasks = tasks_for(session, caller.user_id, today=today,
                      answer_days=get_settings().referral_answer_days).counts
    return render(request, "client/list.html", caller, items=items, total=total,
                  offset=offset, page=PAGE, q=q, group=group, place=place, error=error,
                  choices=CHOICES, task_counts=tasks)


# --- a new client ---------------------------------------------------------------------------


@router.get("/clients/new")
def new_client_form(request: Request, caller: PageCaller):
    need(caller, "social_worker")
    return render(request, "client/new.html", caller, values={"disability": "none"},
                  errors={}, problem=None, choices=CHOICES)


@router.post("/clients/new", dependencies=[CSRF])
def new_client(request: Request, session: SessionDep, caller: PageCaller, fields: FormFields):
    need(caller, "social_worker")
    t = translator(request)
    values = {k: v for k, v in blank_to_none(fields, *TEXT_FIELDS).items() if v is not None}
    values.update({flag: checked(fields, flag) for flag in FLAGS})
    try:
        body = ClientCreate(**values)
        created = create_client(body, session, caller)
    except ValidationError as exc:
        return render(request, "client/new.html", caller, values=fields,
                      errors=field_errors(exc, t), problem=None, choices=CHOICES, status=422)
    except Problem as exc:
        return render(request, "client/new.html", caller, values=fields, errors={},
                      problem=problem_text(exc, t), choices=CHOICES, status=exc.status)
    return RedirectResponse(f"/clients/{created.client_id}?created=1", status_code=303)


@router.post("/resolve", dependencies=[CSRF])
def resolve(request: Request, caller: PageCaller,
            kind: Annotated[str, Form(max_length=20)] = "",
            text: Annotated[str, Form(max_length=2000)] = ""):
    """What free text resolves to, for the form's preview (the save checks it again)."""
    need(caller, "social_worker", "programme_staff")
    t = translator(request)
    text = text.strip()
    if not text:
        return JSONResponse({"ok": True, "text": ""})
    if kind == "place":
        try:
            found = load_place_index().lookup(text)
        except PlaceNotFound as exc:
            key = f"resolve.place_{'ambiguous' if exc.reason == 'ambiguous' else 'unknown'}"
            return JSONResponse({"ok": False, "text": t(key, closest=", ".join(exc.candidates))})
        places = load_place_index()
        now = places.get(found.current_id).name if found.current_id in places else found.name
        if found.is_current or now == found.name:
            return JSONResponse({"ok": True, "text": t("resolve.place", name=found.label)})
        return JSONResponse({"ok": True, "text": t("resolve.place_now", name=found.label,
                                                   now=now)})
    if kind == "trade":
        hits = load_trade_index().find_in_text(text)
        if not hits:
            return JSONResponse({"ok": False, "text": t("resolve.trade_none")})
        names = ", ".join(tr.name_vi if t.lang == "vi" else tr.name_en for tr, _ in hits)
        return JSONResponse({"ok": True, "text": t("resolve.trades", names=names)})
    return JSONResponse({"ok": False, "text": ""}, status_code=422)


# --- a client's page ------------------------------------------------------------------------


def client_page(request: Request, session, caller, client_id: str, *, status: int = 200,
                **extra):
    client = read_client(client_id, session, caller)
    placements = client_placements(client_id, session, caller)
    followups = client_followups(client_id, session, caller)
    options = option_names(session, [p.option_id for p in placements])
    context = {"client": client, "placements": placements, "followups": followups,
               "options": options, "why_not": None, "why_query": "", "followup_errors": {},
               "clubs": client_clubs(session, caller, client_id), "club_errors": {},
               "club_made": request.query_params.get("club") == "1",
               "created": request.query_params.get("created") == "1",
               "today": date.today().isoformat(), "kinds": kind_table.PLACEMENT_CODES}
    context.update(extra)
    return render(request, "client/detail.html", caller, status=status, **context)


def option_names(session, option_ids: list[str]) -> dict[str, dict]:
    """Title, kind and provider of each of these options, by option id."""
    if not option_ids:
        return {}
    rows = session.execute(select(Option.option_id, Option.title, Option.kind, Provider.name)
                           .join(Provider, Provider.provider_id == Option.provider_id)
                           .where(Option.option_id.in_(sorted(set(option_ids))))).all()
    return {r.option_id: {"title": r.title, "kind": r.kind, "provider": r.name} for r in rows}


@router.get("/clients/{client_id}")
def client_detail(request: Request, client_id: ClientId, session: SessionDep,
                  caller: PageCaller):
    need(caller, "social_worker")
    return client_page(request, session, caller, client_id)


@router.post("/clients/{client_id}/why-not", dependencies=[CSRF])
def why_not(request: Request, client_id: ClientId, session: SessionDep, caller: PageCaller,
            option: Annotated[str, Form(max_length=200)] = ""):
    """Why an option is not suggested: its failed rules, or its rank when it is eligible."""
    need(caller, "social_worker")
    query = option.strip()
    answers = []
    for option_id, title, provider in _find_options(session, caller, query):
        try:
            answer = explain(client_id, option_id, session, caller)
        except Problem as exc:
            if exc.status == 404 and exc.field == "option_id":
                continue
            raise
        answers.append({"option_id": option_id, "title": title, "provider": provider,
                        "answer": answer})
    return client_page(request, session, caller, client_id, why_not=answers,
                       why_query=query)


def _find_options(session, caller, query: str, limit: int = 3) -> list[tuple[str, str, str]]:
    """An option id as typed, or the options whose title or provider holds the words (the
    directory's own word search)."""
    if not query:
        return []
    rows = session.execute(select(Option.option_id, Option.title, Provider.name)
                           .join(Provider, Provider.provider_id == Option.provider_id)
                           .where(func.upper(Option.option_id) == query.upper())).all()
    if rows:
        return [tuple(r) for r in rows]
    page = list_options(session, caller, q=query, limit=limit, offset=0)
    return [(o.option_id, o.title, o.provider_name) for o in page.items]


@router.post("/clients/{client_id}/followups", dependencies=[CSRF])
def record_followup(request: Request, client_id: ClientId, session: SessionDep,
                    caller: PageCaller, fields: FormFields):
    """A follow-up of a client who was not placed: earning or not, and income."""
    need(caller, "social_worker")
    t = translator(request)
    values = {k: v for k, v in blank_to_none(fields, "followed_up_on", "income_vnd_day")
              .items() if v is not None}
    values["earning"] = fields.get("earning") == "1"
    try:
        add_followup(client_id, FollowUpIn(**values), session, caller)
    except ValidationError as exc:
        return client_page(request, session, caller, client_id, status=422,
                           followup_errors=field_errors(exc, t))
    except Problem as exc:
        if exc.status == 404:
            raise
        return client_page(request, session, caller, client_id, status=exc.status,
                           followup_errors={"form": problem_text(exc, t)})
    return RedirectResponse(f"/clients/{client_id}#followups", status_code=303)
