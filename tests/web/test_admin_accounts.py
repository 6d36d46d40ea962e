"""The admin's accounts page (/admin/accounts) over HTTP, against the session's server: making
an account shows its one-time code once, the code activates it, an account with client access
still waits for programme staff, a reset ends the old sessions, a lock makes the token 401;
forms need the CSRF token, other roles get 403, refusals name the field, both languages."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from matcher.store.tables import Provider
from tests import local_http
from tests.web.signin import TOKEN, login_form

ADMIN, STAFF = "quantri", "canbo.chuongtrinh"
PASSWORD = "my-own-password-1"
CODE = re.compile(r'id="activation-code">([^<]+)<')


@contextmanager
def _signed_in(web, username: str, lang: str | None = None) -> Iterator[httpx.Client]:
    with local_http.Client(base_url=web.url, timeout=60, follow_redirects=False) as client:
        r = login_form(client, username)
        assert r.status_code == 303, r.text[:300]
        if lang:
            client.cookies.set("lang", lang)
        yield client


def _csrf(client: httpx.Client) -> str:
    page = client.get("/admin/accounts")
    assert page.status_code == 200, page.text[:300]
    return TOKEN.search(page.text).group(1)


def _name() -> str:
    return f"acc{time.time_ns()}"


def _create(client: httpx.Client, username: str, role: str, provider_id: str = "",
            **extra: str) -> httpx.Response:
    return client.post("/admin/accounts", data={"username": username, "role": role,
                                                "provider_id": provider_id,
                                                "csrf": _csrf(client), **extra})


def _made(client: httpx.Client, role: str, provider_id: str = "") -> tuple[str, str, int]:
    """(username, one-time code, user id) of an account made on the page."""
    name = _name()
    r = _create(client, name, role, provider_id)
    assert r.status_code == 200, r.text[:500]
    user_id = int(re.search(rf'id="account-(\d+)"[^>]*>\s*<th scope="row">{name}<',
                            r.text).group(1))
    return name, CODE.search(r.text).group(1), user_id


def _activate(web, username: str, code: str) -> httpx.Response:
    return local_http.post(f"{web.url}/v1/auth/activate", timeout=30,
                      json={"username": username, "code": code, "new_password": PASSWORD})


def _token(web, username: str) -> httpx.Response:
    return local_http.post(f"{web.url}/v1/auth/token", timeout=30,
                      data={"username": username, "password": PASSWORD})


def _me(web, token: str) -> int:
    return local_http.get(f"{web.url}/v1/me", timeout=30,
                     headers={"Authorization": f"Bearer {token}"}).status_code


def _row(html: str, user_id: int) -> str:
    return re.search(rf'<tr id="account-{user_id}".*?</tr>', html, re.S).group(0)


def test_the_admin_makes_an_account_and_sees_its_code_once(web):
    with _signed_in(web, ADMIN) as admin:
        assert 'href="/admin/accounts"' in admin.get("/admin").text  # linked from /admin
        name, code, user_id = _made(admin, "social_worker")
        again = admin.get("/admin/accounts")
        assert code not in again.text
        row = _row(again.text, user_id)
        assert "Chờ kích hoạt" in row and "Cán bộ xã hội" in row
        with admin.stream("GET", "/admin/accounts") as r:
            assert r.headers["cache-control"] == "no-store"
        audit = web.client(ADMIN).get("/v1/audit", params={"entity": "user",
                                                          "limit": 1000}).json()
    entries = audit["items"] if isinstance(audit, dict) else audit
    made = [e for e in entries if e["action"] == "create" and e["entity_id"] == str(user_id)]
    assert len(made) == 1 and made[0]["actor"] == ADMIN
    assert code not in str(audit)
    log = Path(web.db_url.removeprefix("sqlite:///")).parent / "server.log"
    assert code not in log.read_text(errors="replace")


def test_the_answer_says_where_until_when_and_that_approval_follows(web):
    with _signed_in(web, ADMIN) as admin:
        r = _create(admin, _name(), "programme_staff")
    box = re.search(r'<section class="alert ok" id="one-time-code".*?</section>', r.text,
                    re.S).group(0)
    assert 'href="/activate"' in box and "72 giờ" in box
    assert "trao tận tay" in box and "cán bộ chương trình" in box and "duyệt" in box


def test_a_social_worker_activated_on_the_page_reads_clients_only_after_approval(web):
    with _signed_in(web, ADMIN) as admin:
        name, code, user_id = _made(admin, "social_worker")
    with local_http.Client(base_url=web.url, timeout=60) as person:
        form = person.get("/activate")
        r = person.post("/activate", data={"username": name, "code": code,
                                           "new_password": PASSWORD, "confirm": PASSWORD,
                                           "csrf": TOKEN.search(form.text).group(1)})
        assert r.status_code == 200, r.text[:300]
    assert _token(web, name).status_code == 401  # awaiting a programme staff member
    with web.client(STAFF) as staff:
        assert staff.post(f"/v1/users/{user_id}/approve").status_code == 200
    token = _token(web, name).json()["access_token"]
    r = local_http.get(f"{web.url}/v1/clients", timeout=30,
                  headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text[:300]


def test_a_reset_shows_a_new_code_and_ends_the_old_sessions(web, db):
    with db.connect() as conn:
        provider = conn.scalar(select(Provider.provider_id).order_by(Provider.provider_id))
    with _signed_in(web, ADMIN) as admin:
        name, first, user_id = _made(admin, "provider", provider)
        assert provider in _row(admin.get("/admin/accounts").text, user_id)
        assert _activate(web, name, first).json()["status"] == "active"
        token = _token(web, name).json()["access_token"]
        assert _me(web, token) == 200
        r = admin.post(f"/admin/accounts/{user_id}/reset", data={"csrf": _csrf(admin)})
        assert r.status_code == 200, r.text[:300]
        second = CODE.search(r.text).group(1)
        assert second != first and name in r.text
    assert _me(web, token) == 401
    assert _activate(web, name, first).status_code == 400
    assert _activate(web, name, second).status_code == 200


def test_a_locked_account_token_is_refused_and_reopening_lets_it_in(web):
    with _signed_in(web, ADMIN) as admin:
        name, code, user_id = _made(admin, "admin")
        assert _activate(web, name, code).status_code == 200
        token = _token(web, name).json()["access_token"]
        r = admin.post(f"/admin/accounts/{user_id}/deactivate", data={"csrf": _csrf(admin)})
        assert r.status_code == 303
        assert _me(web, token) == 401
        page = admin.get(r.headers["location"]).text
        assert "Đã khoá" in _row(page, user_id) and 'id="account-notice"' in page
        r = admin.post(f"/admin/accounts/{user_id}/reactivate", data={"csrf": _csrf(admin)})
        assert r.status_code == 303
        assert "Đang hoạt động" in _row(admin.get("/admin/accounts").text, user_id)
    assert _token(web, name).status_code == 200


def test_a_form_without_the_csrf_token_is_refused(web):
    name = _name()
    with _signed_in(web, ADMIN) as admin:
        r = admin.post("/admin/accounts", data={"username": name, "role": "admin"})
        assert r.status_code == 403
        r = admin.post("/admin/accounts", data={"username": name, "role": "admin",
                                                "csrf": "forged"})
        assert r.status_code == 403
        assert name not in admin.get("/admin/accounts").text
        _, _, user_id = _made(admin, "admin")
        r = admin.post(f"/admin/accounts/{user_id}/deactivate")
        assert r.status_code == 403
        assert "Chờ kích hoạt" in _row(admin.get("/admin/accounts").text, user_id)


@pytest.mark.parametrize("username", ["ctv.halong", STAFF])
def test_other_roles_get_403(web, username):
    with _signed_in(web, username) as other:
        r = other.get("/admin/accounts")
        assert r.status_code == 403 and "text/html" in r.headers["content-type"]
        csrf = TOKEN.search(other.get("/account/password").text).group(1)
        name = _name()
        r = other.post("/admin/accounts", data={"username": name, "role": "admin",
                                                "csrf": csrf})
        assert r.status_code == 403
    with web.client(ADMIN) as admin:
        assert name not in {u["username"] for u in admin.get("/v1/users").json()}


def test_the_page_needs_a_sign_in(web):
    r = local_http.get(f"{web.url}/admin/accounts", timeout=30)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/admin/accounts"


def _error(html: str) -> str:
    return unescape(re.search(r'id="form-errors".*?</div>', html, re.S).group(0))


def test_refusals_name_the_field_and_keep_the_form(web):
    with _signed_in(web, ADMIN) as admin:
        r = _create(admin, STAFF, "programme_staff")
        assert r.status_code == 409
        assert 'href="#f-username">Tên đăng nhập</a>' in _error(r.text)
        assert "đã có người dùng" in _error(r.text)
        assert f'value="{STAFF}"' in r.text
        assert '<option value="programme_staff" selected>' in r.text
        assert 'id="f-username" name="username"' in r.text and 'aria-invalid="true"' in r.text
        assert 'id="activation-code"' not in r.text
        r = _create(admin, _name(), "provider", "no-such-provider")
        assert r.status_code == 422
        assert 'href="#f-provider_id">Mã đơn vị</a>' in _error(r.text)
        assert 'value="no-such-provider"' in r.text
        r = _create(admin, _name(), "superuser")
        assert r.status_code == 422
        assert 'href="#f-role">Vai trò</a>' in _error(r.text)


def test_the_page_in_english(web):
    with _signed_in(web, ADMIN, lang="en") as admin:
        page = admin.get("/admin/accounts")
        assert page.status_code == 200
        assert '<html lang="en">' in page.text
        assert "Manage accounts" in page.text and "Create an account" in page.text
        assert "Quản lý tài khoản" not in page.text
        r = _create(admin, _name(), "social_worker")
        assert "Hand this code" in r.text and "in 72 hours" in r.text
        r = _create(admin, ADMIN, "admin")
        assert "This username is taken" in _error(r.text)
