"""The Department's report (GET /v1/reports/department): matcher.review.department's figures."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class ReportValues(BaseModel):
    """One row's figures: counts of distinct clients, and the mean daily income (đồng) of
    those earning. None: hidden as a small group cell, or (clubs_joined) not recorded yet."""

    served: int | None = None
    referred: int | None = None
    started_training: int | None = None
    completed_training: int | None = None
    started_job: int | None = None
    started_livelihood: int | None = None
    reached_6_months: int | None = None
    earning_6_months: int | None = None
    income_vnd_day: int | None = None
    clubs_joined: int | None = Field(None, description="Clients referred to a support club in "
                                                       "the period; None: a hidden small cell.")


class ReportRow(BaseModel):
    values: ReportValues
    income_n: int | None = Field(description="Earning placements the mean income rests on "
                                             "(None when hidden).")


class GroupRow(ReportRow):
    group: str
    suppressed: list[str] = Field(description="The measures hidden in this row: counts of 1 "
                                              "to small_cell - 1, and their complements.")


class PlaceRow(ReportRow):
    level: str = Field(description='"district" (a former district) or "commune" (a current '
                                   'unit, under the district before it)')
    place_id: str | None
    name: str
    district: str | None = None


class ProviderRow(ReportRow):
    provider_id: str
    name: str
    kind: str | None


class DepartmentReportOut(BaseModel):
    year: int
    quarter: int | None = Field(description="1-4, or None for the whole year.")
    start: date
    end: date
    small_cell: int = Field(description="A group cell of fewer clients than this is hidden.")
    measures: list[str]
    total: ReportRow
    by_group: list[GroupRow]
    by_place: list[PlaceRow]
    by_provider: list[ProviderRow]
