"""Sessions end when they should, and a browser's cookie cannot be used from another site
(issue 14, item 7), over HTTP.

Every token names a sessions row that each request checks: signing out, changing one's
password, a role change and a deactivation end it at once. An API write authenticated by
the pages' cookie needs the X-CSRF-Token header; the sign-in form needs its form token.
"""

from __future__ import annotations

import re

import httpx

from tests import local_http
from tests.api.fixtures import new_account
from tests.api.server import TEST_PASSWORD
from tests.web.signin import login_form

PROBE = "/v1/me"
PASSWORD = "my-own-password-1"
TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


def _sign_in(api, username: str, password: str = TEST_PASSWORD) -> httpx.Response:
    return local_http.post(f"{api.url}/v1/auth/token", timeout=30,
                      data={"username": username, "password": password})


def _token(api, username: str, password: str = TEST_PASSWORD) -> str:
    r = _sign_in(api, username, password)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def _me(api, token: str) -> int:
    return local_http.get(f"{api.url}{PROBE}", headers={"Authorization": f"Bearer {token}"},
                     timeout=30).status_code


def test_sign_out_ends_the_token(api):
    token, other = _token(api, "ctv.campha"), _token(api, "ctv.campha")
    r = local_http.post(f"{api.url}/v1/auth/logout", headers={"Authorization": f"Bearer {token}"},
                   timeout=30)
    assert r.status_code == 204
    assert _me(api, token) == 401
    assert _me(api, other) == 200  # only that sign-in ended


def test_the_sign_out_page_ends_the_cookie_session(web):
    with local_http.Client(base_url=web.url, timeout=60) as page:
        assert login_form(page, "ctv.campha").status_code == 303
        cookie = page.cookies.get("matcher_session")
        csrf = TOKEN.search(page.get("/clients").text).group(1)
        assert page.post("/logout", data={"csrf": csrf}).status_code == 303
    with local_http.Client(base_url=web.url, timeout=60, cookies={"matcher_session": cookie}) as c:
        assert c.get(PROBE).status_code == 401


def test_a_password_change_ends_every_session_but_the_new_one(api):
    user = new_account(api, "admin", PASSWORD, prefix="pw")
    first, second = _token(api, user["username"], PASSWORD), _token(api, user["username"],
                                                                      PASSWORD)
    with local_http.Client(base_url=api.url, timeout=30,
                      headers={"Authorization": f"Bearer {first}"}) as c:
        wrong = c.post("/v1/me/password", json={"current_password": "not-it-at-all",
                                                "new_password": "new-password-2"})
        assert wrong.status_code == 400 and wrong.json()["field"] == "current_password"
        assert _me(api, first) == 200
        r = c.post("/v1/me/password", json={"current_password": PASSWORD,
                                            "new_password": "new-password-2"})
    assert r.status_code == 200, r.text
    assert _me(api, first) == 401 and _me(api, second) == 401
    assert _me(api, r.json()["access_token"]) == 200
    assert _sign_in(api, user["username"], PASSWORD).status_code == 401
    assert _sign_in(api, user["username"], "new-password-2").status_code == 200


def test_a_role_change_ends_the_sessions_even_when_changed_back(api):
    user = new_account(api, "admin", PASSWORD, prefix="role")
    token = _token(api, user["username"], PASSWORD)
    with api.client("quantri") as admin:
        r = admin.patch(f"/v1/users/{user['user_id']}", json={"role": "programme_staff"})
        assert r.status_code == 200 and r.json()["status"] == "awaiting_approval"
        assert _me(api, token) == 401
        back = admin.patch(f"/v1/users/{user['user_id']}", json={"role": "admin"})
        assert back.json()["status"] == "active"
    # Same role as in the token again: the token stays ended, a new sign-in works.
    assert _me(api, token) == 401
    assert _me(api, _token(api, user["username"], PASSWORD)) == 200


def test_deactivation_ends_the_sessions_even_when_switched_on_again(api):
    user = new_account(api, "admin", PASSWORD, prefix="off")
    token = _token(api, user["username"], PASSWORD)
    with api.client("quantri") as admin:
        off = admin.patch(f"/v1/users/{user['user_id']}", json={"active": False})
        assert off.status_code == 200 and off.json()["status"] == "disabled"
        assert _me(api, token) == 401
        assert _sign_in(api, user["username"], PASSWORD).status_code == 401
        on = admin.patch(f"/v1/users/{user['user_id']}", json={"active": True})
        assert on.json()["status"] == "active"
    assert _me(api, token) == 401
    assert _me(api, _token(api, user["username"], PASSWORD)) == 200


def test_a_social_worker_switched_on_again_needs_approval(api):
    user = new_account(api, "social_worker", PASSWORD, prefix="again")
    with api.client("quantri") as admin:
        admin.patch(f"/v1/users/{user['user_id']}", json={"active": False})
        on = admin.patch(f"/v1/users/{user['user_id']}", json={"active": True})
    assert on.json()["status"] == "awaiting_approval"
    assert _sign_in(api, user["username"], PASSWORD).status_code == 401


def test_an_api_write_with_the_cookie_needs_the_csrf_header(web):
    with local_http.Client(base_url=web.url, timeout=60) as page:
        assert login_form(page, "ctv.halong").status_code == 303
        csrf = TOKEN.search(page.get("/clients").text).group(1)
        refused = page.post("/v1/clients", json={"birth_date": "2000-01-01"})
        assert refused.status_code == 403
        assert refused.json()["field"] == "X-CSRF-Token"
        assert "X-CSRF-Token" in refused.json()["detail"]
        for wrong in ("0" * 40, "é" * 40):
            forged = page.post("/v1/clients", json={"birth_date": "2000-01-01"},
                               headers={"X-CSRF-Token": wrong.encode("latin-1")})
            assert forged.status_code == 403
        # With the header the write goes through to the body's check (422: no client_id).
        passed = page.post("/v1/clients", json={"birth_date": "2000-01-01"},
                           headers={"X-CSRF-Token": csrf})
        assert passed.status_code == 422, passed.text
        assert page.get(PROBE).status_code == 200  # reads need no header
        token = page.cookies.get("matcher_session")
    # A bearer token is no browser's: no header needed.
    bearer = local_http.post(f"{web.url}/v1/clients", json={"birth_date": "2000-01-01"},
                        headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert bearer.status_code == 422


def test_the_sign_in_form_needs_its_form_token(web):
    with local_http.Client(base_url=web.url, timeout=60) as page:
        r = page.post("/login", data={"username": "ctv.halong", "password": TEST_PASSWORD})
        assert r.status_code == 403
        assert "matcher_session" not in r.headers.get("set-cookie", "")
        # A token from another browser (not this one's cookie) is refused too.
        with local_http.Client(base_url=web.url, timeout=60) as other:
            theirs = TOKEN.search(other.get("/login").text).group(1)
        page.get("/login")
        r = page.post("/login", data={"username": "ctv.halong", "password": TEST_PASSWORD,
                                      "csrf": theirs})
        assert r.status_code == 403
        assert login_form(page, "ctv.halong").status_code == 303


def test_the_api_sign_in_refuses_another_sites_page(api):
    """A form on another site posting to /v1/auth/token would sign the visitor's browser into
    the other site's account (its cookie); the browser says it is cross-site, and is refused."""
    r = local_http.post(f"{api.url}/v1/auth/token", timeout=30,
                   data={"username": "ctv.halong", "password": TEST_PASSWORD},
                   headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403 and "matcher_session" not in r.headers.get("set-cookie", "")
    same = local_http.post(f"{api.url}/v1/auth/token", timeout=30,
                      data={"username": "ctv.halong", "password": TEST_PASSWORD},
                      headers={"Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 200
