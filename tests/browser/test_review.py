"""The staff's match-quality review in Chromium: opened from the navigation, every section
shown, the funnel plot and the calibration chart with their points, the effects page with
naive and adjusted figures and their intervals, English, and 360 px without sideways
scrolling."""

from __future__ import annotations

from tests.browser.conftest import shot

STAFF = "canbo.chuongtrinh"
SECTIONS = ("warnings", "quality", "calibration", "fairness", "league", "effects-link")


def _no_sideways_scroll(page) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth")
    view = page.evaluate("document.documentElement.clientWidth")
    assert wide <= view, f"page is {wide}px wide in a {view}px window"


def test_staff_opens_the_review_from_the_nav_and_sees_every_section(open_page):
    page = open_page(STAFF)
    page.locator("header nav").get_by_role("link", name="Chất lượng kết nối").click()
    page.wait_for_url("**/review")
    assert page.get_by_role("heading", level=1).inner_text() == \
        "Chất lượng kết nối: đánh giá chi tiết"
    assert page.locator("header nav a[href='/review']").get_attribute("aria-current") == "page"
    for section in SECTIONS:
        assert page.locator(f"#{section}").is_visible(), section

    calibration = page.locator("#chart-review-calibration svg[role=img]")
    assert calibration.locator("title").first.text_content()
    assert calibration.locator("circle.point").count() == 10
    assert calibration.locator(".diagonal").count() == 1

    funnel = page.locator("#chart-review-funnel svg[role=img]")
    assert funnel.locator("desc").first.text_content()
    assert funnel.locator(".point").count() > 10
    assert funnel.locator("polyline").count() == 4
    assert funnel.locator(".point.replicate").count() >= 1  # the demo world has two
    # the numbers are there as a table too
    page.locator("#chart-review-funnel summary").click()
    assert page.locator("#chart-review-funnel table tbody tr").count() >= \
        funnel.locator(".point").count()
    assert page.locator("#league-providers tbody tr").count() >= 1
    assert page.locator("#fairness-group table tbody tr").count() >= 8
    shot(page, "staff-review")

    # The effects page: naive beside adjusted, each with its interval.
    # The effects are computed on the first visit: slower than the default timeout.
    with page.expect_navigation(url="**/review/effects", timeout=240_000):
        page.get_by_role("link", name="Xem tác động của việc kết nối").click(no_wait_after=True)
    rows = page.locator("#effects-table tbody tr")
    assert rows.count() >= 8
    overall = page.locator("#effect-overall-success")
    assert overall.locator("td.naive").inner_text().strip()
    adjusted = overall.locator("td.adjusted")
    assert "điểm %" in adjusted.inner_text()
    assert "–" in adjusted.locator(".ci").inner_text()
    page.locator("#effect-overall-success-detail summary").click()
    assert page.locator("#effect-overall-success-detail table.balance tbody tr").count() > 5
    shot(page, "staff-review-effects")


def test_the_review_in_english(open_page):
    page = open_page(STAFF, lang="en")
    page.goto("/review")
    assert page.get_by_role("heading", level=1).inner_text() == \
        "Match quality: the detailed review"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="4. Providers and livelihood models").is_visible()
    assert page.locator("#chart-review-funnel .point").count() > 0
    shot(page, "staff-review-en")


def test_the_review_at_phone_width_has_no_sideways_scrolling(open_page):
    page = open_page(STAFF, phone=True)
    page.goto("/review")
    for section in SECTIONS:
        page.locator(f"#{section}").scroll_into_view_if_needed()
        assert page.locator(f"#{section}").is_visible(), section
    for details in page.locator("main details").all():
        details.locator("summary").click()
    _no_sideways_scroll(page)
    box = page.locator("#chart-review-funnel svg[role=img]").bounding_box()
    assert box and box["width"] <= 360
    shot(page, "staff-review-phone")
    page.goto("/review/effects", timeout=240_000)
    for details in page.locator("main details").all():
        details.locator("summary").click()
    _no_sideways_scroll(page)
