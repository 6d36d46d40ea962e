"""The social worker's journey by keyboard only: Tab, typing, arrows, Space and Enter.

Every step reaches its control by Tab from where the previous step left the focus, so a
control that cannot be reached by keyboard (or a focus trap) fails the test.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from matcher.store.tables import Client, Placement, PlacementCheck
from tests.api.server import TEST_PASSWORD
from tests.browser.conftest import shot


def tab_to(page, locator, limit: int = 120) -> None:
    """Press Tab until ``locator`` has the focus."""
    target = locator.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {locator}")


def arrow_to(page, locator, value: str, limit: int = 20) -> None:
    """On a focused <select>, press ArrowDown until ``value`` is chosen."""
    for _ in range(limit):
        if locator.input_value() == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{value} not reachable with arrows in {locator}")


def type_date(page, value: date) -> None:
    """A date field in Chromium's en-US order (the browser runs with --lang=en-US)."""
    page.keyboard.type(value.strftime("%m%d%Y"))


def test_keyboard_only_journey(open_page, web, db):
    page = open_page()
    page.goto("/login")
    tab_to(page, page.get_by_label("Tên đăng nhập"))
    page.keyboard.type("ctv.halong")
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/clients$"))
    # The first Tab stop of a page is the skip link, and it moves the focus to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"

    tab_to(page, page.get_by_role("link", name="Thêm khách hàng mới"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/clients/new$"))
    tab_to(page, page.get_by_label("Họ và tên"))
    page.keyboard.type("Lý Thị Bàn Phím")
    page.keyboard.press("Tab")
    type_date(page, date(2000, 3, 9))
    assert page.get_by_label("Ngày sinh").input_value() == "2000-03-09"
    gender = page.get_by_label("Giới tính")
    tab_to(page, gender)
    arrow_to(page, gender, "female")
    group = page.get_by_label("Nhóm đối tượng")
    tab_to(page, group)
    arrow_to(page, group, "gbv_survivor")
    tab_to(page, page.get_by_label("Nơi ở (xã, phường)"))
    page.keyboard.type("ha khanh")
    tab_to(page, page.get_by_label("Sở thích, nguyện vọng nghề"))
    page.keyboard.type("muon hoc may")
    tab_to(page, page.get_by_label("Đồng ý chia sẻ thông tin cơ bản với nơi tiếp nhận"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Lưu khách hàng"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/clients/KH\d+\?created=1$"))
    client_id = re.search(r"/clients/(KH\d+)", page.url).group(1)

    tab_to(page, page.get_by_role("button", name="Xem gợi ý"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/suggestions/\d+$"))
    first = page.locator("li.card").first
    start = date.today() - timedelta(days=120)
    tab_to(page, first.get_by_label("Ngày bắt đầu"))
    type_date(page, start)
    tab_to(page, first.get_by_role("button", name="Nhận chỗ này"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/placements/.+\?accepted=1$"))
    placement_id = re.search(r"/placements/([^?]+)", page.url).group(1)

    check3 = page.locator("#check-3")
    tab_to(page, check3.get_by_label("Thu nhập (đồng/ngày)"))
    page.keyboard.type("120000")
    tab_to(page, check3.get_by_role("button", name="Lưu"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"\?saved=1$"))
    shot(page, "social-worker-keyboard")

    with db.connect() as conn:
        assert conn.scalar(select(Client.full_name).where(Client.client_id == client_id)) \
            == "Lý Thị Bàn Phím"
        placement = conn.execute(select(Placement.client_id, Placement.start_date)
                                 .where(Placement.placement_id == placement_id)).one()
        assert tuple(placement) == (client_id, start)
        assert conn.scalar(select(PlacementCheck.income_vnd_day).where(
            PlacementCheck.placement_id == placement_id, PlacementCheck.months == 3)) == 120000
