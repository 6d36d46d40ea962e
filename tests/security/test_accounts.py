"""The admin cannot obtain client access on its own (issue 14, item 2), over HTTP.

An account is made without a password; the person sets theirs with a one-time code that
expires; an account that can read client records signs in only after a programme staff
member (not the admin, not its creator) approves it; an admin reset sends it the same way
again; the admin's audit view holds no client case history.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import update

from tests import local_http
from tests.api.fixtures import new_account
from tests.web.signin import login_form

ADMIN, STAFF = "quantri", "canbo.chuongtrinh"
PASSWORD = "my-own-password-1"
CLIENT_AREA = "/v1/placements"  # a list of client records: social workers and staff only


def _create(api, role: str, **extra) -> dict:
    with api.client(ADMIN) as admin:
        r = admin.post("/v1/users", json={"username": f"acc{time.time_ns()}", "role": role,
                                          **extra})
    assert r.status_code == 201, r.text
    return r.json()


def _activate(api, username: str, code: str, password: str = PASSWORD) -> httpx.Response:
    return local_http.post(f"{api.url}/v1/auth/activate", timeout=30,
                      json={"username": username, "code": code, "new_password": password})


def _sign_in(api, username: str, password: str = PASSWORD) -> httpx.Response:
    return local_http.post(f"{api.url}/v1/auth/token", timeout=30,
                      data={"username": username, "password": password})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_admin_cannot_give_a_new_account_a_password(api):
    name = f"shadow{time.time_ns()}"
    with api.client(ADMIN) as admin:
        r = admin.post("/v1/users", json={"username": name, "password": "admin-knows-it",
                                          "role": "programme_staff"})
        assert r.status_code == 422, r.text
        assert "password" in r.text
        assert name not in {u["username"] for u in admin.get("/v1/users").json()}
    assert _sign_in(api, name, "admin-knows-it").status_code == 401


def test_a_new_account_has_no_password_until_its_code_is_used_once(api):
    made = _create(api, "admin")
    name, code = made["username"], made["activation_code"]
    assert made["status"] == "pending" and len(code) >= 12
    assert _sign_in(api, name, code).status_code == 401  # the code is no password
    wrong = _activate(api, name, code[:-1] + ("A" if code[-1] != "A" else "B"))
    unknown = _activate(api, f"nobody{time.time_ns()}", code)
    # One answer whether the username exists or not.
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json()["detail"] == unknown.json()["detail"]
    done = _activate(api, name, code)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "active"  # an admin account reads no client records
    assert _sign_in(api, name).status_code == 200
    again = _activate(api, name, code, "another-password-2")
    assert again.status_code == 400
    assert _sign_in(api, name, "another-password-2").status_code == 401
    # The code is never written to the audit log.
    with api.client(STAFF) as staff:
        log = staff.get("/v1/audit", params={"entity": "user", "limit": 1000}).text
    assert code not in log


def test_an_activation_code_expires(api, db):
    from matcher.store.tables import AccountCode  # (imported here: new in this change)

    made = _create(api, "admin")
    with db.begin() as conn:
        conn.execute(update(AccountCode).where(AccountCode.user_id == made["user_id"])
                     .values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    assert _activate(api, made["username"], made["activation_code"]).status_code == 400
    assert _sign_in(api, made["username"]).status_code == 401


def test_a_social_worker_reads_no_clients_until_programme_staff_approve(api):
    made = _create(api, "social_worker")
    done = _activate(api, made["username"], made["activation_code"])
    assert done.status_code == 200 and done.json()["status"] == "awaiting_approval"
    # Activated by whoever held the code (the admin, say): still no way in.
    assert _sign_in(api, made["username"]).status_code == 401
    with api.client(ADMIN) as admin:
        assert admin.post(f"/v1/users/{made['user_id']}/approve").status_code == 403
    assert _sign_in(api, made["username"]).status_code == 401
    with api.client(STAFF) as staff:
        ok = staff.post(f"/v1/users/{made['user_id']}/approve")
        assert ok.status_code == 200, ok.text
        assert ok.json()["status"] == "active" and ok.json()["approved_by"] is not None
        # Approved once: a second approval has nothing to approve.
        assert staff.post(f"/v1/users/{made['user_id']}/approve").status_code == 409
        events = staff.get("/v1/audit", params={"entity": "user",
                                                "entity_id": str(made["user_id"])}).json()
    assert {"create", "activate", "approve"} <= {e["action"] for e in events}
    token = _sign_in(api, made["username"])
    assert token.status_code == 200
    reads = local_http.get(f"{api.url}{CLIENT_AREA}", headers=_bearer(token.json()["access_token"]))
    assert reads.status_code == 200


def test_the_creator_of_an_account_cannot_approve_it(api):
    """An admin later made programme staff still cannot approve an account it made."""
    maker = new_account(api, "admin", PASSWORD, prefix="maker")
    made_by_maker = local_http.post(
        f"{api.url}/v1/users", timeout=30,
        headers=_bearer(_sign_in(api, maker["username"]).json()["access_token"]),
        json={"username": f"mine{time.time_ns()}", "role": "social_worker"}).json()
    assert _activate(api, made_by_maker["username"],
                     made_by_maker["activation_code"]).status_code == 200
    with api.client(ADMIN) as admin:
        r = admin.patch(f"/v1/users/{maker['user_id']}", json={"role": "programme_staff"})
        assert r.json()["status"] == "awaiting_approval"
    with api.client(STAFF) as staff:
        assert staff.post(f"/v1/users/{maker['user_id']}/approve").status_code == 200
    token = _sign_in(api, maker["username"]).json()["access_token"]
    r = local_http.post(f"{api.url}/v1/users/{made_by_maker['user_id']}/approve",
                   headers=_bearer(token), timeout=30)
    assert r.status_code == 409 and "made the account" in r.json()["detail"]


def test_an_admin_reset_and_activation_give_no_client_access(api):
    worker = new_account(api, "social_worker", PASSWORD, prefix="reset")
    before = _sign_in(api, worker["username"]).json()["access_token"]
    assert local_http.get(f"{api.url}{CLIENT_AREA}", headers=_bearer(before)).status_code == 200
    with api.client(ADMIN) as admin:
        reset = admin.post(f"/v1/users/{worker['user_id']}/reset")
    assert reset.status_code == 200, reset.text
    code = reset.json()["activation_code"]
    # The worker's sign-in ends, and the old password no longer works.
    assert local_http.get(f"{api.url}/v1/me", headers=_bearer(before)).status_code == 401
    assert _sign_in(api, worker["username"]).status_code == 401
    # The admin uses the code itself: the account waits for a programme staff approval.
    done = _activate(api, worker["username"], code, "admin-chose-this")
    assert done.json()["status"] == "awaiting_approval"
    assert _sign_in(api, worker["username"], "admin-chose-this").status_code == 401


def test_the_admin_audit_view_holds_no_client_entries(api):
    _create(api, "social_worker")  # an account entry of its own, among the latest
    with api.client(STAFF) as staff:
        assert staff.get(CLIENT_AREA).status_code == 200  # a client-level entry now exists
        staff_view = staff.get("/v1/audit", params={"limit": 1000}).json()
        staff_placements = staff.get("/v1/audit", params={"entity": "placement"}).json()
    with api.client(ADMIN) as admin:
        admin_view = admin.get("/v1/audit", params={"limit": 1000}).json()
        admin_placements = admin.get("/v1/audit", params={"entity": "placement"}).json()
    client_level = {"client", "suggestion", "placement", "followup", "plan", "clients",
                    "placements", "followups"}
    assert staff_placements and {e["entity"] for e in staff_view} & client_level
    assert admin_placements == []
    assert admin_view and not {e["entity"] for e in admin_view} & client_level
    assert "user" in {e["entity"] for e in admin_view}


# --- the pages ---------------------------------------------------------------------------------


TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


def test_the_staff_page_lists_and_approves_waiting_accounts(web):
    made = _create(web, "programme_staff")
    assert _activate(web, made["username"], made["activation_code"]).status_code == 200
    with local_http.Client(base_url=web.url, timeout=60) as page:
        assert login_form(page, STAFF).status_code == 303
        listing = page.get("/staff/accounts")
        assert listing.status_code == 200 and made["username"] in listing.text
        csrf = TOKEN.search(listing.text).group(1)
        r = page.post(f"/staff/accounts/{made['user_id']}/approve", data={"csrf": csrf})
        assert r.status_code == 303
        after = page.get("/staff/accounts").text
    waiting = after.split('id="account-events"')[0]
    assert made["username"] not in waiting  # no longer awaiting approval
    assert made["username"] in after  # but in the recent events
    assert _sign_in(web, made["username"]).status_code == 200
    with local_http.Client(base_url=web.url, timeout=60) as page:
        assert login_form(page, ADMIN).status_code == 303
        assert page.get("/staff/accounts").status_code == 403


def test_the_activation_page_sets_the_password_with_its_form_token(web):
    made = _create(web, "admin")
    form = {"username": made["username"], "code": made["activation_code"],
            "new_password": PASSWORD, "confirm": PASSWORD}
    with local_http.Client(base_url=web.url, timeout=60) as page:
        assert page.post("/activate", data=form).status_code == 403  # no form token
        token = TOKEN.search(page.get("/activate").text).group(1)
        done = page.post("/activate", data={**form, "csrf": token})
        assert done.status_code == 200 and 'id="activated"' in done.text
    assert _sign_in(web, made["username"]).status_code == 200
