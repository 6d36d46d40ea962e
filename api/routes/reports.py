"""The Department's quarterly report for programme staff: GET /v1/reports/department (JSON)
and GET /v1/reports/department.xlsx (the same figures as an Excel file).

Both read :func:`matcher.review.department.department_report`, as the /staff/report page and
the dashboard's headline do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api import audit
from api.deps import Caller, CallerDep, SessionDep, allow
from api.errors import problem_responses
from api.report_xlsx import XLSX_TYPE, workbook
from api.routing import ReleasingRoute
from api.schemas.reports import DepartmentReportOut
from matcher.review.department import DepartmentReport, department_report

router = APIRouter(route_class=ReleasingRoute, prefix="/v1/reports", tags=["reports"],
                   dependencies=[allow("programme_staff")],
                   responses=problem_responses(401, 403, 422))

FIRST_YEAR, LAST_YEAR = 2000, 2100
Year = Annotated[int, Query(ge=FIRST_YEAR, le=LAST_YEAR,
                            description=f"The year ({FIRST_YEAR} to {LAST_YEAR}).")]
Quarter = Annotated[int | None, Query(ge=1, le=4, description="The quarter (1 to 4); "
                                                              "omitted: the whole year.")]
Lang = Annotated[str | None, Query(pattern="^(vi|en)$", description="The file's language "
                                   "(vi or en); omitted: the lang cookie, else vi.")]


def report(session: Session, caller: Caller, year: int,
           quarter: int | None) -> DepartmentReport:
    """The figures, with the reading audited (the year and quarter only)."""
    found = department_report(session, year, quarter)
    audit.record(session, caller, "read", "department_report", f"{year}-Q{quarter or 0}",
                 {"year": year, "quarter": quarter})
    session.commit()
    return found


@router.get("/department", response_model=DepartmentReportOut)
def department(session: SessionDep, caller: CallerDep, year: Year,
               quarter: Quarter = None) -> DepartmentReportOut:
    """Clients served by group and place, referred, trained, employed, livelihood models
    started, earning six months on and their mean daily income, by group (small cells
    hidden), place and provider, for a quarter or a year (README: the Department's report)."""
    return DepartmentReportOut.model_validate(report(session, caller, year, quarter).as_dict())


@router.get("/department.xlsx", response_class=Response,
            responses={200: {"content": {XLSX_TYPE: {}},
                             "description": "The report as an Excel workbook."}})
def department_xlsx(request: Request, session: SessionDep, caller: CallerDep, year: Year,
                    quarter: Quarter = None, lang: Lang = None) -> Response:
    """The same figures as an Excel workbook, in Vietnamese unless asked otherwise."""
    # Imported here: api.web's pages import this module (the page calls report()).
    from api.web.i18n import COOKIE, LANGS, Translator, pick  # noqa: PLC0415

    found = report(session, caller, year, quarter)
    t = Translator(lang if lang in LANGS else pick(request.cookies.get(COOKIE)))
    name = f"bao-cao-so-{year}" + (f"-q{quarter}" if quarter else "") + ".xlsx"
    return Response(workbook(found, t), media_type=XLSX_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


__all__ = ["department", "department_xlsx", "report", "router"]
