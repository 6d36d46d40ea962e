"""Absurd numbers in paths and queries: every integer a route takes, over HTTP.

Each route of the app that takes an integer in its path or query (the API's and the pages')
gets 10**20, -1 and 2**63 there, from every role. None may answer 5xx or drop the
connection (the old `GET /v1/plans/99999999999999999999` was a 500 on SQLite and
`?offset=10**20` dropped the connection on PostgreSQL); at least one role (one allowed to use
the route) must get the refusal: 422, or 404.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.routing import APIRoute

from api.main import app
from tests import local_http
from tests.api.server import TEST_PASSWORD

USERS = ("ctv.halong", "canbo.chuongtrinh", "truong.nghe", "quantri")
ABSURD = (10**20, -1, 2**63)
PLACEHOLDER = "KH00001"  # any string path segment (client, option ids): never reached


def _walk(routes, prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    for route in routes:
        if hasattr(route, "original_router"):  # an included router (FastAPI >= 0.16x)
            yield from _walk(route.original_router.routes, prefix + route.include_context.prefix)
        elif hasattr(route, "routes") and not isinstance(route, APIRoute):
            yield from _walk(route.routes, prefix + getattr(route, "path", ""))
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route


def _params(dependant) -> Iterator[tuple[str, object]]:
    yield from (("path", p) for p in dependant.path_params)
    yield from (("query", p) for p in dependant.query_params)
    for sub in dependant.dependencies:
        yield from _params(sub)


def integer_params() -> list[tuple[str, str, str, str, list[str]]]:
    """(method, path template, where, name, other path names) for every integer parameter."""
    found = []
    for path, route in _walk(app.router.routes):
        params = list(_params(route.dependant))
        path_names = [p.alias for kind, p in params if kind == "path"]
        for kind, param in params:
            if param.field_info.annotation in (int, int | None):
                for method in sorted(route.methods - {"HEAD"}):
                    found.append((method, path, kind, param.alias, path_names))
    return found


CASES = integer_params()


def test_the_walk_finds_the_known_integer_parameters():
    names = {(path, name) for _, path, _, name, _ in CASES}
    assert ("/v1/plans/{plan_id}", "plan_id") in names
    assert ("/v1/plans", "offset") in names
    assert ("/cohort/{plan_id}", "plan_id") in names
    assert len(CASES) >= 30


@pytest.fixture(scope="module")
def signed_in(api):
    """A cookie-and-token client per role, and its form token for the page forms."""
    clients = {}
    for user in USERS:
        client = local_http.Client(base_url=api.url, timeout=60,
                              headers={"Authorization": f"Bearer {api.token(user)}"})
        form = client.get("/login").text
        sent = re.search(r'name="csrf" value="([^"]+)"', form)
        r = client.post("/login", data={"username": user, "password": TEST_PASSWORD,
                                        **({"csrf": sent.group(1)} if sent else {})})
        assert r.status_code in (200, 303), r.text
        home = client.get("/", follow_redirects=True).text
        token = re.search(r'name="csrf" value="([^"]+)"', home)
        clients[user] = (client, token.group(1) if token else "")
    yield clients
    for client, _ in clients.values():
        client.close()


def _url(path: str, where: str, name: str, value: int, path_names: list[str]) -> str:
    for other in path_names:
        path = path.replace("{" + other + "}", str(value) if other == name else
                            ("1" if other.endswith(("_id", "_no")) and "client" not in other
                             and "option" not in other and "placement" not in other
                             else PLACEHOLDER))
    return f"{path}?{name}={value}" if where == "query" else path


@pytest.mark.parametrize(("method", "path", "where", "name", "path_names"), CASES,
                         ids=[f"{m} {p} {n}" for m, p, _, n, _ in CASES])
def test_absurd_integers_are_refused_never_a_500(signed_in, method, path, where, name,
                                                 path_names):
    for value in ABSURD:
        url = _url(path, where, name, value, path_names)
        statuses = {}
        for user, (client, csrf) in signed_in.items():
            try:
                r = client.request(method, url, data={"csrf": csrf} if method == "POST" and
                                   not url.startswith("/v1") else None,
                                   json={} if method != "GET" and url.startswith("/v1")
                                   else None)
            except httpx.TransportError as exc:  # a dropped connection
                pytest.fail(f"{method} {url} as {user}: connection lost ({exc!r})")
            assert r.status_code < 500, f"{method} {url} as {user}: {r.status_code} {r.text}"
            statuses[user] = r.status_code
        assert {422, 404} & set(statuses.values()), f"{method} {url}: {statuses}"
