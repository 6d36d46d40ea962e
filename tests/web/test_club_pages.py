"""Support clubs on the pages over HTTP: the client's short list in both languages, the
referral form (consent needed, refusals next to the form, nothing written), the three-month
check, who may use them, and what a club's own account sees."""

# ruff: noqa: F811 - pytest fixtures imported from the browser tests are parameters here
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from matcher.store.db import transaction
from matcher.store.tables import ClubReferral, Option
from tests.web.test_provider_pages import EN, VI, csrf_of, page_client, text
from tests.web.test_provider_pages import group_words as _group_words

SW = "ctv.halong"


def new_client(web, c, **fields) -> str:
    """A client of the signed-in social worker, through the new-client form."""
    page = c.get("/clients/new")
    form = {"csrf": csrf_of(page.text), "full_name": "Phạm Thị Câu Lạc", "birth_date": "2001-04-02",
            "gender": "female", "group": "gbv_survivor", "place": "Phường Cẩm Phả",
            "max_travel_km": "30", **fields}
    made = c.post("/clients/new", data=form)
    assert made.status_code == 303, made.text
    return made.headers["location"].split("/clients/")[1].split("?")[0]


def referrals_of(db, client_id: str) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ClubReferral)
                                .where(ClubReferral.client_id == client_id)).scalar_one())


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_client_page_lists_the_clubs_that_would_take_the_client(web, lang):
    words = VI if lang == "vi" else EN
    with page_client(web, SW, lang) as c:
        client_id = new_client(web, c)
        page = text(c.get(f"/clients/{client_id}").text)
    assert words["clubs.title"] in page
    assert "Sinh hoạt nhóm đồng đẳng phụ nữ Cẩm Phả" in page
    assert "sau cai nghiện" not in page  # a club after drug rehab does not serve her group
    assert words["clubs.women_only"] in page


def test_a_referral_needs_consent_and_then_is_listed(web, db):
    with page_client(web, SW) as c:
        client_id = new_client(web, c)
        page = c.get(f"/clients/{client_id}").text
        with db.connect() as conn:
            club = conn.execute(select(Option.option_id).where(
                Option.title == "Sinh hoạt nhóm đồng đẳng phụ nữ Cẩm Phả")).scalar_one()
        url = f"/clients/{client_id}/club-referrals"
        refused = c.post(url, data={"csrf": csrf_of(page), "option_id": club})
        assert refused.status_code == 422
        assert VI["clubs.problem.422.consent"] in text(refused.text)
        assert referrals_of(db, client_id) == 0
        made = c.post(url, data={"csrf": csrf_of(page), "option_id": club, "consent": "1"})
        assert made.status_code == 303 and made.headers["location"].endswith("#clubs")
        shown = text(c.get(made.headers["location"]).text)
        twice = c.post(url, data={"csrf": csrf_of(page), "option_id": club, "consent": "1"})
        assert twice.status_code == 409
        assert VI["clubs.problem.409.option_id"] in text(twice.text)
    assert referrals_of(db, client_id) == 1
    assert VI["clubs.referred"] in shown and VI["clubs.joined"] in shown


def test_the_three_month_check_is_asked_for_once_it_is_due(web, db):
    with page_client(web, SW) as c:
        client_id = new_client(web, c)
        page = c.get(f"/clients/{client_id}").text
        club = re.search(r'name="option_id" value="([^"]+)"', page).group(1)
        assert c.post(f"/clients/{client_id}/club-referrals",
                      data={"csrf": csrf_of(page), "option_id": club,
                            "consent": "1"}).status_code == 303
        assert "/check" not in c.get(f"/clients/{client_id}").text  # not due yet
        with transaction(db) as s:
            s.execute(update(ClubReferral).where(ClubReferral.client_id == client_id)
                      .values(referred_on=date.today() - timedelta(days=100)))
            referral = s.scalar(select(ClubReferral.referral_id)
                                .where(ClubReferral.client_id == client_id))
        page = c.get(f"/clients/{client_id}").text
        url = f"/clients/{client_id}/club-referrals/{referral}/check"
        assert f'action="{url}"' in page and VI["clubs.three_months"] in text(page)
        bad = c.post(url, data={"csrf": csrf_of(page), "attending": "1",
                                "checked_on": (date.today() - timedelta(days=99)).isoformat()})
        assert bad.status_code == 422 and VI["clubs.problem.422.checked_on"] in text(bad.text)
        done = c.post(url, data={"csrf": csrf_of(page), "attending": "0",
                                 "checked_on": date.today().isoformat()})
        assert done.status_code == 303
        assert VI["clubs.not_attending"] in text(c.get(f"/clients/{client_id}").text)
    with db.connect() as conn:
        assert conn.execute(select(ClubReferral.attending_3m)
                            .where(ClubReferral.referral_id == referral)).scalar_one() is False


@pytest.mark.parametrize("username", ["canbo.chuongtrinh", "truong.nghe", "quantri"])
def test_other_roles_cannot_refer_and_only_providers_see_club_members(web, db, username):
    with page_client(web, SW) as c:
        client_id = new_client(web, c)
    with page_client(web, username) as c:
        home = c.get("/my/club-members")
        assert home.status_code == (200 if username == "truong.nghe" else 403)
        token = csrf_of(c.get("/account/password").text)
        r = c.post(f"/clients/{client_id}/club-referrals",
                   data={"csrf": token, "option_id": "OPCL0016", "consent": "1"})
        assert r.status_code in (403, 404)
    assert referrals_of(db, client_id) == 0


def test_a_clubs_account_sees_its_members_never_their_group(web, db):
    with page_client(web, "cau.lac.bo") as c:
        assert c.get("/my/referrals").headers.get("location") == "/my/club-members"
    with page_client(web, SW) as c:
        client_id = new_client(web, c, group="after_rehab", gender="male",
                               full_name="Lê Văn Thành Viên", place="Phường Hà Tu")
        page = c.get(f"/clients/{client_id}").text
        assert c.post(f"/clients/{client_id}/club-referrals",
                      data={"csrf": csrf_of(page), "option_id": "OPCL0001",
                            "consent": "1"}).status_code == 303
    with page_client(web, "cau.lac.bo") as c:
        members = c.get("/my/club-members")
    assert members.status_code == 200
    shown = text(members.text)
    assert "Lê Văn Thành Viên" in shown and VI["clubs.members.title"] in shown
    # The club's own title says whom it serves (the reason the referral needs consent);
    # nothing else on its page may say anything of a person's group.
    with db.connect() as conn:
        title = conn.execute(select(Option.title)
                             .where(Option.option_id == "OPCL0001")).scalar_one()
    shown = shown.replace(title, "")
    for word in _group_words():
        assert word not in shown.lower(), word


def test_the_dashboard_counts_the_club_referrals_apart(web, db):
    with page_client(web, SW) as c:
        client_id = new_client(web, c)
        page = c.get(f"/clients/{client_id}").text
        club = re.search(r'name="option_id" value="([^"]+)"', page).group(1)
        assert c.post(f"/clients/{client_id}/club-referrals",
                      data={"csrf": csrf_of(page), "option_id": club,
                            "consent": "1"}).status_code == 303
    with db.connect() as conn:
        title = conn.execute(select(Option.title).where(Option.option_id == club)).scalar_one()
        referred = int(conn.execute(select(func.count()).select_from(ClubReferral)
                                    .where(ClubReferral.option_id == club)).scalar_one())
    for lang, words in (("vi", VI), ("en", EN)):
        with page_client(web, "canbo.chuongtrinh", lang) as c:
            page = c.get("/dashboard")
        assert page.status_code == 200
        shown = text(page.text)
        assert words["clubs.dashboard.title"] in shown
        assert words["clubs.dashboard.attending"] in shown
        row = re.search(rf"<tr><td>{re.escape(title)}</td><td>(\d+)</td>", page.text)
        assert row and int(row.group(1)) == referred >= 1
