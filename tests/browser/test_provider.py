"""A trainer keeps its seats up to date, in Chromium: the options list with last-update times,
an edit that the next suggestions follow, a stale edit from a second window, the 30-day
warning, the referrals received, and a phone-width run.

The server is shared with the other browser tests: every test puts back the seats (through
the API, so the matcher sees it) and the times it changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select

from api.web import i18n
from matcher.store.tables import Option, User
from tests.browser.conftest import shot
from tests.conftest import last_updated_ago

PROVIDER = "truong.nghe"
SOCIAL_WORKER = "ctv.halong"
VI = i18n.catalogue("vi")


@pytest.fixture
def option(web, db) -> dict:
    """The demo trainer's first option, as the API gives it."""
    with db.connect() as conn:
        provider_id = conn.scalar(select(User.provider_id).where(User.username == PROVIDER))
        option_id = conn.scalar(select(Option.option_id)
                                .where(Option.provider_id == provider_id)
                                .order_by(Option.option_id).limit(1))
    with web.client(PROVIDER) as api:
        return api.get(f"/v1/my/options/{option_id}").json()


@contextmanager
def seats_restored(web, option_id: str) -> Iterator[int]:
    """Yield the option's seats now; put them back through the API afterwards."""
    with web.client(PROVIDER) as api:
        seats = api.get(f"/v1/my/options/{option_id}").json()["capacity"]
        try:
            yield seats
        finally:
            r = api.get(f"/v1/my/options/{option_id}")
            if r.json()["capacity"] != seats:
                api.patch(f"/v1/my/options/{option_id}",
                          headers={"If-Match": r.headers["etag"]},
                          json={"capacity": seats}).raise_for_status()


def seats_in_db(db, option_id: str) -> int:
    with db.connect() as conn:
        return conn.scalar(select(Option.capacity).where(Option.option_id == option_id))


def fitting_profile(option: dict) -> dict:
    """An unsaved client the option suits: adult, living at its place, wanting its trade."""
    return {"birth_date": "1998-03-14", "gender": "female", "group": "other",
            "place": option["place_name"], "education": "lower_secondary",
            "disability": "none", "interests": ", ".join(t["name_vi"] for t in option["trades"]),
            "max_travel_km": 30, "consent_share": False}


def suggested(web, option: dict) -> list[str]:
    """The option ids suggested to a social worker for a profile that fits the option."""
    with web.client(SOCIAL_WORKER) as api:
        r = api.post("/v1/suggestions", json={"profile": fitting_profile(option), "top": 50,
                                              "kind": option["kind"]})
        assert r.status_code == 201, r.text
        return [s["option_id"] for s in r.json()["suggestions"]]


def capacity_label(option: dict) -> str:
    return VI[f"provider.capacity.{option['kind']}"]


def open_option(page, option: dict) -> None:
    page.goto("/my/options")
    page.get_by_role("link", name=VI["provider.edit_label"].format(title=option["title"])).click()
    page.wait_for_url(f"**/my/options/{option['option_id']}")


def save_seats(page, option: dict, seats: int) -> None:
    field = page.get_by_label(capacity_label(option), exact=True)
    field.fill(str(seats))
    with page.expect_navigation():  # the form posts and the page that answers replaces this
        page.get_by_role("button", name=VI["provider.form.save"]).click()


def test_seats_saved_in_the_page_change_the_next_suggestions(open_page, web, db, option):
    option_id = option["option_id"]
    with seats_restored(web, option_id) as seats:
        page = open_page(PROVIDER)
        assert page.url.endswith("/my/options")
        card = page.locator(f"#option-{option_id}")
        assert card.get_by_role("heading", name=option["title"]).is_visible()
        assert card.locator("time.updated").inner_text().strip() not in ("", "—")
        assert card.locator(".seats").inner_text() == str(seats)
        shot(page, "provider-options")

        back = seats or 3  # the seats it comes back with
        if seats == 0:
            open_option(page, option)
            save_seats(page, option, back)
        assert option_id in suggested(web, option), "a fitting profile should be offered it"

        open_option(page, option)
        save_seats(page, option, 0)
        assert page.locator("#saved").is_visible()
        assert page.locator(".facts .seats").inner_text() == "0"
        assert page.get_by_label(capacity_label(option), exact=True).input_value() == "0"
        history = page.locator("table.history tbody tr").first
        assert VI["provider.field.capacity"] in history.inner_text()
        assert PROVIDER in history.inner_text()
        shot(page, "provider-option-saved")
        assert seats_in_db(db, option_id) == 0
        assert option_id not in suggested(web, option)

        # Back again, this time from the keyboard: type in the field, Enter submits.
        field = page.get_by_label(capacity_label(option), exact=True)
        field.focus()
        page.keyboard.press("Control+A")
        page.keyboard.type(str(back))
        # The page is already at ?saved=1 (the save above): wait for this navigation.
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_load_state()
        assert page.locator(".facts .seats").inner_text() == str(back)
        assert seats_in_db(db, option_id) == back
        assert option_id in suggested(web, option)


def test_a_stale_edit_from_a_second_window_shows_the_current_value(open_page, web, db,
                                                                     option):
    option_id = option["option_id"]
    with seats_restored(web, option_id) as seats:
        first, second = open_page(PROVIDER), open_page(PROVIDER)
        for page in (first, second):
            page.goto(f"/my/options/{option_id}")
        save_seats(first, option, seats + 1)
        assert first.locator("#saved").is_visible()

        save_seats(second, option, seats + 2)
        alert = second.locator("#stale-edit")
        assert alert.is_visible()
        assert alert.inner_text() == VI["provider.stale_edit"]
        field = second.get_by_label(capacity_label(option), exact=True)
        assert field.input_value() == str(seats + 2)  # nothing typed is lost
        assert second.locator("#f-capacity-now").inner_text() == \
            VI["provider.current_value"].format(value=seats + 1)
        assert second.locator(".facts .seats").inner_text() == str(seats + 1)
        shot(second, "provider-stale-edit")
        assert seats_in_db(db, option_id) == seats + 1

        # Having seen the current value, saving again applies the second window's value.
        second.get_by_role("button", name=VI["provider.form.save"]).click()
        second.wait_for_url("**saved=1")
        assert seats_in_db(db, option_id) == seats + 2


def test_bad_input_is_shown_next_to_the_field(open_page, web, db, option):
    option_id = option["option_id"]
    before = seats_in_db(db, option_id)
    page = open_page(PROVIDER)
    page.goto(f"/my/options/{option_id}")
    save_seats(page, option, -2)
    field = page.get_by_label(capacity_label(option), exact=True)
    assert field.get_attribute("aria-invalid") == "true"
    assert page.locator("#f-capacity-error").inner_text() == VI["provider.error.min"].format(
        min=0)
    assert field.input_value() == "-2"
    shot(page, "provider-bad-input")
    assert seats_in_db(db, option_id) == before


def test_an_option_not_updated_for_30_days_asks_to_confirm_its_seats(open_page, db, option):
    """The warning shows after 30 days without the provider's own edit; pressing Save with
    nothing changed confirms the figures and the warning goes."""
    option_id = option["option_id"]
    with last_updated_ago(db, option_id, timedelta(days=31)):
        page = open_page(PROVIDER)
        warning = page.locator(f"#option-{option_id} .stale-warning")
        assert warning.is_visible()
        assert warning.inner_text() == VI["provider.stale"]
        shot(page, "provider-options-stale")
        page.goto(f"/my/options/{option_id}")
        page.get_by_role("button", name=VI["provider.form.save"]).click()
        page.goto("/my/options")
        assert page.locator(f"#option-{option_id} .stale-warning").count() == 0
        assert seats_in_db(db, option_id) == option["capacity"]


def test_referrals_list_and_detail(open_page, web):
    with web.client(PROVIDER) as api:
        first = api.get("/v1/my/referrals", params={"limit": 1}).json()["items"][0]
    page = open_page(PROVIDER)
    page.get_by_role("link", name=VI["nav.my_referrals"]).click()
    page.wait_for_url("**/my/referrals")
    assert page.get_by_role("heading", name=VI["provider.referrals.title"]).is_visible()
    rows = page.locator("table.referrals tbody tr")
    assert rows.count() >= 1
    shot(page, "provider-referrals")
    reference = first["placement_id"]
    page.get_by_role("link", name=VI["provider.referral.open_label"].format(
        reference=reference)).click()
    page.wait_for_url(f"**/my/referrals/{reference}")
    assert page.get_by_role("heading", name=VI["provider.referral.title"].format(
        reference=reference)).is_visible()
    assert first["option_title"] in page.locator("main").inner_text()
    if first["client"]["shared"] and first["client"]["full_name"]:
        assert first["client"]["full_name"] in page.locator("main").inner_text()
    shot(page, "provider-referral")


def test_provider_pages_fit_a_phone(open_page, web, option):
    with web.client(PROVIDER) as api:
        reference = api.get("/v1/my/referrals", params={"limit": 1}).json()["items"][0][
            "placement_id"]
    page = open_page(PROVIDER, phone=True)
    for path, name in (("/my/options", "provider-options-phone"),
                       (f"/my/options/{option['option_id']}", "provider-option-phone"),
                       ("/my/referrals", "provider-referrals-phone"),
                       (f"/my/referrals/{reference}", "provider-referral-phone")):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width} px wide on a 360 px phone"
        shot(page, name)
    # The form is usable there: its fields are labelled and reachable.
    page.goto(f"/my/options/{option['option_id']}")
    assert page.get_by_label(capacity_label(option), exact=True).is_visible()
