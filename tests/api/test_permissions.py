"""Permissions as a table: every endpoint × every role, each cell a test over HTTP.

A cell is the status the role must get: 403 where the role may not use the endpoint at all,
404 where the record exists but is not theirs to know of (another caseload's client,
another provider's option), and the success status where it may. Requests that would change
shared state use inputs that are refused after the permission check (an unknown id, an
invalid body), so the cell shows "allowed through" without spending seats; those cells expect
the refusal a permitted user gets (404 or 422), never 401 or 403.
"""

from __future__ import annotations

import itertools
import json

import pytest

from tests.api.fixtures import add_clients_with_suggestion, add_open_option

ROLES = {"social_worker": "ctv.halong", "programme_staff": "canbo.chuongtrinh",
         "provider": "truong.nghe", "admin": "quantri"}
SW, ST, PR, AD = "social_worker", "programme_staff", "provider", "admin"


def cells(sw, staff, provider, admin):
    return {SW: sw, ST: staff, PR: provider, AD: admin}


# (name, method, path template, json body or None, expected status by role)
TABLE = [
    ("me", "GET", "/v1/me", None, cells(200, 200, 200, 200)),
    ("clients.list", "GET", "/v1/clients", None, cells(200, 200, 403, 403)),
    ("clients.search", "POST", "/v1/clients/search", {"q": "a"}, cells(200, 200, 403, 403)),
    ("clients.read.own", "GET", "/v1/clients/{own_client}", None, cells(200, 200, 403, 403)),
    ("clients.read.other_caseload", "GET", "/v1/clients/{other_client}", None,
     cells(404, 200, 403, 403)),
    ("clients.create", "POST", "/v1/clients", {"birth_date": "2000-01-01"},
     cells(422, 403, 403, 403)),
    ("clients.update.other_caseload", "PATCH", "/v1/clients/{other_client}",
     {"interests": "may"}, cells(404, 403, 403, 403)),
    ("clients.caseworker", "PUT", "/v1/clients/{own_client}/caseworker", {"user_id": -1},
     cells(403, 422, 403, 403)),
    ("suggestions.client", "POST", "/v1/clients/{own_client}/suggestions", {"top": 3},
     cells(201, 201, 403, 403)),
    ("suggestions.other_caseload", "POST", "/v1/clients/{other_client}/suggestions",
     {"top": 3}, cells(404, 201, 403, 403)),
    ("suggestions.profile", "POST", "/v1/suggestions", {"profile": {}, "top": 3},
     cells(422, 422, 403, 403)),
    ("suggestions.read", "GET", "/v1/suggestions/{suggestion}", None, cells(200, 200, 403, 403)),
    ("explain", "GET", "/v1/clients/{own_client}/options/{option}/explain", None,
     cells(200, 200, 403, 403)),
    ("decisions", "POST", "/v1/suggestions/{suggestion}/decisions",
     {"option_id": "NO-SUCH", "decision": "accepted"}, cells(422, 403, 403, 403)),
    ("placements.list", "GET", "/v1/placements", None, cells(200, 200, 403, 403)),
    ("tasks", "GET", "/v1/tasks", None, cells(200, 403, 403, 403)),
    ("placements.read.missing", "GET", "/v1/placements/NO-SUCH", None,
     cells(404, 404, 403, 403)),
    ("placements.outcome.missing", "POST", "/v1/placements/NO-SUCH/outcome",
     {"status": "completed", "success": True, "followed_up_on": "2026-01-01"},
     cells(404, 403, 403, 403)),
    ("followups.read", "GET", "/v1/clients/{own_client}/followups", None,
     cells(200, 200, 403, 403)),
    ("followups.other_caseload", "GET", "/v1/clients/{other_client}/followups", None,
     cells(404, 200, 403, 403)),
    ("clients.placements", "GET", "/v1/clients/{own_client}/placements", None,
     cells(200, 200, 403, 403)),
    ("followups.create.other_caseload", "POST", "/v1/clients/{other_client}/followups",
     {"followed_up_on": "2026-01-01", "earning": True}, cells(404, 403, 403, 403)),
    ("plans.read.missing", "GET", "/v1/plans/999999999", None, cells(403, 404, 403, 403)),
    ("providers.read", "GET", "/v1/providers/{provider}", None, cells(200, 200, 403, 200)),
    ("my.option.history.other_provider", "GET", "/v1/my/options/{other_option}/history", None,
     cells(403, 403, 404, 403)),
    ("my.referral.missing", "GET", "/v1/my/referrals/NO-SUCH", None, cells(403, 403, 404, 403)),
    ("plans.create", "POST", "/v1/plans", {"client_ids": []}, cells(403, 422, 403, 403)),
    ("plans.list", "GET", "/v1/plans", None, cells(403, 200, 403, 403)),
    ("plans.commit.missing", "POST", "/v1/plans/999999999/commit", None,
     cells(403, 404, 403, 403)),
    ("providers", "GET", "/v1/providers", None, cells(200, 200, 403, 200)),
    ("options", "GET", "/v1/options", None, cells(200, 200, 403, 200)),
    ("options.read", "GET", "/v1/options/{option}", None, cells(200, 200, 403, 200)),
    ("options.history", "GET", "/v1/options/{option}/history", None, cells(403, 200, 403, 200)),
    ("my.options", "GET", "/v1/my/options", None, cells(403, 403, 200, 403)),
    ("my.option.own", "GET", "/v1/my/options/{own_option}", None, cells(403, 403, 200, 403)),
    ("my.option.other_provider", "GET", "/v1/my/options/{other_option}", None,
     cells(403, 403, 404, 403)),
    ("my.option.update.other_provider", "PATCH", "/v1/my/options/{other_option}",
     {"capacity": 1}, cells(403, 403, 404, 403)),
    ("my.referrals", "GET", "/v1/my/referrals", None, cells(403, 403, 200, 403)),
    ("clubs.client", "GET", "/v1/clients/{own_client}/clubs", None, cells(200, 200, 403, 403)),
    ("clubs.other_caseload", "GET", "/v1/clients/{other_client}/clubs", None,
     cells(404, 200, 403, 403)),
    ("clubs.refer", "POST", "/v1/clients/{own_client}/club-referrals",
     {"option_id": "NO-SUCH", "consent": True}, cells(422, 403, 403, 403)),
    ("clubs.refer.other_caseload", "POST", "/v1/clients/{other_client}/club-referrals",
     {"option_id": "NO-SUCH", "consent": True}, cells(404, 403, 403, 403)),
    ("clubs.check.missing", "POST", "/v1/club-referrals/NO-SUCH/check",
     {"attending": True, "checked_on": "2026-01-01"}, cells(404, 403, 403, 403)),
    ("my.club_referrals", "GET", "/v1/my/club-referrals", None, cells(403, 403, 200, 403)),
    ("my.referral.answer.missing", "POST", "/v1/my/referrals/NO-SUCH/answer",
     {"answer": "accepted"}, cells(403, 403, 404, 403)),
    ("my.referral.reports.missing", "POST", "/v1/my/referrals/NO-SUCH/reports",
     {"kind": "started", "reported_on": "2026-01-01"}, cells(403, 403, 404, 403)),
    ("my.referral.reports.read.missing", "GET", "/v1/my/referrals/NO-SUCH/reports", None,
     cells(403, 403, 404, 403)),
    ("placements.reports.missing", "POST", "/v1/placements/NO-SUCH/reports",
     {"kind": "started", "reported_on": "2026-01-01"}, cells(404, 403, 403, 403)),
    ("imports", "POST", "/v1/imports/{kind}", None, cells(403, 422, 403, 403)),
    ("imports.catalogue", "POST", "/v1/imports/options", None, cells(403, 422, 403, 422)),
    ("model", "GET", "/v1/model", None, cells(200, 200, 403, 200)),
    ("model.train", "POST", "/v1/model/train", None, cells(403, 403, 403, 200)),
    ("model.versions", "GET", "/v1/model/versions", None, cells(403, 200, 403, 200)),
    ("model.restore.unknown", "POST", "/v1/model/restore", {"version": "no-such-version"},
     cells(403, 403, 403, 409)),
    ("review", "GET", "/v1/review?effects=false", None, cells(403, 200, 403, 200)),
    ("reports.department", "GET", "/v1/reports/department?year=2025&quarter=3", None,
     cells(403, 200, 403, 403)),
    ("reports.department.xlsx", "GET", "/v1/reports/department.xlsx?year=2025&quarter=3", None,
     cells(403, 200, 403, 403)),
    ("provider_pairs", "GET", "/v1/provider-pairs", None, cells(403, 200, 403, 200)),
    ("provider_pairs.scan", "POST", "/v1/provider-pairs/scan", None, cells(403, 200, 403, 200)),
    ("provider_pairs.distinct.unknown", "POST", "/v1/provider-pairs/distinct",
     {"a": "NO-SUCH-1", "b": "NO-SUCH-2"}, cells(403, 404, 403, 404)),
    ("provider_merges", "GET", "/v1/provider-merges", None, cells(403, 200, 403, 200)),
    ("provider_merges.create.unknown", "POST", "/v1/provider-merges",
     {"keep": "NO-SUCH-1", "other": "NO-SUCH-2"}, cells(403, 404, 403, 404)),
    ("provider_merges.undo.missing", "POST", "/v1/provider-merges/999999999/undo", None,
     cells(403, 404, 403, 404)),
    ("audit", "GET", "/v1/audit", None, cells(403, 200, 403, 200)),
    ("users.list", "GET", "/v1/users", None, cells(403, 403, 403, 200)),
    ("users.create", "POST", "/v1/users", {"username": ""}, cells(403, 403, 403, 422)),
    ("users.change.missing", "PATCH", "/v1/users/999999999", {"active": True},
     cells(403, 403, 403, 404)),
    ("users.reset.missing", "POST", "/v1/users/999999999/reset", None,
     cells(403, 403, 403, 404)),
    ("users.approve.missing", "POST", "/v1/users/999999999/approve", None,
     cells(403, 404, 403, 403)),
    ("me.password", "POST", "/v1/me/password", {"current_password": ""},
     cells(422, 422, 422, 422)),
    ("metrics", "GET", "/metrics", None, cells(403, 200, 403, 200)),
]


@pytest.fixture(scope="session")
def records(api):
    """The ids the table's paths refer to, made once per server."""
    with api.client(ROLES[PR]) as provider:
        own_option = provider.get("/v1/my/options").json()["items"][0]["option_id"]
    with api.client("doanh.nghiep") as other:
        other_option = other.get("/v1/my/options").json()["items"][0]["option_id"]
    add_open_option(api.db_url, "OPPERM1", seats=5)
    own = add_clients_with_suggestion(api.db_url, "KPA", 1, "OPPERM1", "ctv.halong")
    add_clients_with_suggestion(api.db_url, "KPB", 1, "OPPERM1", "ctv.uongbi")
    return {"own_client": "KPA0000", "other_client": "KPB0000", "suggestion": own[0],
            "option": "OPPERM1", "provider": "POPPERM1", "kind": "clients",
            "own_option": own_option, "other_option": other_option}


CASES = [(row[0], role) for row, role in itertools.product(TABLE, ROLES)]


@pytest.mark.parametrize(("endpoint", "role"), CASES, ids=[f"{e}-{r}" for e, r in CASES])
def test_permission_cell(api, records, endpoint, role):
    _, method, path, body, expected = next(row for row in TABLE if row[0] == endpoint)
    url = path.format(**records)
    headers = {"If-Match": '"1"'} if method == "PATCH" else {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    with api.client(ROLES[role]) as c:
        if endpoint.startswith("imports"):
            r = c.post(url, files={"file": ("x.csv", b"client_id\n", "text/csv")})
        else:
            r = c.request(method, url, headers=headers,
                          content=json.dumps(body) if body is not None else None)
    assert r.status_code == expected[role], r.text[:300]
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json")


def test_every_route_is_in_the_table(api):
    """A new endpoint must be added to the table (and so to the permission tests)."""
    with api.client() as c:
        spec = c.get("/openapi.json").json()
    covered = {(m, p.split("?")[0]) for _, m, p, _, _ in TABLE}
    templates = {(m, _generic(p)) for m, p in covered}
    public = {("GET", "/healthz"), ("GET", "/readyz"), ("POST", "/v1/auth/token"),
              ("POST", "/v1/auth/logout"), ("POST", "/v1/auth/activate")}
    missing = []
    for path, ops in spec["paths"].items():
        for method in ops:
            key = (method.upper(), _generic(path))
            if key not in templates and key not in public:
                missing.append(key)
    assert not missing, f"routes without a permission row: {missing}"


def _generic(path: str) -> str:
    """/v1/clients/{client_id} and /v1/clients/{own_client} and /v1/plans/999 alike."""
    parts = []
    for part in path.split("/"):
        parts.append("{}" if part.startswith("{") or part.isdigit() or part == "NO-SUCH"
                     else part)
    return "/".join(parts)
