"""Sign-in, tokens, the session cookie and slowed retries, over HTTP."""

from __future__ import annotations

import time

import jwt

from tests import local_http
from tests.api.fixtures import new_account
from tests.api.server import SECRET, TEST_PASSWORD

PROTECTED = "/v1/me"


def test_health_and_readiness_answer_without_a_token(api):
    with api.client() as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        ready = c.get("/readyz").json()
        assert ready["status"] == "ok" and ready["database"] == "ok"
        assert ready["model"] == c.get("/v1/model", headers={
            "Authorization": f"Bearer {api.token('quantri')}"}).json()["version"]


def test_other_routes_need_a_valid_token(api):
    with api.client() as c:
        r = c.get(PROTECTED)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "sign in" in r.json()["detail"]


def test_sign_in_returns_a_bearer_token_and_a_session_cookie(api):
    with api.client() as c:
        r = c.post("/v1/auth/token", data={"username": "ctv.halong", "password": TEST_PASSWORD})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["token_type"] == "bearer" and body["role"] == "social_worker"
        assert body["expires_in"] > 0
        cookie = r.cookies.get("matcher_session")
        assert cookie and "httponly" in r.headers["set-cookie"].lower()
        assert "samesite=strict" in r.headers["set-cookie"].lower()
        me = c.get(PROTECTED, headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.json()["username"] == "ctv.halong"
    with local_http.Client(base_url=api.url, cookies={"matcher_session": cookie}) as pages:
        assert pages.get(PROTECTED).json()["role"] == "social_worker"


def test_wrong_password_is_refused(api):
    with api.client() as c:
        r = c.post("/v1/auth/token", data={"username": "quantri", "password": "wrong-password"})
        assert r.status_code == 401 and r.json()["field"] == "password"
        # A successful sign-in resets the count.
        assert c.post("/v1/auth/token", data={"username": "quantri",
                                              "password": TEST_PASSWORD}).status_code == 200


def test_unknown_user_is_refused_like_a_wrong_password(api):
    with api.client() as c:
        r = c.post("/v1/auth/token", data={"username": "nobody", "password": "whatever1"})
    assert r.status_code == 401 and r.json()["detail"] == "wrong username or password"


def test_repeated_failures_are_slowed_down(api):
    name = new_account(api, "programme_staff", "right-password", prefix="slow")["username"]
    with api.client() as c:
        codes = [c.post("/v1/auth/token", data={"username": name, "password": "bad-pass"})
                 for _ in range(5)]
        assert [r.status_code for r in codes[:3]] == [401, 401, 401]
        # The fourth failure imposes a wait: later attempts are refused, even the right one.
        late = c.post("/v1/auth/token", data={"username": name, "password": "right-password"})
        assert late.status_code == 429
        assert int(late.headers["Retry-After"]) >= 1


def test_expired_and_forged_tokens_are_refused(api):
    now = int(time.time())
    expired = jwt.encode({"sub": "1", "role": "admin", "iat": now - 7200, "exp": now - 3600},
                         SECRET, algorithm="HS256")
    forged = jwt.encode({"sub": "1", "role": "admin", "iat": now, "exp": now + 3600},
                        "not-the-server-key-not-the-server-key-0000", algorithm="HS256")
    unsigned = jwt.encode({"sub": "1", "role": "admin", "iat": now, "exp": now + 3600},
                          None, algorithm="none")
    with api.client() as c:
        for token, words in ((expired, "expired"), (forged, "not valid"),
                             (unsigned, "not valid"), ("garbage", "not valid")):
            r = c.get(PROTECTED, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 401, token
            assert words in r.json()["detail"]


def test_sign_out_clears_the_cookie(api):
    # A token of its own: signing out ends it, and the server's cached tokens must live on.
    with api.client() as c:
        token = c.post("/v1/auth/token", data={"username": "ctv.uongbi",
                                               "password": TEST_PASSWORD}).json()["access_token"]
        r = c.post("/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 204
    assert 'matcher_session=""' in r.headers["set-cookie"] or "Max-Age=0" in r.headers[
        "set-cookie"]
