"""Possible duplicate providers in Chromium (issue 18): programme staff see a pair an import
proposed, merge it with a button, undo the merge, then keep the pair apart; at phone width,
by keyboard."""

from __future__ import annotations

from tests.browser.conftest import shot
from tests.web.test_duplicates_page import near_pair

STAFF = "canbo.chuongtrinh"


def test_staff_merge_undo_and_keep_apart_a_proposed_pair(open_page, web):
    a, b = near_pair(web)
    page = open_page(STAFF, phone=True)
    page.goto("/staff/providers/duplicates")
    pair = page.locator(f'li.dup-pair[data-a="{a}"][data-b="{b}"]')
    assert pair.count() == 1
    assert "Tiệm may Hòa" in pair.inner_text()
    keep_a = pair.get_by_role("button", name=f"Gộp: giữ {a}, gộp {b} vào")
    keep_a.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**done=merged")
    assert page.locator("#dup-done").is_visible()
    assert page.locator(f'li.dup-pair[data-a="{a}"]').count() == 0
    shot(page, "duplicates-merged")
    row = page.locator("#dup-merges tbody tr").filter(has_text=b).first
    row.get_by_role("button", name="Hoàn tác").click()
    page.wait_for_url("**done=undone")
    pair = page.locator(f'li.dup-pair[data-a="{a}"][data-b="{b}"]')
    pair.get_by_role("button", name="Hai cơ sở khác nhau").click()
    page.wait_for_url("**done=distinct")
    assert page.locator(f'li.dup-pair[data-a="{a}"]').count() == 0
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page overflows a phone: {width}px"
