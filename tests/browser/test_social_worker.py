"""The social worker's journey in Chromium: a new client, suggestions, a decline, an accept,
the referral the provider will see, the follow-ups at 3 and 6 months; the "why not?"
look-up; the same journey by keyboard only and at phone width."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from matcher.store.tables import Client, Decision, Option, Placement, PlacementCheck, User
from tests.browser.conftest import shot

USER = "ctv.halong"


def _new_client(page, name: str, *, consent: bool = True) -> str:
    """Fill the new-client form with free text, check what it resolved to, save it."""
    page.get_by_role("link", name="Thêm khách hàng", exact=True).click()
    page.get_by_label("Họ và tên").fill(name)
    page.get_by_label("Ngày sinh").fill("2001-05-17")
    page.get_by_label("Giới tính").select_option("female")
    page.get_by_label("Nhóm đối tượng").select_option("trafficking_returnee")
    page.get_by_label("Nơi ở (xã, phường)").fill("p. cao xanh")
    page.get_by_label("Sở thích, nguyện vọng nghề").fill("thich lam toc, muon hoc may")
    page.get_by_label("Có thể đi xa tối đa (km)").fill("40")
    if consent:
        page.get_by_label("Đồng ý chia sẻ thông tin cơ bản với nơi tiếp nhận").check()
    # The previews show what the free text was read as, before saving.
    expect(page.locator("#r-place")).to_contain_text("Cao Xanh")
    expect(page.locator("#r-interests")).to_contain_text("Cắt tóc")
    shot(page, "social-worker-new-client")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu khách hàng").click()
    page.wait_for_url(re.compile(r"/clients/KH\d+\?created=1$"))
    assert page.get_by_role("status").inner_text().startswith("Đã lưu khách hàng mới")
    return re.search(r"/clients/(KH\d+)", page.url).group(1)


def test_social_worker_journey(open_page, db):
    page = open_page(USER)
    assert page.get_by_role("heading", name="Khách hàng của tôi").is_visible()
    shot(page, "social-worker-clients")
    client_id = _new_client(page, "Phạm Thị Thử Nghiệm")

    # Find the client again by name, typed without diacritics.
    page.get_by_role("link", name="Khách hàng của tôi").click()
    page.get_by_label("Tìm theo tên hoặc mã").fill("pham thi thu nghiem")
    with page.expect_navigation():
        page.get_by_role("button", name="Tìm", exact=True).click()
    with page.expect_navigation():
        page.get_by_role("link", name="Phạm Thị Thử Nghiệm").first.click()
    assert client_id in page.url
    assert "Thử Nghiệm" not in page.title()  # nothing personal in the title

    with page.expect_navigation():
        page.get_by_role("button", name="Xem gợi ý").click()
    cards = page.locator("li.card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 2
    first = cards.nth(0)
    assert "Khả năng thành công" in first.inner_text()
    assert first.locator(".reasons li").count() >= 1
    shot(page, "social-worker-suggestions")
    option_ids = [c.get_attribute("id").removeprefix("card-") for c in cards.all()]

    # Decline the first with a coded reason.
    first.get_by_text("Từ chối", exact=True).click()
    first.get_by_label("Lý do", exact=True).select_option("too_far")
    with page.expect_navigation():
        first.get_by_role("button", name="Lưu từ chối").click()
    expect(page.locator(f"#card-{option_ids[0]}")).to_contain_text("Đã từ chối: Quá xa")

    # Accept the second: the seat is reserved and the referral shown.
    with db.connect() as conn:
        seats_before = conn.scalar(select(Option.capacity)
                                   .where(Option.option_id == option_ids[1]))
    start = date.today() - timedelta(days=200)
    second = page.locator(f"#card-{option_ids[1]}")
    second.get_by_label("Ngày bắt đầu").fill(start.isoformat())
    second.get_by_role("button", name="Nhận chỗ này").click()
    page.wait_for_url(re.compile(r"/placements/.+\?accepted=1$"))
    referral = page.locator("#referral-card").inner_text()
    assert "Phạm Thị Thử Nghiệm" in referral
    assert "Nạn nhân bị mua bán" not in page.locator("#referral-card").inner_text()
    shot(page, "social-worker-placement")
    placement_id = re.search(r"/placements/([^?]+)", page.url).group(1)

    # Follow-ups at 3 and 6 months.
    check3 = page.locator("#check-3")
    check3.get_by_label("Tình trạng").select_option("ongoing")
    check3.get_by_label("Thu nhập (đồng/ngày)").fill("150000")
    with page.expect_navigation():
        check3.get_by_role("button", name="Lưu").click()
    expect(page.locator("#saved")).to_be_visible()
    check6 = page.locator("#check-6")
    check6.get_by_label("Tình trạng").select_option("completed")
    check6.get_by_label("Có thu nhập ổn định?").select_option("1")
    check6.get_by_label("Thu nhập (đồng/ngày)").fill("220000")
    with page.expect_navigation():
        check6.get_by_role("button", name="Lưu").click()
    expect(page.locator("#placement-outcome")).to_have_text("Có thu nhập ổn định")
    assert "Đã ghi ngày" in page.locator("#check-3").inner_text()
    shot(page, "social-worker-followups")

    with db.connect() as conn:
        placement = conn.execute(select(Placement)
                                 .where(Placement.placement_id == placement_id)).one()
        assert (placement.client_id, placement.option_id) == (client_id, option_ids[1])
        assert placement.success is True and placement.status == "completed"
        assert placement.start_date == start
        assert conn.scalar(select(Option.capacity)
                           .where(Option.option_id == option_ids[1])) == seats_before - 1
        checks = conn.execute(select(PlacementCheck.months, PlacementCheck.status,
                                     PlacementCheck.success, PlacementCheck.income_vnd_day)
                              .where(PlacementCheck.placement_id == placement_id)
                              .order_by(PlacementCheck.months)).all()
        assert [tuple(c) for c in checks] == [(3, "ongoing", None, 150000),
                                             (6, "completed", True, 220000)]
        decisions = conn.execute(select(Decision.option_id, Decision.decision,
                                        Decision.reason_code)
                                 .order_by(Decision.decision_id.desc()).limit(2)).all()
        assert {tuple(d) for d in decisions} == {(option_ids[0], "declined", "too_far"),
                                                 (option_ids[1], "accepted", None)}


def test_why_not_names_the_rule_that_excludes_an_option(open_page, db):
    page = open_page(USER)
    client_id = _new_client(page, "Đỗ Thị Vì Sao")
    # An option far beyond the client's 40 km: Móng Cái is about 150 km from Cao Xanh.
    with db.connect() as conn:
        far = _far_option(conn)
    page.get_by_label("Mã hoặc tên lựa chọn, tên cơ sở").fill(far)
    with page.expect_navigation():
        page.get_by_role("button", name="Kiểm tra").click()
    answer = page.locator("#whynot-answer").inner_text()
    assert "Không được gợi ý vì" in answer
    assert "Xa hơn khoảng cách người này có thể đi" in answer
    assert client_id in page.url


def _far_option(conn) -> str:
    from matcher.vocab.places import haversine_km, load_place_index

    places = load_place_index()
    home = places.lookup("Cao Xanh")
    rows = conn.execute(select(Option.option_id, Option.place_id).order_by(Option.option_id))
    for option_id, place_id in rows:
        p = places.get(place_id)
        if haversine_km(home.lat, home.lon, p.lat, p.lon) > 80:  # twice the 40 km limit
            return option_id
    raise AssertionError("no far option in the demo world")


def test_another_caseload_is_not_found(open_page, db):
    with db.connect() as conn:
        other = conn.scalar(select(Client.client_id).join(User, User.user_id ==
                                                          Client.caseworker_id)
                            .where(User.username == "ctv.uongbi").limit(1))
    page = open_page(USER)
    response = page.goto(f"/clients/{other}")
    assert response.status == 404
    assert page.get_by_role("heading", name="Không tìm thấy").is_visible()


def test_english_switch_on_the_client_pages(open_page):
    page = open_page(USER)
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="My clients")).to_be_visible()
    page.get_by_role("link", name="Add a new client").click()
    expect(page.get_by_label("Birth date")).to_be_visible()
    shot(page, "social-worker-new-client-en")


def test_phone_width_journey_has_no_sideways_scrolling(open_page):
    page = open_page(USER, phone=True)
    for step in ("clients", "new"):
        if step == "new":
            page.goto("/clients/new")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{step}: the page is {width}px wide"
    client_id = _new_client(page, "Vũ Thị Điện Thoại")
    with page.expect_navigation():
        page.get_by_role("button", name="Xem gợi ý").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "social-worker-suggestions-phone")
    assert client_id in page.url
