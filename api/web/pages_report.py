"""The Department's report for programme staff (/staff/report): a year and quarter chooser,
the figures (province, by group with small cells hidden, by place, the busiest providers)
and a link to the Excel file; through the API route's own function (api.routes.reports)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import SessionDep
from api.routes.reports import FIRST_YEAR, LAST_YEAR, report
from api.routing import ReleasingRoute
from api.web.render import render
from api.web.session import PageCaller, need
from matcher.clock import in_vietnam, utcnow
from matcher.review.department import MEASURES, PROVIDER_MEASURES, current_quarter

router = APIRouter(route_class=ReleasingRoute, include_in_schema=False)

#: Providers listed on the page (the Excel file lists every one).
PAGE_PROVIDERS = 20
WHOLE_YEAR = "year"


def today() -> date:
    return in_vietnam(utcnow()).date()


@router.get("/staff/report")
def report_page(request: Request, caller: PageCaller, session: SessionDep,
                year: Annotated[str, Query(max_length=20)] = "",
                quarter: Annotated[str, Query(max_length=8)] = ""):
    need(caller, "programme_staff")
    now_year, now_quarter = current_quarter(today())
    errors: dict[str, tuple[str, dict]] = {}
    chosen_year, chosen_quarter = now_year, now_quarter
    if year.strip():
        try:
            chosen_year = int(year.strip())
        except ValueError:
            chosen_year = None
        if chosen_year is None or not FIRST_YEAR <= chosen_year <= LAST_YEAR:
            errors["year"] = ("report.bad_year", {"first": FIRST_YEAR, "last": LAST_YEAR})
    if quarter.strip() or year.strip():
        value = quarter.strip()
        if value == WHOLE_YEAR:
            chosen_quarter = None
        elif value in ("1", "2", "3", "4"):
            chosen_quarter = int(value)
        else:
            errors["quarter"] = ("report.bad_quarter", {})
    form = {"year": year if errors.get("year") else str(chosen_year),
            "quarter": quarter if errors.get("quarter")
            else (WHOLE_YEAR if chosen_quarter is None else str(chosen_quarter))}
    found = None if errors else report(session, caller, chosen_year, chosen_quarter)
    session.rollback()
    return render(request, "staff/report.html", caller, report=found, form=form,
                  errors=errors, measures=MEASURES, provider_measures=PROVIDER_MEASURES,
                  providers=(found.by_provider[:PAGE_PROVIDERS] if found else []),
                  first_year=FIRST_YEAR, last_year=LAST_YEAR,
                  status=422 if errors else 200)
