"""The closed referral loop in Chromium, on a 360 px phone and by keyboard alone: a
provider declines a referral, its seat is back at once and the client is on the social
worker's tasks; a provider reports a hire with a wage."""

from __future__ import annotations

from api.web import i18n
from tests.api.fixtures import new_account
from tests.api.referral_world import referred, seat_chain, seats
from tests.api.server import TEST_PASSWORD
from tests.browser.conftest import shot

PROVIDER = "truong.nghe"
VI = i18n.catalogue("vi")


def test_a_provider_declines_by_keyboard_on_a_phone_and_the_seat_is_back(open_page, web):
    worker = new_account(web, "social_worker", TEST_PASSWORD, prefix="loop")["username"]
    world = referred(web, social_worker=worker)
    pid, option_id = world["placements"][0], world["option_id"]
    assert seats(web.db_url, option_id) == 0
    page = open_page(PROVIDER, phone=True)
    page.goto(f"/my/referrals/{pid}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the referral page is {width} px wide on a 360 px phone"
    # Keyboard only: into the choices, one down (accept -> "no seats left"), on to the button.
    page.get_by_label(VI["referral.choice.accepted"]).focus()
    page.keyboard.press("ArrowDown")
    assert page.get_by_label(VI["referral.choice.full"]).is_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "f-reason_text"
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#answered").is_visible()
    assert VI["referral.decline.full"] in page.locator("#answer-given").inner_text()
    shot(page, "provider-referral-declined-phone")
    assert seats(web.db_url, option_id) == 1
    assert seat_chain(web.db_url, option_id)[-1] == ("0", "1", "declined")
    # The social worker signs in: the count on the first page, the client on the tasks.
    social = open_page(worker, phone=True)
    social.locator("#task-counts a").click()
    social.wait_for_url("**/tasks")
    item = social.locator("section[aria-labelledby=returned] li")
    assert item.count() == 1
    assert world["clients"][0] in item.inner_text()
    assert VI["referral.decline.full"] in item.inner_text()
    width = social.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the task list is {width} px wide on a 360 px phone"
    shot(social, "social-worker-tasks-phone")


def test_a_provider_reports_a_hire_with_a_wage(open_page, web, db):
    from sqlalchemy import select

    from matcher.store.tables import PlacementReport

    world = referred(web, kind="job")
    pid = world["placements"][0]
    page = open_page(PROVIDER, phone=True)
    page.goto(f"/my/referrals/{pid}")
    page.get_by_label(VI["referral.reports.kind"]).select_option("hired")
    page.get_by_label(VI["referral.reports.wage"]).fill("5.000.000")  # a slip: over the ceiling
    with page.expect_navigation():
        page.get_by_role("button", name=VI["referral.reports.send"]).click()
    assert page.locator("#r-wage_vnd_day-error").is_visible()
    assert page.get_by_label(VI["referral.reports.wage"]).input_value() == "5.000.000"
    page.get_by_label(VI["referral.reports.wage"]).fill("150.000")
    with page.expect_navigation():
        page.get_by_label(VI["referral.reports.wage"]).press("Enter")
    assert page.locator("#reported").is_visible()
    assert "150.000" in page.locator("table.reports").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the referral page is {width} px wide on a 360 px phone"
    shot(page, "provider-referral-hired-phone")
    with db.connect() as conn:
        row = conn.execute(select(PlacementReport.kind, PlacementReport.wage_vnd_day)
                           .where(PlacementReport.placement_id == pid)).one()
    assert tuple(row) == ("hired", 150_000)

