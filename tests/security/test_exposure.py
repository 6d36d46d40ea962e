"""What providers and URLs see (issue 14, item 9), over HTTP against the shared servers.

- A provider's option history names the provider's own accounts only: a social worker who
  took a seat shows as "a social worker" (API ``actor``; page "Cán bộ xã hội"), never by
  username; programme staff still see the username.
- A client search travels in a POST body: ``GET /v1/clients?q=<name>`` is refused, so that a
  name never lands in a URL, a proxy's log or the browser's history.
- Imports that name clients (clients, placements, follow-ups) answer the admin, who may not
  read clients, the same for a client and follow-up date that exist as for ones that do not.
"""

from __future__ import annotations

import re
import uuid
from datetime import date

import httpx
import pytest
from sqlalchemy import select

from api.web import i18n
from matcher.access.accounts import add_user
from matcher.store.db import transaction
from matcher.store.tables import FollowUp, Option
from tests import local_http
from tests.api.fixtures import add_clients_with_suggestion, add_open_option
from tests.api.server import TEST_PASSWORD

SOCIAL_WORKER, STAFF, ADMIN = "ctv.halong", "canbo.chuongtrinh", "quantri"


def _page_client(server, username: str) -> httpx.Client:
    client = local_http.Client(base_url=server.url, timeout=60)
    form = client.get("/login").text
    sent = re.search(r'name="csrf" value="([^"]+)"', form)
    r = client.post("/login", data={"username": username, "password": TEST_PASSWORD,
                                    **({"csrf": sent.group(1)} if sent else {})})
    assert r.status_code == 303, r.text
    return client


@pytest.fixture
def provider_option(api, db):
    """A provider of its own with a provider account, one option of it with a seat that a
    social worker took by accepting a suggestion: (option id, provider username)."""
    tag = uuid.uuid4().hex[:6].upper()
    option_id, username = f"OPX{tag}", f"cs.{tag.lower()}"
    add_open_option(api.db_url, option_id, seats=3)
    with transaction(db) as s:
        provider = s.scalar(select(Option.provider_id).where(Option.option_id == option_id))
        add_user(s, username, TEST_PASSWORD, "provider", provider)
    [sid] = add_clients_with_suggestion(api.db_url, f"KX{tag}", 1, option_id, SOCIAL_WORKER)
    with api.client(SOCIAL_WORKER) as c:
        r = c.post(f"/v1/suggestions/{sid}/decisions",
                   json={"option_id": option_id, "decision": "accepted"})
        assert r.status_code in (200, 201), r.text
    with api.client(username, ) as c:  # the provider's own edit: named
        version = c.get(f"/v1/my/options/{option_id}").headers["ETag"]
        r = c.patch(f"/v1/my/options/{option_id}", json={"wage_vnd_day": 123_000},
                    headers={"If-Match": version})
        assert r.status_code == 200, r.text
    return option_id, username


def test_a_provider_sees_a_social_worker_as_a_role_never_a_username(api, provider_option):
    option_id, provider = provider_option
    with api.client(provider) as c:
        history = c.get(f"/v1/my/options/{option_id}/history")
    assert history.status_code == 200, history.text
    assert SOCIAL_WORKER not in history.text
    seat = next(i for i in history.json()["items"] if i["cause"] != "provider")
    assert seat["username"] is None and seat["actor"] == "social_worker"
    own = next(i for i in history.json()["items"] if i["cause"] == "provider")
    assert own["username"] == provider and own["actor"] == "provider"
    # Programme staff keep the username: they may know who took the seat.
    with api.client(STAFF) as c:
        staff = c.get(f"/v1/options/{option_id}/history").json()["items"]
    assert SOCIAL_WORKER in {i["username"] for i in staff}


def test_the_provider_page_shows_a_social_worker_not_a_username(api, provider_option):
    option_id, provider = provider_option
    client = _page_client(api, provider)
    try:
        client.cookies.set(i18n.COOKIE, "vi")
        page = client.get(f"/my/options/{option_id}").text
        client.cookies.set(i18n.COOKIE, "en")
        english = client.get(f"/my/options/{option_id}").text
    finally:
        client.close()
    assert SOCIAL_WORKER not in page and SOCIAL_WORKER not in english
    assert "Cán bộ xã hội" in page and "A social worker" in english
    assert provider in page


def test_a_client_search_goes_in_a_body_never_in_the_url(api):
    with api.client(SOCIAL_WORKER) as c:
        refused = c.get("/v1/clients", params={"q": "Nguyễn Thị Lan"})
        assert refused.status_code == 422
        assert refused.json()["field"] == "query.q"
        assert "POST /v1/clients/search" in refused.json()["detail"]
        found = c.post("/v1/clients/search", json={"q": "nguyen", "limit": 5})
        assert found.status_code == 200, found.text
        assert found.json()["limit"] == 5
        listed = c.get("/v1/clients", params={"limit": 5})
        assert listed.status_code == 200
        bad = c.post("/v1/clients/search", json={"q": "x", "limit": 10**20})
        assert bad.status_code == 422


def _upload(api, username: str, kind: str, text: str) -> httpx.Response:
    with api.client(username) as c:
        return c.post(f"/v1/imports/{kind}",
                      files={"file": (f"{kind}.csv", text.encode(), "text/csv")})


def _scrub(body: str) -> str:
    return re.sub(r"\s+", " ", body)


def test_imports_naming_clients_tell_the_admin_nothing_about_them(api, db):
    tag = uuid.uuid4().hex[:6].upper()
    [_] = add_clients_with_suggestion(api.db_url, f"KF{tag}", 1, "OP000001", SOCIAL_WORKER)
    known, unknown = f"KF{tag}0000", f"KN{tag}0000"
    day = date(2025, 3, 4)
    with transaction(db) as s:
        s.add(FollowUp(client_id=known, followed_up_on=day, earning=True))
    row = "client_id,followed_up_on,earning\n{cid}," + day.isoformat() + ",1\n"
    answers = [_upload(api, ADMIN, "followups", row.format(cid=cid)) for cid in (known, unknown)]
    assert answers[0].status_code == answers[1].status_code != 201
    assert _scrub(answers[0].text).replace(known, "X") == _scrub(answers[1].text).replace(
        unknown, "X")
    assert known not in answers[0].text and day.isoformat() not in answers[0].text
    placement = ("placement_id,client_id,option_id,start_date\n"
                 f"PX{tag},{{cid}},OP000001,2025-01-01\n")
    answers = [_upload(api, ADMIN, "placements", placement.format(cid=cid))
               for cid in (known, unknown)]
    assert answers[0].status_code == answers[1].status_code != 201
    assert known not in answers[0].text
    clients = ("client_id,full_name,birth_date,gender,group,place\n"
               "{cid},Lê Thị Mai,2000-02-02,female,other,Phường Móng Cái 3\n")
    answers = [_upload(api, ADMIN, "clients", clients.format(cid=cid))
               for cid in (known, unknown)]
    assert answers[0].status_code == answers[1].status_code == 403
    # Programme staff, who may read every client, still import them and get the full story.
    staff = _upload(api, STAFF, "followups", row.format(cid=known))
    assert staff.status_code == 422 and "already exists" in staff.text


def test_the_admin_still_imports_the_catalogue(api):
    tag = uuid.uuid4().hex[:6].upper()
    text = ("provider_id,name,kind,place\n"
            f"PV{tag},Cơ sở đào tạo {tag},trainer,Phường Móng Cái 3\n")
    r = _upload(api, ADMIN, "providers", text)
    assert r.status_code in (200, 201), r.text


