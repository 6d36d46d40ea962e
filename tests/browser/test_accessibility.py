"""axe-core (the engine of the browsers' accessibility audits) over every main page, in both
languages: labelled fields, contrast, landmarks, names of links and buttons, valid ARIA.

A serious or critical violation fails the test with the rule and the elements at fault.
"""

from __future__ import annotations

import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from matcher.store.tables import Client, Placement, User

SEVERE = ("serious", "critical")


def _violations(page) -> list[str]:
    results = Axe().run(page).response
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in results["violations"] if v["impact"] in SEVERE]


def _own(db, username: str):
    with db.connect() as conn:
        client = conn.scalar(select(Client.client_id).join(User, User.user_id ==
                                                           Client.caseworker_id)
                             .where(User.username == username).order_by(Client.client_id)
                             .limit(1))
        placement = conn.scalar(select(Placement.placement_id)
                                .where(Placement.client_id == client).limit(1))
    return client, placement


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_social_worker_pages_have_no_serious_accessibility_violations(open_page, db, lang):
    page = open_page("ctv.campha", lang=lang)
    client, placement = _own(db, "ctv.campha")
    found = {}
    for path in ("/clients", "/clients/new", f"/clients/{client}", "/tasks"):
        page.goto(path)
        found[path] = _violations(page)
    page.goto(f"/clients/{client}")
    page.locator("form[action$='/suggestions'] button[type=submit]").click()
    found["suggestions"] = _violations(page)
    if placement:
        page.goto(f"/placements/{placement}")
        found["placement"] = _violations(page)
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.parametrize(("username", "paths"), [
    ("canbo.chuongtrinh", ("/dashboard", "/cohort", "/audit", "/review", "/review/quality",
                           "/review/calibration", "/review/fairness", "/review/providers",
                           "/staff/accounts", "/staff/providers/duplicates", "/staff/report",
                           "/account/password")),
    ("truong.nghe", ("/my/options", "/my/referrals")),
    ("cau.lac.bo", ("/my/club-members", "/my/options")),
    ("quantri", ("/admin", "/admin/accounts")),
])
def test_staff_and_provider_pages_have_no_serious_accessibility_violations(open_page, username,
                                                                            paths):
    page = open_page(username)
    found = {}
    for path in paths:
        page.goto(path)
        found[path] = _violations(page)
    if username == "truong.nghe":
        page.goto("/my/options")
        page.locator("a[href^='/my/options/']").first.click()
        found["option"] = _violations(page)
        page.goto("/my/referrals")  # a referral with its answer and report forms
        page.locator("a[href^='/my/referrals/']").first.click()
        found["referral"] = _violations(page)
    if username == "quantri":  # the form refused (a taken name), then the one-time code shown
        for name, key in (("quantri", "refused"), (f"axe{time.time_ns()}", "code")):
            page.goto("/admin/accounts")
            page.fill("#f-username", name)
            page.select_option("#f-role", "admin")
            page.locator("#new-account button[type=submit]").click()
            found[key] = _violations(page)
    assert {k: v for k, v in found.items() if v} == {}


def test_sign_in_page_has_no_serious_accessibility_violations(open_page):
    page = open_page()
    page.goto("/login")
    assert _violations(page) == []
    page.goto("/activate")
    assert _violations(page) == []
