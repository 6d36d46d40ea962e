"""The Department's report as an Excel workbook: a summary sheet with what each figure
counts and the small-cell rule, then the figures by group, by place and by provider.

Every cell goes through :func:`matcher.safe_cells.append_row`: provider names are stored
text, and a name like ``=HYPERLINK(…)`` must come out as text, never as a live formula.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from matcher.review.department import MEASURES, PROVIDER_MEASURES, DepartmentReport
from matcher.safe_cells import append_row

if TYPE_CHECKING:  # api.web imports the routes, which import this module
    from api.web.i18n import Translator

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def period_label(t: Translator, report: DepartmentReport) -> str:
    if report.quarter is None:
        return t("report.period.year", year=report.year)
    return t("report.period.quarter", quarter=report.quarter, year=report.year)


def cell(row: dict[str, Any], measure: str, small: int) -> Any:
    """A row's figure as the file shows it: a number, "<30" where hidden, "—" where not
    recorded (support clubs)."""
    value = row["values"][measure]
    if value is not None:
        return value
    if measure in row.get("suppressed", ()):
        return f"<{small}"
    return "—"


def workbook(report: DepartmentReport, t: Translator) -> bytes:
    from openpyxl import Workbook  # noqa: PLC0415 - only this download needs it

    # Write-only: a national year lists about 19,000 providers, and a workbook kept in memory
    # took 3.4 s to write them; cells made by append_row are written as they are.
    book = Workbook(write_only=True)
    small = report.small_cell
    summary = book.create_sheet(t("report.sheet.summary")[:31])
    append_row(summary, [t("report.title")])
    append_row(summary, [t("report.col.period"), period_label(t, report)])
    append_row(summary, [t("report.col.from"), report.start.isoformat()])
    append_row(summary, [t("report.col.to"), report.end.isoformat()])
    append_row(summary, [])
    append_row(summary, [t("report.col.measure"), t("report.col.province"),
                         t("report.col.definition")])
    for m in MEASURES:
        append_row(summary, [t(f"report.measure.{m}"), cell(report.total, m, small),
                             t(f"report.define.{m}")])
    append_row(summary, [])
    append_row(summary, [t("report.rule", n=small)])

    groups = book.create_sheet(t("report.sheet.group")[:31])
    append_row(groups, [t("report.col.group"), *(t(f"report.measure.{m}") for m in MEASURES)])
    for row in report.by_group:
        append_row(groups, [t(f"enum.group.{row['group']}"),
                            *(cell(row, m, small) for m in MEASURES)])
    append_row(groups, [t("report.col.total"), *(cell(report.total, m, small)
                                                  for m in MEASURES)])
    append_row(groups, [])
    append_row(groups, [t("report.rule", n=small)])

    places = book.create_sheet(t("report.sheet.place")[:31])
    append_row(places, [t("report.col.district"), t("report.col.commune"),
                        *(t(f"report.measure.{m}") for m in MEASURES)])
    for row in report.by_place:
        district = row["name"] if row["level"] == "district" else row["district"]
        commune = row["name"] if row["level"] == "commune" else t("report.col.all_communes")
        append_row(places, [district, commune, *(cell(row, m, small) for m in MEASURES)])
    append_row(places, [])
    append_row(places, [t("report.place_note")])

    providers = book.create_sheet(t("report.sheet.provider")[:31])
    append_row(providers, [t("report.col.provider_id"), t("report.col.provider"),
                           t("report.col.kind"),
                           *(t(f"report.measure.{m}") for m in PROVIDER_MEASURES)])
    for row in report.by_provider:
        kind = t(f"enum.provider_kind.{row['kind']}") if row["kind"] else ""
        append_row(providers, [row["provider_id"], row["name"], kind,
                               *(cell(row, m, small) for m in PROVIDER_MEASURES)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
