"""The Department's report page (/staff/report) over HTTP: programme staff only, Vietnamese
first, a quarter or a year chosen, bad choices answered next to the field, no group cell under
the threshold, the download link and the navigation; the dashboard's headline from the same
figures."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from matcher.review.department import SMALL_CELL, department_report
from matcher.store.db import transaction
from tests import local_http
from tests.web.signin import login_form

STAFF = "canbo.chuongtrinh"
PAGE = "/staff/report"


@contextmanager
def signed_in(server, username: str = STAFF) -> Iterator[httpx.Client]:
    with local_http.Client(base_url=server.url, timeout=120, follow_redirects=False) as client:
        assert login_form(client, username).status_code == 303
        yield client


@pytest.mark.parametrize("username", ["ctv.halong", "truong.nghe", "quantri"])
def test_other_roles_get_403(web, username):
    with signed_in(web, username) as page:
        for path in (PAGE, PAGE + "?year=2025&quarter=3"):
            r = page.get(path)
            assert r.status_code == 403, (path, r.status_code)
            assert "text/html" in r.headers["content-type"]
        assert 'href="/staff/report"' not in page.get("/account/password").text


def test_a_sign_in_is_needed(web):
    with local_http.Client(base_url=web.url, timeout=60, follow_redirects=False) as anonymous:
        assert anonymous.get(PAGE).status_code == 303


def test_the_page_shows_the_quarter_in_vietnamese_with_the_library_s_figures(web, db):
    with signed_in(web) as page:
        html = page.get("/dashboard").text
        assert 'href="/staff/report"' in html and "Báo cáo Sở" in html  # in the navigation
        r = page.get(PAGE, params={"year": 2026, "quarter": 3})
    assert r.status_code == 200
    html = r.text
    assert "Báo cáo kết quả hỗ trợ sinh kế gửi Sở" in html and "Quý 3/2026" in html
    assert ('href="/v1/reports/department.xlsx?year=2026&amp;quarter=3&amp;lang=vi"'
            in html)
    with transaction(db) as s:
        expected = department_report(s, 2026, 3)
    referred = re.search(r'data-measure="referred"><th scope="row">[^<]*</th>'
                         r'<td class="num" data-value="(\d+)"', html)
    assert int(referred.group(1)) == expected.total["values"]["referred"] > 0
    # group rows: a number of at least the threshold, 0, or "<30"
    groups = re.search(r'<table id="report-groups">(.*?)</table>', html, re.S).group(1)
    cells = re.findall(r'<td class="num" data-measure="(\w+)">(.*?)</td>', groups, re.S)
    assert cells
    hidden = 0
    for measure, cell in cells:
        if measure == "income_vnd_day":
            continue
        if f"&lt;{SMALL_CELL}" in cell:
            hidden += 1
            continue
        text = re.sub(r"<[^>]+>", "", cell).strip()
        if text == "—":
            continue
        number = int(text.replace(".", ""))
        assert number == 0 or number >= SMALL_CELL, (measure, text)
    assert hidden and "ít hơn 30 người" in html  # the rule is on the page


def test_a_whole_year_and_english(web):
    with signed_in(web) as page:
        page.cookies.set("lang", "en")
        r = page.get(PAGE, params={"year": 2025, "quarter": "year"})
    assert r.status_code == 200
    assert "Year 2025" in r.text and "Department report" in r.text
    assert 'data-quarter=""' in r.text and "lang=en" in r.text


@pytest.mark.parametrize(("params", "field", "words"), [
    ({"year": "1999", "quarter": "1"}, "year", "Năm phải là số từ 2000 đến 2100."),
    ({"year": "hai nghìn", "quarter": "1"}, "year", "Năm phải là số từ 2000 đến 2100."),
    ({"year": "2025", "quarter": "5"}, "quarter", "Quý phải là 1, 2, 3, 4 hoặc cả năm."),
])
def test_a_bad_choice_is_answered_next_to_its_field(web, params, field, words):
    with signed_in(web) as page:
        r = page.get(PAGE, params=params)
    assert r.status_code == 422
    assert f'id="f-{field}-error">{words}</span>' in r.text
    assert f'aria-describedby="f-{field}-error"' in r.text
    assert 'id="report-period"' not in r.text  # no figures for a period that is not one


def test_a_too_long_value_is_refused(web):
    with signed_in(web) as page:
        assert page.get(PAGE, params={"year": "9" * 50}).status_code == 422


def test_the_dashboard_headline_is_the_current_quarter_s_report(web):
    with signed_in(web) as page:
        html = page.get("/dashboard").text
    found = re.search(r'id="dashboard-quarter"[^>]*data-year="(\d+)" data-quarter="(\d)"', html)
    assert found, "no headline on the dashboard"
    year, quarter = int(found.group(1)), int(found.group(2))
    assert f'href="/staff/report?year={year}&amp;quarter={quarter}"' in html
    assert 'data-measure="referred"' in html and 'data-measure="income_vnd_day"' in html
