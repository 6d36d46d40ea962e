"""The programme staff's journey in Chromium: the dashboard's charts, a cohort plan picked
by searching without diacritics, committed, downloaded as Excel, and the audit log; the
same in English; the dashboard at phone width."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from matcher.store.db import transaction
from matcher.store.tables import Client, Decision, Option, Placement, Plan, Suggestion
from matcher.vocab.text import fold
from tests.browser.conftest import shot

STAFF = "canbo.chuongtrinh"
CHARTS = ("months", "group", "place", "provider", "calibration", "declines", "seats")
# Our own clients, so that the plan does not depend on what other tests wrote.
MINE = [(f"BRSTAFF-{k}", f"Đặng Thị Kế Hoạch {name}") for k, name in
        enumerate(("Ánh", "Bích", "Cúc", "Dung"), start=1)]
HA_LONG = "cur-6652"


@pytest.fixture
def cohort(db):
    """Four clients of ours in Hạ Long, and one declined suggestion (the decline chart)."""
    with transaction(db) as s:
        for cid, name in MINE:
            if s.get(Client, cid) is None:
                s.add(Client(client_id=cid, full_name=name, full_name_folded=fold(name),
                             birth_date=date(1994, 3, 1), gender="female",
                             group_code="trafficking_returnee", place_id=HA_LONG,
                             interests="học may; nấu ăn; làm tóc", max_travel_km=40))
        if not s.scalar(select(func.count()).select_from(Decision)
                        .where(Decision.reason_code == "too_far")):
            option = s.scalar(select(Option.option_id).order_by(Option.option_id).limit(1))
            sug = Suggestion(client_id=MINE[0][0], model_version="browser-test", entries=[])
            s.add(sug)
            s.flush()
            s.add(Decision(suggestion_id=sug.suggestion_id, option_id=option,
                           decision="declined", reason_code="too_far"))
    return [cid for cid, _ in MINE]


def _check_charts(page) -> None:
    for name in CHARTS:
        svg = page.locator(f"#chart-{name} svg[role=img]")
        assert svg.count() == 1, name
        title = svg.locator("title").first.text_content()
        assert title and title == page.locator(f"#chart-{name} h2").inner_text(), name
        assert svg.locator("desc").first.text_content()
        marks = svg.locator(".bar, .point").count()
        assert marks > 0, f"{name}: no data points"
    assert page.locator("#chart-calibration .diagonal").count() == 1
    assert page.locator("#chart-group line.ci").count() == \
        page.locator("#chart-group circle.point").count() > 0


def test_staff_journey_dashboard_plan_commit_download_audit(open_page, db, cohort):
    page = open_page(STAFF)
    assert page.url.endswith("/dashboard")
    assert page.get_by_role("heading", level=1).inner_text() == "Tổng quan chất lượng kết nối"
    _check_charts(page)
    # The numbers are there for screen readers too, in the details tables.
    page.locator("#chart-group summary").click()
    assert page.locator("#chart-group table tbody tr").count() >= 8
    shot(page, "staff-dashboard")

    # Pick our clients: search without diacritics, tick three, search again, tick one more.
    page.get_by_role("link", name="Kế hoạch theo nhóm").click()
    page.get_by_label("Tìm theo tên hoặc mã").fill("dang thi ke hoach")
    page.get_by_role("button", name="Tìm", exact=True).click()
    for cid in cohort[:3]:
        page.locator(f"#pick-{cid}").check()
    page.get_by_label("Tìm theo tên hoặc mã").fill("ke hoach dung")
    page.get_by_label("Phường, xã, đặc khu").select_option(HA_LONG)
    page.get_by_role("button", name="Tìm", exact=True).click()
    for cid in cohort[:3]:  # the ones already picked stay picked
        assert page.locator(f"#pick-{cid}").is_checked()
    page.get_by_label("Đặng Thị Kế Hoạch Dung").check()
    page.get_by_label("Ngân sách (đồng, không bắt buộc)").first.fill("40.000.000")
    shot(page, "staff-cohort")
    page.get_by_role("button", name="Lập kế hoạch", exact=True).click()

    # The plan: its gain over the status quo and greedy, assignments, unassigned.
    assert "/cohort/" in page.url
    plan_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert page.locator("#plan-status").inner_text() == "Bản nháp"
    assert page.locator("#gain-status-quo").inner_text().startswith("+")
    assert page.locator("#gain-greedy").inner_text().startswith("+")
    assert "40.000.000" in page.locator("#budget").inner_text()
    rows = page.locator("#assignments tbody tr")
    unassigned = page.locator("#unassigned tbody tr")
    assert rows.count() >= 1
    assert rows.count() + unassigned.count() == 4
    shown = {rows.nth(i).get_attribute("data-client") for i in range(rows.count())}
    assert shown <= set(cohort)
    shot(page, "staff-plan")

    # Download the Excel and read it back.
    with page.expect_download() as info:
        page.locator("#download").click()
    download = info.value
    assert download.suggested_filename == f"plan-{plan_id}.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    sheet = book.worksheets[0]
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][0] == "Mã khách hàng"
    assert {r[0] for r in table[1:]} == shown
    assert all(0 < r[8] < 1 for r in table[1:])  # P(success)
    assert len(list(book.worksheets[1].iter_rows())) - 1 == unassigned.count()

    # Commit: the seats are reserved and the placements exist.
    with transaction(db) as s:
        body = s.get(Plan, plan_id).body
        used = [a["option_id"] for a in body["assignments"]]
        seats_before = {o: s.get(Option, o).capacity for o in set(used)}
    page.locator("#commit-button").click()
    assert page.locator("#commit-ok").is_visible()
    assert page.locator("#plan-status").inner_text() == "Đã chốt"
    assert page.locator("#commit-button").count() == 0
    with transaction(db) as s:
        plan = s.get(Plan, plan_id)
        assert plan.status == "committed" and plan.committed_at is not None
        placed = s.execute(select(Placement.client_id, Placement.option_id)
                           .where(Placement.plan_id == plan_id)).all()
        assert sorted(placed) == sorted((a["client_id"], a["option_id"])
                                        for a in body["assignments"])
        for option_id, before in seats_before.items():
            assert s.get(Option, option_id).capacity == before - used.count(option_id)
    shot(page, "staff-plan-committed")

    # The audit log shows the plan's creation and commit, newest first.
    page.get_by_role("link", name="Nhật ký truy cập").click()
    page.get_by_label("Hành động").fill("commit")
    page.get_by_label("Đối tượng").fill("plan")
    page.get_by_role("button", name="Lọc", exact=True).click()
    first = page.locator("#audit-rows tbody tr").first
    assert f"plan {plan_id}" in first.inner_text()
    assert STAFF in first.inner_text()
    page.goto("/audit?actor=" + STAFF)
    assert page.locator("#audit-rows tbody tr").count() >= 3
    shot(page, "staff-audit")


def test_staff_pages_in_english(open_page, cohort):
    page = open_page(STAFF)
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Match quality overview"
    _check_charts(page)
    assert page.locator("#chart-months").get_by_text("Training").count() >= 1
    page.get_by_role("link", name="Cohort plan").click()
    # expect waits for the cohort page (is_visible does not: on a busy machine it read the
    # dashboard still shown and failed).
    expect(page.get_by_label("Search by name or id")).to_be_visible()
    shot(page, "staff-cohort-en")


def test_dashboard_at_phone_width_does_not_overflow(open_page, cohort):
    page = open_page(STAFF, phone=True)
    assert page.url.endswith("/dashboard")
    _check_charts(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator("#chart-seats summary").click()  # an opened wide table scrolls in its box
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "staff-dashboard-phone")


def test_other_roles_cannot_open_the_dashboard(open_page):
    page = open_page("ctv.halong")
    response = page.goto("/dashboard")
    assert response.status == 403
    assert page.get_by_role("heading", name="Không được phép").is_visible()
