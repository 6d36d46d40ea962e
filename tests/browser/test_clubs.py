"""Support clubs in Chromium (issue 16): a social worker refers a client to a club on the
client's page at phone width by keyboard, with consent, and the club's own account sees the
person it was sent; the club's title aside, nothing of the person's group."""

from __future__ import annotations

from tests.browser.conftest import shot
from tests.web.test_provider_pages import group_words

SW, CLUB = "ctv.halong", "cau.lac.bo"


def test_a_social_worker_refers_a_client_to_a_club_and_the_club_sees_them(open_page, db):
    page = open_page(SW, phone=True)
    page.goto("/clients/new")
    name = "Đỗ Văn Sinh Hoạt"
    page.fill("#f-full_name", name)
    page.fill("#f-birth_date", "1990-03-04")
    page.select_option("#f-gender", "male")
    page.select_option("#f-group", "after_rehab")
    page.fill("#f-place", "Phường Hà Tu")
    page.fill("#f-max_travel_km", "10")
    page.locator("form button[type=submit].primary").last.click()
    page.wait_for_url("**/clients/KH*")
    clubs = page.locator("section[aria-labelledby=clubs]")
    assert "Câu lạc bộ gần bạn" in clubs.inner_text()
    card = clubs.locator(".card").filter(has_text="sau cai nghiện Hà Tu")
    assert card.count() == 1
    card.get_by_role("checkbox").focus()
    page.keyboard.press("Space")
    card.get_by_role("button", name="Giới thiệu đến").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**club=1*")
    assert "Đã giới thiệu đến câu lạc bộ." in page.locator("section[aria-labelledby=clubs]"
                                                           ).inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate("""[...document.querySelectorAll('main *')].filter(
        e => e.getBoundingClientRect().right > 362).map(
        e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 8)""")
    assert width <= 360, f"the page overflows a phone: {width}px: {wide}"
    shot(page, "client-clubs")

    club = open_page(CLUB, phone=True)
    club.goto("/my/club-members")
    text = club.locator("main").inner_text()
    assert name in text
    title = club.locator("table td").nth(3).inner_text()
    shown = text.replace(title, "").casefold()
    assert [w for w in group_words() if w in shown] == []
    shot(club, "club-members")
