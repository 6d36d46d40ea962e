"""The provider pages over HTTP: roles, another provider's option, CSRF, stale versions,
bad input, and referrals that never show a client's group.

Runs against the browser tests' server (the demo world in SQLite). Every test puts back
what it changes, since other tests share that server.
"""

# ruff: noqa: F811 - pytest fixtures imported from the browser tests are parameters here
from __future__ import annotations

import hashlib
import hmac
import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from api.auth import tokens
from api.web import i18n
from matcher.store.tables import Option, OptionChange, User
from matcher.vocab.domain import Group
from tests import local_http
from tests.api import server as srv
from tests.conftest import last_updated_ago
from tests.web.signin import login_form

PROVIDER = "truong.nghe"
OTHERS = ("ctv.halong", "canbo.chuongtrinh", "quantri")
VI, EN = i18n.catalogue("vi"), i18n.catalogue("en")


@contextmanager
def page_client(web, username: str | None = None, lang: str = "vi") -> Iterator[httpx.Client]:
    """A browser-like client: signed in through the /login form, cookies kept."""
    with local_http.Client(base_url=web.url, timeout=60, cookies={i18n.COOKIE: lang}) as client:
        if username:
            r = login_form(client, username)
            assert r.status_code == 303, r.text
        yield client


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)


def session_csrf(client: httpx.Client) -> str:
    """The form token of a signed-in client's session, as the server derives it."""
    cookie = client.cookies.get(tokens.COOKIE, "").encode()
    return hmac.new(srv.SECRET.encode(), b"csrf:" + cookie, hashlib.sha256).hexdigest()[:40]


def version_of(page: str) -> str:
    return re.search(r'name="version" value="(\d+)"', page).group(1)


def text(page: str) -> str:
    """What a reader sees: tags off, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def field_error(page: str, name: str) -> str | None:
    found = re.search(rf'id="f-{name}-error">([^<]*)<', page)
    return html.unescape(found.group(1)) if found else None


def input_value(page: str, name: str) -> str:
    return html.unescape(re.search(rf'id="f-{name}" name="{name}" type="\w+" value="([^"]*)"',
                                   page).group(1))


@pytest.fixture(scope="module")
def provider_id(web) -> str:
    from matcher.store.db import make_engine

    engine = make_engine(web.db_url)
    with engine.connect() as conn:
        found = conn.scalar(select(User.provider_id).where(User.username == PROVIDER))
    engine.dispose()
    return found


@pytest.fixture
def option_id(db, provider_id) -> str:
    with db.connect() as conn:
        return conn.scalar(select(Option.option_id).where(Option.provider_id == provider_id)
                           .order_by(Option.option_id).limit(1))


def state(db, option_id: str) -> tuple:
    with db.connect() as conn:
        row = conn.execute(select(Option.capacity, Option.start_date, Option.cost_vnd,
                                  Option.wage_vnd_day, Option.duration_weeks, Option.version)
                           .where(Option.option_id == option_id)).one()
        changes = conn.scalar(select(OptionChange.change_id).where(
            OptionChange.option_id == option_id).order_by(OptionChange.change_id.desc())
            .limit(1))
    return (*row, changes)


@contextmanager
def restored(web, option_id: str) -> Iterator[dict]:
    """Put the option's seats back through the API (so the matcher sees it) afterwards."""
    with web.client(PROVIDER) as api:
        before = api.get(f"/v1/my/options/{option_id}").json()
        try:
            yield before
        finally:
            r = api.get(f"/v1/my/options/{option_id}")
            if r.json()["capacity"] != before["capacity"]:
                api.patch(f"/v1/my/options/{option_id}",
                          headers={"If-Match": r.headers["etag"]},
                          json={"capacity": before["capacity"]}).raise_for_status()


def form(page: str, **values: str) -> dict[str, str]:
    """The edit form as the page filled it, with ``values`` typed over it."""
    fields = {name: input_value(page, name) for name in
              ("capacity", "start_date", "duration_weeks", "cost_vnd", "wage_vnd_day")}
    return {"csrf": csrf_of(page), "version": version_of(page), **fields, **values}


# --- who may open the pages ------------------------------------------------------------------


@pytest.mark.parametrize("username", OTHERS)
def test_other_roles_get_403_on_every_provider_page(web, db, option_id, username):
    before = state(db, option_id)
    with page_client(web, username) as c:
        token = session_csrf(c)
        for path in ("/my/options", f"/my/options/{option_id}", "/my/referrals",
                     "/my/referrals/PL000001"):
            r = c.get(path)
            assert r.status_code == 403, path
            assert VI["error.what_403"] in text(r.text)
        r = c.post(f"/my/options/{option_id}", data={"csrf": token, "version": "1",
                                                     "capacity": "0"})
        assert r.status_code == 403
        r = c.post("/my/referrals/PL000001/answer", data={"csrf": token,
                                                          "answer": "full"})
        assert r.status_code == 403
        r = c.post("/my/referrals/PL000001/reports", data={"csrf": token, "kind": "started",
                                                           "reported_on": "2026-01-01"})
        assert r.status_code == 403
    assert state(db, option_id) == before


def test_a_page_without_a_sign_in_redirects_to_the_sign_in_page(web):
    with page_client(web) as c:
        r = c.get("/my/options")
        assert r.status_code == 303
        assert r.headers["location"] == "/login?next=/my/options"


def test_another_providers_option_is_the_same_404_as_a_missing_one(web, db, provider_id):
    with db.connect() as conn:
        theirs = conn.scalar(select(Option.option_id).where(Option.provider_id != provider_id)
                             .order_by(Option.option_id).limit(1))
    before = state(db, theirs)
    with page_client(web, PROVIDER) as c:
        token = csrf_of(c.get("/my/options").text)
        other = c.get(f"/my/options/{theirs}")
        missing = c.get("/my/options/OP999999")
        assert other.status_code == missing.status_code == 404
        assert other.text.replace(theirs, "OP999999") == missing.text
        assert VI["error.what_404"] in text(other.text)
        r = c.post(f"/my/options/{theirs}", data={"csrf": token, "version": "1",
                                                 "capacity": "0"})
        assert r.status_code == 404
        assert r.text.replace(theirs, "OP999999") == missing.text
    assert state(db, theirs) == before


# --- the options list and the edit form ------------------------------------------------------


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_my_options_show_seats_and_last_update_in_both_languages(web, option_id, lang):
    words = i18n.catalogue(lang)
    with page_client(web, PROVIDER, lang) as c:
        r = c.get("/my/options")
        assert r.status_code == 200
        assert f'<html lang="{lang}">' in r.text
        shown = text(r.text)
        assert words["provider.options.title"] in shown
        assert words["provider.updated"] in shown
        assert re.search(r'<time class="updated" datetime="\d{4}-\d\d-\d\dT', r.text)
        assert f'href="/my/options/{option_id}"' in r.text
        r = c.get(f"/my/options/{option_id}")
        assert r.status_code == 200
        assert words["provider.history.title"] in text(r.text)


def test_a_save_changes_the_seats_keeps_a_history_and_is_shown(web, db, option_id):
    with restored(web, option_id) as before, page_client(web, PROVIDER) as c:
        page = c.get(f"/my/options/{option_id}").text
        with db.connect() as conn:
            was = conn.scalar(select(Option.updated_at).where(Option.option_id == option_id))
        wanted = before["capacity"] + 3
        r = c.post(f"/my/options/{option_id}", data=form(page, capacity=str(wanted)))
        assert r.status_code == 303
        assert r.headers["location"] == f"/my/options/{option_id}?saved=1"
        assert state(db, option_id)[0] == wanted
        assert state(db, option_id)[5] == before["version"] + 1
        with db.connect() as conn:  # the last-update time moves with the save
            assert conn.scalar(select(Option.updated_at)
                               .where(Option.option_id == option_id)) > was
        page = c.get(r.headers["location"]).text
        assert VI["provider.saved"] in text(page)
        assert input_value(page, "capacity") == str(wanted)
        history = text(page.split('id="history"')[1])
        assert PROVIDER in history and VI["provider.field.capacity"] in history
        assert str(wanted) in history


def test_a_form_without_csrf_is_refused_and_changes_nothing(web, db, option_id):
    before = state(db, option_id)
    with page_client(web, PROVIDER) as c:
        page = c.get(f"/my/options/{option_id}").text
        data = form(page, capacity="0")
        del data["csrf"]
        r = c.post(f"/my/options/{option_id}", data=data)
        assert r.status_code == 403
        r = c.post(f"/my/options/{option_id}", data={**data, "csrf": "0" * 40})
        assert r.status_code == 403
    assert state(db, option_id) == before


def test_a_stale_version_shows_the_current_value_keeps_the_entry_and_changes_nothing(
        web, db, option_id):
    with restored(web, option_id) as before, page_client(web, PROVIDER) as c:
        page = c.get(f"/my/options/{option_id}").text
        # Someone else saves first (the API, as the same provider from another device).
        theirs = before["capacity"] + 5
        with web.client(PROVIDER) as api:
            etag = api.get(f"/v1/my/options/{option_id}").headers["etag"]
            api.patch(f"/v1/my/options/{option_id}", headers={"If-Match": etag},
                      json={"capacity": theirs}).raise_for_status()
        after_theirs = state(db, option_id)
        mine = before["capacity"] + 1
        r = c.post(f"/my/options/{option_id}", data=form(page, capacity=str(mine)))
        assert r.status_code == 412
        shown = text(r.text)
        assert VI["provider.stale_edit"] in shown
        assert VI["provider.current_value"].format(value=theirs) in shown
        assert input_value(r.text, "capacity") == str(mine)  # what was typed is kept
        assert version_of(r.text) == str(before["version"] + 1)  # saving again will apply
        assert state(db, option_id) == after_theirs
        # A form with no version at all is stale too, never applied blindly.
        data = form(r.text, capacity=str(mine))
        del data["version"]
        assert c.post(f"/my/options/{option_id}", data=data).status_code == 412
        assert state(db, option_id) == after_theirs


@pytest.mark.parametrize(("field", "value", "key"), [
    ("capacity", "-1", "provider.error.min"),
    ("capacity", "", "provider.error.required"),
    ("capacity", "ba", "provider.error.whole_number"),
    ("capacity", "100000", "provider.error.max"),
    ("duration_weeks", "0", "provider.error.min"),
    ("start_date", (date.today() - timedelta(days=1)).isoformat(), "provider.error.past"),
    ("start_date", "", "provider.error.start_needed"),
    ("start_date", "31/02/2027", "provider.error.date"),
])
def test_bad_input_is_shown_next_to_its_field_and_changes_nothing(web, db, option_id, field,
                                                                   value, key):
    before = state(db, option_id)
    with page_client(web, PROVIDER) as c:
        page = c.get(f"/my/options/{option_id}").text
        # The seats change too: a bad field must stop the whole form, not just itself.
        data = form(page, capacity=str(before[0] + 1))
        data[field] = value
        r = c.post(f"/my/options/{option_id}", data=data)
        assert r.status_code == 422
        message = field_error(r.text, field)
        assert message is not None, f"no message next to {field}"
        assert message.startswith(VI[key].split("{")[0])
        assert f'id="f-{field}" name="{field}"' in r.text
        assert 'aria-invalid="true"' in r.text
        assert VI["provider.invalid"] in text(r.text)
        assert input_value(r.text, field) == value
    assert state(db, option_id) == before


def test_money_may_be_typed_with_thousands_separators(web, db, option_id):
    with page_client(web, PROVIDER) as c:
        page = c.get(f"/my/options/{option_id}").text
        old = input_value(page, "cost_vnd")
        r = c.post(f"/my/options/{option_id}", data=form(page, cost_vnd="1.234.000"))
        assert r.status_code == 303
        assert state(db, option_id)[2] == 1_234_000
        page = c.get(f"/my/options/{option_id}").text
        assert c.post(f"/my/options/{option_id}",
                      data=form(page, cost_vnd=old)).status_code == 303
    assert str(state(db, option_id)[2] or "") == old


def test_an_option_not_updated_for_30_days_asks_to_confirm_its_seats(web, db, option_id):
    """The reminder follows the provider's own last edit or confirmation, and a save with
    nothing changed confirms the figures: the reminder goes, the history says so."""
    with last_updated_ago(db, option_id, timedelta(days=45)):
        with page_client(web, PROVIDER) as c:
            listing = c.get("/my/options").text
            card = listing.split(f'id="option-{option_id}"')[1].split("</li>")[0]
            assert VI["provider.stale"] in text(card)
            page = c.get(f"/my/options/{option_id}").text
            assert "stale-warning" in page
            before = input_value(page, "capacity")
            r = c.post(f"/my/options/{option_id}", data=form(page))
            assert r.status_code == 303, r.text[:300]  # saved, back to the page
            listing = c.get("/my/options").text
            card = listing.split(f'id="option-{option_id}"')[1].split("</li>")[0]
            assert VI["provider.stale"] not in text(card)
            assert VI["provider.field.confirmed"] in text(c.get(f"/my/options/{option_id}").text)
        with db.connect() as conn:
            assert str(conn.scalar(select(Option.capacity)
                                   .where(Option.option_id == option_id))) == before
            assert conn.scalar(select(OptionChange.field).where(
                OptionChange.option_id == option_id)
                .order_by(OptionChange.change_id.desc()).limit(1)) == "confirmed"


# --- referrals -------------------------------------------------------------------------------


def group_words() -> set[str]:
    """Every group code, and every label of a group in any catalogue (the staff's words)."""
    codes = {g.value for g in Group if g is not Group.other}
    words = set(codes)
    for lang in i18n.LANGS:
        for key, value in i18n.catalogue(lang).items():
            if key.rsplit(".", 1)[-1] in codes:
                words.add(value)
    # The groups as docs/design.md ("Who it is for") and the public reports name them, in
    # case no catalogue does yet.
    words |= {"mua bán người", "cai nghiện", "ma tuý", "ma túy", "chấp hành xong án",
              "trại giam", "trường giáo dưỡng", "mại dâm", "bạo lực", "trafficking",
              "rehabilitation", "prison", "reform school", "sex work", "violence",
              "youth at risk"}
    return {w.casefold() for w in words if w.strip()}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_referral_pages_show_only_what_was_shared_never_a_group(web, provider_id, lang):
    words = group_words()
    with web.client(PROVIDER) as api:
        referrals = api.get("/v1/my/referrals", params={"limit": 200}).json()["items"]
    assert referrals, "the demo provider should have referrals"
    with page_client(web, PROVIDER, lang) as c:
        listing = c.get("/my/referrals")
        assert listing.status_code == 200
        pages = [listing.text]
        for ref in referrals:
            r = c.get(f"/my/referrals/{ref['placement_id']}")
            assert r.status_code == 200
            pages.append(r.text)
            client = ref["client"]
            if client["shared"]:
                if client["full_name"]:
                    assert client["full_name"] in text(r.text)
            else:
                assert i18n.catalogue(lang)["provider.referral.withheld"].format(
                    reference=ref["placement_id"]) in text(r.text)
        for page in pages:
            seen = text(page).casefold()
            found = [w for w in words if w in seen or w in page.casefold()]
            assert found == [], f"a group shown to a provider: {found}"
        # Another provider's referral, or none: the same 404.
        assert c.get("/my/referrals/PL999999").status_code == 404


def test_a_client_who_did_not_consent_is_shown_by_reference_only(web, db):
    """Withdraw one referred client's consent for the test: the pages drop the name."""
    from matcher.store.tables import Client, Placement

    with web.client(PROVIDER) as api:
        referrals = api.get("/v1/my/referrals", params={"limit": 200}).json()["items"]
    ref = next(r for r in referrals if r["client"]["shared"] and r["client"]["full_name"])
    name = ref["client"]["full_name"]
    others = {r["client"].get("full_name") for r in referrals if r is not ref}
    with db.connect() as conn:
        client_id = conn.scalar(select(Placement.client_id)
                                .where(Placement.placement_id == ref["placement_id"]))
    try:
        with db.begin() as conn:
            conn.execute(update(Client).where(Client.client_id == client_id)
                         .values(consent_share=False))
        with page_client(web, PROVIDER) as c:
            page = c.get(f"/my/referrals/{ref['placement_id']}").text
            assert name not in page
            assert VI["provider.referral.withheld"].format(
                reference=ref["placement_id"]) in text(page)
            if name not in others:  # two people may share a name
                assert name not in c.get("/my/referrals").text
    finally:
        with db.begin() as conn:
            conn.execute(update(Client).where(Client.client_id == client_id)
                         .values(consent_share=True))
