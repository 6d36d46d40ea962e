"""Programme staff's cohort plans (/cohort): pick clients (searched by POST: a name or group
never appears in a URL) or upload a file of client ids, set a budget, see the plan, commit it
(all seats or none), download it as Excel.

Every page calls the API's own route functions (api.routes.plans) with the signed-in caller,
so it can do exactly what that user's token could, and is audited the same way.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import audit
from api.deps import Caller, SessionDep, SettingsDep
from api.errors import Problem
from api.routes.clients import name_or_id
from api.routes.directory import place_name
from api.routes.plans import commit_plan, create_plan, get_plan, list_plans
from api.routing import ReleasingRoute
from api.schemas.bounds import IdPath, flag
from api.schemas.plans import MAX_COHORT, PlanRequest
from api.web.i18n import Translator
from api.web.render import render, translator
from api.web.session import CSRF, PageCaller, need
from matcher.ingest.deadline import Deadline
from matcher.ingest.errors import ImportFailed
from matcher.ingest.reading import read_table
from matcher.pricing import pricing_status
from matcher.safe_cells import append_row
from matcher.store.tables import Client, Option, OptionTrade, Provider
from matcher.vocab.places import load_place_index
from matcher.vocab.text import fold
from matcher.vocab.trades import load_trade_index

router = APIRouter(route_class=ReleasingRoute, include_in_schema=False)

SEARCH_LIMIT = 50

@router.get("/cohort")
def cohort_page(request: Request, caller: PageCaller, session: SessionDep):
    need(caller, "programme_staff")
    return _cohort_form(request, caller, session)


@router.post("/cohort/search", dependencies=[CSRF])
def cohort_search(request: Request, caller: PageCaller, session: SessionDep,
                  q: Annotated[str, Form(max_length=200)] = "",
                  place: Annotated[str, Form(max_length=32)] = "",
                  budget: Annotated[str, Form(max_length=40)] = "",
                  client_ids: Annotated[list[str], Form(max_length=MAX_COHORT)] = []):  # noqa: B006
    need(caller, "programme_staff")
    found = _find_clients(session, caller, q, place)
    return _cohort_form(request, caller, session, q=q, place=place, budget=budget,
                        selected=client_ids, found=found, searched=True)


@router.post("/cohort", dependencies=[CSRF])
def cohort_plan(request: Request, caller: PageCaller, session: SessionDep,
                q: Annotated[str, Form(max_length=200)] = "",
                place: Annotated[str, Form(max_length=32)] = "",
                budget: Annotated[str, Form(max_length=40)] = "",
                client_ids: Annotated[list[str], Form(max_length=MAX_COHORT)] = []):  # noqa: B006
    need(caller, "programme_staff")
    t = translator(request)
    error = None
    try:
        return _make_plan(session, caller, client_ids, budget, t)
    except _FormError as exc:
        error = exc.message
    return _cohort_form(request, caller, session, q=q, place=place, budget=budget,
                        selected=client_ids, error=error, status=422)


@router.post("/cohort/upload", dependencies=[CSRF])
def cohort_upload(request: Request, caller: PageCaller, session: SessionDep,
                  settings: SettingsDep,
                  file: Annotated[UploadFile, File()],
                  budget: Annotated[str, Form(max_length=40)] = ""):
    need(caller, "programme_staff")
    t = translator(request)
    try:
        ids = _cohort_file(file, int(settings.import_max_mb * 1e6), t)
        return _make_plan(session, caller, ids, budget, t)
    except _FormError as exc:
        return _cohort_form(request, caller, session, budget=budget, upload_error=exc.message,
                            status=422)


@router.get("/cohort/{plan_id}")
def plan_page(request: Request, caller: PageCaller, session: SessionDep, plan_id: IdPath,
              committed: flag() = 0):
    need(caller, "programme_staff")
    return _plan_view(request, caller, session, plan_id, just_committed=bool(committed))


@router.post("/cohort/{plan_id}/commit", dependencies=[CSRF])
def plan_commit(request: Request, caller: PageCaller, session: SessionDep, plan_id: IdPath):
    need(caller, "programme_staff")
    try:
        commit_plan(plan_id, session, caller)
    except Problem as exc:
        if exc.status != 409:
            raise
        session.rollback()
        short = [e["message"] for e in (exc.errors or [])]
        return _plan_view(request, caller, session, plan_id, status=409,
                          commit_error={"already": not short, "options": short})
    return RedirectResponse(f"/cohort/{plan_id}?committed=1", status_code=303)


@router.get("/cohort/{plan_id}/plan.xlsx")
def plan_download(request: Request, caller: PageCaller, session: SessionDep, plan_id: IdPath):
    need(caller, "programme_staff")
    plan = get_plan(plan_id, session, caller)
    t = translator(request)
    rows = _assignment_rows(session, plan, t)
    names = _client_names(session, [u["client_id"] for u in plan["unassigned"]])
    from openpyxl import Workbook  # noqa: PLC0415 - only this download needs it

    # Every row goes through append_row: names, titles and reasons are stored text, and a
    # name like =HYPERLINK(...) must come out as text, never as a live formula.
    book = Workbook()
    sheet = book.active
    sheet.title = t("staff.xlsx.assignments")[:31]
    append_row(sheet, [t("staff.col.client_id"), t("staff.col.client"),
                       t("staff.col.option_id"), t("staff.col.option"),
                       t("staff.col.provider"), t("staff.col.kind"), t("staff.col.trade"),
                       t("staff.col.place"), t("staff.col.p_success"), t("staff.col.cost")])
    for r in rows:
        append_row(sheet, [r["client_id"], r["full_name"], r["option_id"], r["title"],
                           r["provider"], t(f"enum.kind.{r['kind']}") if r["kind"] else "",
                           r["trade"], r["place"], r["p_success"], r["cost_vnd"]])
    left = book.create_sheet(t("staff.xlsx.unassigned")[:31])
    append_row(left, [t("staff.col.client_id"), t("staff.col.client"), t("staff.col.reason")])
    for u in plan["unassigned"]:
        append_row(left, [u["client_id"], names.get(u["client_id"], ""), u[t.lang]])
    summary = book.create_sheet(t("staff.xlsx.summary")[:31])
    append_row(summary, [t("staff.col.plan"), plan["plan_id"]])
    append_row(summary, [t("staff.col.status"), t(f"staff.status.{plan['status']}")])
    append_row(summary, [t("staff.col.model"), plan["model_version"]])
    append_row(summary, [t("staff.plan.objective"), plan["objective"]])
    append_row(summary, [t("staff.plan.expected"), plan["expected_successes"]])
    append_row(summary, [t("staff.plan.cost"), plan["cost_vnd"]])
    append_row(summary, [t("staff.plan.budget"), plan["budget_vnd"]])
    for name, gain in plan["gain_over"].items():
        append_row(summary, [t("staff.plan.gain_over", baseline=_baseline(t, name)), gain])
    buffer = io.BytesIO()
    book.save(buffer)
    session.commit()
    return Response(buffer.getvalue(), headers={
        "Content-Disposition": f'attachment; filename="plan-{plan_id}.xlsx"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class _FormError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _budget(text: str, t: Translator) -> int | None:
    """A budget in VND from the form: blank for none; "50.000.000", "50,000,000" are fine."""
    cleaned = text.replace(".", "").replace(",", "").replace(" ", "").replace("₫", "") \
        .replace("\u00a0", "")
    if not cleaned:
        return None
    if not cleaned.isdigit() or len(cleaned) > 15:
        raise _FormError(t("staff.cohort.bad_budget"))
    return int(cleaned)


def _make_plan(session: Session, caller: Caller, ids: list[str], budget: str,
               t: Translator) -> RedirectResponse:
    ids = list(dict.fromkeys(i.strip() for i in ids if i.strip()))
    if not ids:
        raise _FormError(t("staff.cohort.none_picked"))
    try:
        body = PlanRequest(client_ids=ids, budget_vnd=_budget(budget, t))
    except ValidationError as exc:
        raise _FormError(t("staff.cohort.invalid", detail="; ".join(
            e["msg"] for e in exc.errors()[:3]))) from None
    try:
        plan = create_plan(body, session, caller)
    except Problem as exc:
        session.rollback()
        if exc.status == 422:
            raise _FormError(t("staff.cohort.invalid", detail=exc.detail)) from None
        raise
    return RedirectResponse(f"/cohort/{plan['plan_id']}", status_code=303)


def _cohort_file(upload: UploadFile, max_bytes: int, t: Translator) -> list[str]:
    """The client ids of an uploaded CSV or .xlsx (a ``client_id`` column; others ignored)."""
    name = (upload.filename or "").lower()
    suffix = ".xlsx" if name.endswith((".xlsx", ".xlsm")) else ".csv"
    raw = upload.file.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise _FormError(t("staff.cohort.file_too_big", mb=max_bytes // 1_000_000))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"cohort{suffix}"
        path.write_bytes(raw)
        try:
            table = read_table(path, max_bytes=max_bytes, deadline=Deadline.from_settings())
        except ImportFailed as exc:
            raise _FormError(t("staff.cohort.file_error", detail=exc.render())) from None
        except Exception:  # noqa: BLE001 - a damaged workbook: say so, do not answer 500
            raise _FormError(t("staff.cohort.file_error", detail=upload.filename or "")) \
                from None
    header = [h.strip().lower() for h in table.header]
    if "client_id" not in header:
        raise _FormError(t("staff.cohort.no_column"))
    col = header.index("client_id")
    ids = [cells[col].strip() for cells in table.rows if len(cells) > col and cells[col].strip()]
    repeated = sorted({i for i in ids if ids.count(i) > 1}) if len(ids) < 20_000 else []
    if repeated:
        raise _FormError(t("staff.cohort.repeated", ids=", ".join(repeated[:10])))
    return ids


def _find_clients(session: Session, caller: Caller, q: str, place: str) -> dict[str, Any]:
    """Clients by name (with or without diacritics) or the start of their id, in a place.

    The same matching as the API's client search (api.routes.clients._search), with
    a filter by current unit that the API's search does not have; audited the same way.
    """
    where, first = name_or_id(q)
    if place:
        where.append(Client.place_id.in_(_places_within(place)))
    total = session.scalar(select(func.count()).select_from(Client).where(*where)) or 0
    rows = list(session.scalars(select(Client).where(*where)
                                .order_by(*first, Client.client_id).limit(SEARCH_LIMIT)))
    audit.record(session, caller, "search", "client", None,
                 {"n": len(rows), "client_ids": [c.client_id for c in rows]})
    session.commit()
    return {"items": [_client_row(c) for c in rows], "total": total}


def _places_within(unit: str) -> list[str]:
    """Every place id (current or former) that lies in the current unit ``unit``."""
    return [p.place_id for p in load_place_index().places() if p.current_id == unit]


def _client_row(c: Client) -> dict[str, Any]:
    return {"client_id": c.client_id, "full_name": c.full_name or "",
            "place": place_name(c.place_id),
            "group": c.group_code, "birth_date": c.birth_date}


def _cohort_form(request: Request, caller: Caller, session: Session, *, q: str = "",
                 place: str = "", budget: str = "", selected: list[str] | None = None,
                 found: dict[str, Any] | None = None, searched: bool = False,
                 error: str | None = None, upload_error: str | None = None,
                 status: int = 200):
    selected = list(dict.fromkeys(selected or []))[:MAX_COHORT]
    chosen = []
    if selected:
        rows = {c.client_id: c for c in session.scalars(
            select(Client).where(Client.client_id.in_(selected[:1000])))}
        chosen = [_client_row(rows[i]) for i in selected if i in rows]
    shown = {c["client_id"] for c in chosen}
    found_items = [c for c in (found or {}).get("items", []) if c["client_id"] not in shown]
    units = sorted(load_place_index().current_units(), key=lambda p: fold(p.name))
    plans = list_plans(session, limit=10, offset=0)
    session.rollback()
    return render(request, "staff/cohort.html", caller, q=q, place=place, budget=budget,
                  chosen=chosen, found=found_items, total=(found or {}).get("total", 0),
                  searched=searched, error=error, upload_error=upload_error,
                  units=units, plans=plans, limit=SEARCH_LIMIT, status=status)


def _baseline(t: Translator, name: str) -> str:
    key = f"staff.baseline.{name}"
    return t(key) if t.has(key) else name


def _client_names(session: Session, ids: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        names.update(session.execute(select(Client.client_id, Client.full_name)
                                     .where(Client.client_id.in_(ids[start:start + 500])))
                     .all())
    return {k: v or "" for k, v in names.items()}


def _assignment_rows(session: Session, plan: dict[str, Any],
                     t: Translator) -> list[dict[str, Any]]:
    """The plan's assignments with the client's name and the option's title, provider,
    kind, main trade and place."""
    assignments = plan["assignments"]
    names = _client_names(session, [a["client_id"] for a in assignments])
    option_ids = sorted({a["option_id"] for a in assignments})
    options: dict[str, Any] = {}
    trades_of: dict[str, str] = {}
    for start in range(0, len(option_ids), 500):
        chunk = option_ids[start:start + 500]
        for row in session.execute(
                select(Option.option_id, Option.title, Option.kind, Option.place_id,
                       Option.cost_vnd, Provider.name)
                .join(Provider, Provider.provider_id == Option.provider_id)
                .where(Option.option_id.in_(chunk))):
            options[row.option_id] = row
        for oid, trade_id, _pos in session.execute(
                select(OptionTrade.option_id, OptionTrade.trade_id, OptionTrade.position)
                .where(OptionTrade.option_id.in_(chunk))
                .order_by(OptionTrade.option_id, OptionTrade.position.desc())):
            trades_of[oid] = trade_id  # the lowest position is written last
    trades, places = load_trade_index(), load_place_index()
    rows = []
    for a in assignments:
        o = options.get(a["option_id"])
        trade = trades_of.get(a["option_id"])
        trade_name = ""
        if trade and trade in trades:
            tr = trades.get(trade)
            trade_name = tr.name_vi if t.lang == "vi" else tr.name_en
        place = ""
        if o is not None and o.place_id in places:
            place = places.get(o.place_id).name
        rows.append({"client_id": a["client_id"], "full_name": names.get(a["client_id"], ""),
                     "option_id": a["option_id"], "title": o.title if o else "",
                     "provider": o.name if o else "", "kind": o.kind if o else "",
                     "trade": trade_name, "place": place, "p_success": a["p_success"],
                     "cost_vnd": o.cost_vnd if o else None})
    return rows


def _plan_view(request: Request, caller: Caller, session: Session, plan_id: int, *,
               status: int = 200, just_committed: bool = False,
               commit_error: dict[str, Any] | None = None):
    plan = get_plan(plan_id, session, caller)
    t = translator(request)
    rows = _assignment_rows(session, plan, t)
    names = _client_names(session, [u["client_id"] for u in plan["unassigned"]])
    unassigned = [{**u, "full_name": names.get(u["client_id"], "")} for u in plan["unassigned"]]
    baselines = [{"name": name, "label": _baseline(t, name), **b,
                  "gain": plan["gain_over"].get(name)}
                 for name, b in plan["baselines"].items()]
    pricing = pricing_status(session)
    session.rollback()
    return render(request, "staff/plan.html", caller, plan=plan, rows=rows,
                  unassigned=unassigned, baselines=baselines, status=status, pricing=pricing,
                  just_committed=just_committed, commit_error=commit_error)
