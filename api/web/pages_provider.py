"""Pages of the provider area: a trainer's or employer's own options, and referrals received.

Each page calls the route function its JSON twin runs (api.routes.capacity and
api.routes.referrals) with the page's signed-in caller, so a provider sees and changes
exactly what its token could: another provider's option or referral is the same 404 as a
missing one. An edit sends the version the form was opened at, as the API's If-Match; when
someone saved in between, the page shows the current values next to the user's own entries,
which are kept, and nothing is changed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.deps import SessionDep
from api.errors import Problem
from api.routes.capacity import my_option, my_option_history, my_options, update_my_option
from api.routes.directory import OptionId
from api.routes.referrals import my_referrals
from api.routing import ReleasingRoute
from api.schemas.bounds import Offset
from api.schemas.capacity import OptionUpdate
from api.schemas.directory import OptionOut
from api.web.render import render, translator
from api.web.session import CSRF, PageCaller, need
from matcher.clock import as_utc, in_vietnam
from matcher.store.tables import Option, OptionChange, Provider
from matcher.vocab.kinds import BY_CODE, CLUB_CODES

PROVIDER_KINDS_OF_CLUBS = frozenset(BY_CODE[k].provider_kind for k in CLUB_CODES)

router = APIRouter(route_class=ReleasingRoute, include_in_schema=False)

PAGE = 50
# An option not updated for this long asks its provider to confirm its seats.
STALE_AFTER = timedelta(days=30)
# The fields of OptionUpdate, in the order of the form.
FIELDS = ("capacity", "start_date", "duration_weeks", "cost_vnd", "wage_vnd_day")
NUMBER_FIELDS = ("capacity", "duration_weeks", "cost_vnd", "wage_vnd_day")
MONEY_FIELDS = ("cost_vnd", "wage_vnd_day")

FormText = Annotated[str, Form(max_length=40)]


# --- helpers ---------------------------------------------------------------------------------



def _updated(session: Session, ids: list[str]) -> dict[str, datetime | None]:
    """When each of these options (already shown to the caller) was last updated."""
    if not ids:
        return {}
    # The provider's own last edit or confirmation; a seat taken by a placement also moves
    # Option.updated_at, but says nothing about whether the provider's figures are current.
    own = dict(session.execute(
        select(OptionChange.option_id, func.max(OptionChange.at))
        .where(OptionChange.option_id.in_(ids), OptionChange.cause == "provider")
        .group_by(OptionChange.option_id)).all())
    rows = session.execute(select(Option.option_id, Option.updated_at)
                           .where(Option.option_id.in_(ids))).all()
    return {option_id: as_utc(own.get(option_id) or at) for option_id, at in rows}


def _row(option: OptionOut, updated: datetime | None, now: datetime) -> dict[str, Any]:
    return {"option": option,
            "updated": in_vietnam(updated),
            "stale": updated is None or now - updated > STALE_AFTER}


def _form_values(option: OptionOut) -> dict[str, str]:
    """The form's fields as the option holds them now."""
    values = {name: getattr(option, name) for name in FIELDS}
    return {name: "" if value is None else
            value.isoformat() if isinstance(value, date) else str(value)
            for name, value in values.items()}


def _parse(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, tuple[str, dict]]]:
    """The form's text as OptionUpdate's fields, and the errors (catalogue key, values)."""
    parsed: dict[str, Any] = {}
    errors: dict[str, tuple[str, dict]] = {}
    for name in NUMBER_FIELDS:
        text = values[name].strip().replace(" ", "")
        if name in MONEY_FIELDS:
            # Money may be typed with thousands separators (1.500.000 or 1,500,000 ₫).
            text = text.replace(".", "").replace(",", "").rstrip("₫đ")
        if not text:
            if name == "capacity":
                errors[name] = ("provider.error.required", {})
            else:
                parsed[name] = None
            continue
        try:
            parsed[name] = int(text)
        except ValueError:
            errors[name] = ("provider.error.whole_number", {})
    text = values["start_date"].strip()
    if not text:
        parsed["start_date"] = None
    else:
        try:
            parsed["start_date"] = date.fromisoformat(text)
        except ValueError:
            errors["start_date"] = ("provider.error.date", {})
    return parsed, errors


def _checked(parsed: dict[str, Any], errors: dict[str, tuple[str, dict]],
             t) -> OptionUpdate | None:
    """OptionUpdate of the parsed fields, its range errors added to ``errors``."""
    try:
        body = OptionUpdate(**parsed)
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "capacity"
            ctx = error.get("ctx") or {}
            if "ge" in ctx:
                errors.setdefault(name, ("provider.error.min", {"min": t.number(ctx["ge"])}))
            elif "le" in ctx:
                errors.setdefault(name, ("provider.error.max", {"max": t.number(ctx["le"])}))
            else:
                errors.setdefault(name, ("provider.error.whole_number", {}))
        return None
    return None if errors else body


def _shown(t, name: str, value: str | None) -> str:
    """A stored value of a history entry, in the page's language."""
    if value is None or value == "":
        return "—"
    if name in MONEY_FIELDS and value.isdigit():
        return t.money(int(value))
    if name in NUMBER_FIELDS and value.isdigit():
        return t.number(int(value))
    if name == "start_date":
        try:
            return t.day(date.fromisoformat(value))
        except ValueError:
            return value
    return value


def _history(request: Request, session: Session, caller, option_id: str) -> dict[str, Any]:
    t = translator(request)
    page = my_option_history(option_id, session, caller, limit=PAGE, offset=0)
    items = [{"at": in_vietnam(c.at), "username": c.username,
              "actor": c.actor,
              "field": c.field, "old": _shown(t, c.field, c.old), "new": _shown(t, c.field, c.new),
              "cause": c.cause} for c in page.items]
    return {"items": items, "total": page.total}


def _edit_page(request: Request, session: Session, caller, option: OptionOut, *,
               values: dict[str, str], errors: dict[str, tuple[str, dict]] | None = None,
               stale: bool = False, saved: bool = False, status: int = 200):
    now = datetime.now(UTC)
    row = _row(option, _updated(session, [option.option_id]).get(option.option_id), now)
    current = _form_values(option)
    return render(request, "provider/option.html", caller, status=status, row=row,
                  option=option, values=values, current=current, errors=errors or {},
                  stale_edit=stale, saved=saved, history=_history(request, session, caller,
                                                                   option.option_id),
                  today=date.today().isoformat(), has_cost=BY_CODE[option.kind].has_cost)


def _pager(offset: int, total: int) -> dict[str, int | None]:
    return {"prev": max(0, offset - PAGE) if offset > 0 else None,
            "next": offset + PAGE if offset + PAGE < total else None,
            "first": offset + 1 if total else 0, "last": min(offset + PAGE, total),
            "total": total}


# --- options ---------------------------------------------------------------------------------


@router.get("/my/options")
def options_page(request: Request, caller: PageCaller, session: SessionDep,
                 offset: Offset = 0):
    need(caller, "provider")
    page = my_options(session, caller, limit=PAGE, offset=offset)
    now = datetime.now(UTC)
    updated = _updated(session, [o.option_id for o in page.items])
    rows = [_row(o, updated.get(o.option_id), now) for o in page.items]
    return render(request, "provider/options.html", caller, rows=rows,
                  pager=_pager(offset, page.total),
                  n_stale=sum(1 for r in rows if r["stale"]))


@router.get("/my/options/{option_id}")
def option_page(option_id: OptionId, request: Request, caller: PageCaller,
                session: SessionDep, saved: bool = False):
    need(caller, "provider")
    option = my_option(option_id, Response(), session, caller)
    return _edit_page(request, session, caller, option, values=_form_values(option),
                      saved=saved)


@router.post("/my/options/{option_id}", dependencies=[CSRF])
def save_option(option_id: OptionId, request: Request, caller: PageCaller,
                session: SessionDep, version: Annotated[str, Form(max_length=12)] = "",
                capacity: FormText = "", start_date: FormText = "",
                duration_weeks: FormText = "", cost_vnd: FormText = "",
                wage_vnd_day: FormText = ""):
    need(caller, "provider")
    t = translator(request)
    values = {"capacity": capacity, "start_date": start_date,
              "duration_weeks": duration_weeks, "cost_vnd": cost_vnd,
              "wage_vnd_day": wage_vnd_day}
    parsed, errors = _parse(values)
    body = _checked(parsed, errors, t) if not errors else None
    if body is None:
        option = my_option(option_id, Response(), session, caller)  # 404 if not the caller's
        return _edit_page(request, session, caller, option.model_copy(
            update={"version": _version(version, option.version)}), values=values,
            errors=errors, status=422)
    try:
        update_my_option(option_id, body, Response(), session, caller,
                         if_match=f'"{_version(version, 0)}"')
    except Problem as exc:
        session.rollback()
        if exc.status == 412:
            # Someone saved since this form was opened: show theirs, keep ours, change nothing.
            option = my_option(option_id, Response(), session, caller)
            return _edit_page(request, session, caller, option, values=values, stale=True,
                              status=412)
        if exc.status == 422 and exc.field == "body.start_date":
            key = "provider.error.start_needed" if body.start_date is None \
                else "provider.error.past"
            option = my_option(option_id, Response(), session, caller)
            return _edit_page(request, session, caller, option.model_copy(
                update={"version": _version(version, option.version)}), values=values,
                errors={"start_date": (key, {})}, status=422)
        raise
    return RedirectResponse(f"/my/options/{option_id}?saved=1", status_code=303)


def _version(text: str, default: int) -> int:
    """The version the form was opened at (a form without one is treated as stale)."""
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= 9 else default


# --- referrals -------------------------------------------------------------------------------


@router.get("/my/referrals")
def referrals_page(request: Request, caller: PageCaller, session: SessionDep,
                   offset: Offset = 0):
    need(caller, "provider")
    if session.scalar(select(Provider.kind).where(Provider.provider_id == caller.provider_id)) \
            in PROVIDER_KINDS_OF_CLUBS:  # a club has members, not placements
        return RedirectResponse("/my/club-members", status_code=303)
    page = my_referrals(session, caller, limit=PAGE, offset=offset)
    return render(request, "provider/referrals.html", caller, referrals=page.items,
                  pager=_pager(offset, page.total))

# One referral's page, with the provider's answer and reports: api/web/pages_referral.py.
