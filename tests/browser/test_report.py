"""The Department's report in the browser: programme staff open it from the navigation,
choose a quarter, read the figures, download the Excel file and find the same figures in it;
on a 360 px phone the page does not scroll sideways."""

from __future__ import annotations

import io

import openpyxl

from matcher.review.department import department_report
from matcher.store.db import transaction
from tests.browser.conftest import shot

STAFF = "canbo.chuongtrinh"


def test_staff_open_the_report_choose_a_quarter_and_download_it(open_page, db):
    page = open_page(STAFF)
    page.get_by_role("link", name="Báo cáo Sở").click()
    assert page.url.endswith("/staff/report")
    assert page.get_by_role("heading", level=1).inner_text() == \
        "Báo cáo kết quả hỗ trợ sinh kế gửi Sở"
    page.get_by_label("Năm").fill("2026")
    page.get_by_label("Quý").select_option("3")
    page.get_by_role("button", name="Xem báo cáo").click()
    assert page.locator("#report-period").inner_text().startswith("Quý 3/2026")
    with transaction(db) as s:
        expected = department_report(s, 2026, 3)
    referred = expected.total["values"]["referred"]
    cell = page.locator("#report-total tr[data-measure='referred'] td.num")
    assert cell.get_attribute("data-value") == str(referred) and referred > 0
    assert page.locator("#report-groups tbody tr").count() == 9
    shot(page, "staff-report")

    with page.expect_download() as info:
        page.locator("#report-download").click()
    download = info.value
    assert download.suggested_filename == "bao-cao-so-2026-q3.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    assert book.sheetnames == ["Tổng hợp", "Theo nhóm", "Theo địa bàn", "Theo cơ sở"]
    summary = {r[0]: r[1] for r in book["Tổng hợp"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Kỳ báo cáo"] == "Quý 3/2026"
    assert summary["Được giới thiệu"] == referred
    assert summary["Tham gia câu lạc bộ"] == expected.total["values"]["clubs_joined"]


def test_the_report_fits_a_phone(open_page):
    page = open_page(STAFF, phone=True)
    page.goto("/staff/report?year=2026&quarter=3")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "staff-report-phone")
