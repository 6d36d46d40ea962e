"""The staff's match-quality review in Chromium: opened from the navigation, the summary led
by what needs attention, each section page reached from the review's own sub-navigation,
the funnel plot and the calibration chart with their points, the providers' search and
filters, the effects page with naive and adjusted figures and their intervals, English, and
360 px without sideways scrolling."""

from __future__ import annotations

from tests.browser.conftest import shot

STAFF = "canbo.chuongtrinh"
SUMMARY = ("attention", "warnings", "headline", "parts", "effects-link")
PAGES = ("/review", "/review/quality", "/review/calibration", "/review/fairness",
         "/review/providers")


def _no_sideways_scroll(page) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth")
    view = page.evaluate("document.documentElement.clientWidth")
    assert wide <= view, f"page is {wide}px wide in a {view}px window"


def _sub_nav(page, name: str, path: str) -> None:
    page.locator("#review-nav").get_by_role("link", name=name).click()
    page.wait_for_url(f"**{path}")
    assert page.locator(f"#review-nav a[href='{path}']").get_attribute("aria-current") == "page"
    assert page.locator("#review-nav a[aria-current]").count() == 1


def test_staff_opens_the_review_and_walks_its_pages(open_page):
    page = open_page(STAFF)
    page.locator("header nav").get_by_role("link", name="Chất lượng kết nối").click()
    page.wait_for_url("**/review")
    assert page.get_by_role("heading", level=1).inner_text() == \
        "Chất lượng kết nối: đánh giá chi tiết"
    assert page.locator("header nav a[href='/review']").get_attribute("aria-current") == "page"
    assert page.locator("#review-nav a[href='/review']").get_attribute("aria-current") == "page"
    for section in SUMMARY:
        assert page.locator(f"#{section}").is_visible(), section
    assert page.locator("#warnings li.warning").count() >= 1
    assert page.locator("#summary-replicate li").count() >= 1  # the demo world has two
    assert page.locator("main table").count() == 0
    shot(page, "staff-review")

    _sub_nav(page, "2. Độ tin cậy của dự báo", "/review/calibration")
    calibration = page.locator("#chart-review-calibration svg[role=img]")
    assert calibration.locator("title").first.text_content()
    assert calibration.locator("circle.point").count() == 10
    assert calibration.locator(".diagonal").count() == 1

    _sub_nav(page, "3. Công bằng", "/review/fairness")
    assert page.locator("#fairness-group table tbody tr").count() >= 8

    _sub_nav(page, "4. Nơi kết nối và mô hình sinh kế", "/review/providers")
    funnel = page.locator("#chart-review-funnel svg[role=img]")
    assert funnel.locator("desc").first.text_content()
    assert funnel.locator(".point").count() > 10
    assert funnel.locator("polyline").count() == 4
    assert funnel.locator(".point.replicate").count() >= 1
    shot(page, "staff-review-providers")
    page.locator("#chart-review-funnel summary").click()  # the numbers as a table too
    assert page.locator("#chart-review-funnel table tbody tr").count() >= \
        funnel.locator(".point").count()
    rows = page.locator("#league-providers tbody tr")
    assert 1 <= rows.count() <= 25
    assert rows.first.get_attribute("data-flag") == "replicate"

    # Search without diacritics, among the providers with too few placements.
    name = page.locator("#chart-review-funnel table tbody tr").last.locator("th, td").first \
        .inner_text().split("(")[0].strip()
    page.fill("#league-q", name.split()[-1].replace("đ", "d").replace("Đ", "D"))
    page.select_option("#league-flag", "all")
    with page.expect_navigation():
        page.locator("#league-filters button[type=submit]").click()
    assert "q=" in page.url and "flag=all" in page.url
    assert page.locator("#league-providers tbody tr").count() >= 1
    assert page.locator("#league-q").input_value()

    _sub_nav(page, "1. Chất lượng gợi ý", "/review/quality")
    assert page.locator("#quality").is_visible()

    # The effects page: naive beside adjusted, each with its interval.
    # The effects are computed on the first visit: slower than the default timeout.
    page.goto("/review")
    with page.expect_navigation(url="**/review/effects", timeout=240_000):
        page.get_by_role("link", name="Xem tác động của việc kết nối").click(no_wait_after=True)
    assert page.locator("#review-nav a[href='/review/effects']").get_attribute(
        "aria-current") == "page"
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
    assert page.get_by_role("heading", name="Needs attention").is_visible()
    shot(page, "staff-review-en")
    page.goto("/review/providers")
    assert page.get_by_role("heading", level=1).inner_text() == \
        "4. Providers and livelihood models"
    assert page.locator("#chart-review-funnel .point").count() > 0


def test_the_review_at_phone_width_has_no_sideways_scrolling(open_page):
    page = open_page(STAFF, phone=True)
    for path in PAGES:
        page.goto(path)
        for details in page.locator("main details").all():
            details.locator("summary").click()
        _no_sideways_scroll(page)
    box = page.locator("#chart-review-funnel svg[role=img]").bounding_box()
    assert box and box["width"] <= 360
    page.goto("/review")
    shot(page, "staff-review-phone")
    page.goto("/review/effects", timeout=240_000)
    for details in page.locator("main details").all():
        details.locator("summary").click()
    _no_sideways_scroll(page)
