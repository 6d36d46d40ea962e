"""Possible duplicate providers over HTTP (issue 18): an import through the API proposes a
near pair instead of joining it; programme staff merge it on /staff/providers/duplicates and
undo it, or keep a pair apart, through the page's buttons and through the API; bad requests
change nothing; other roles are refused."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests import local_http
from tests.web.signin import login_form

STAFF = "canbo.chuongtrinh"
PAGE = "/staff/providers/duplicates"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
HEADER = "provider_id,name,kind,place,phone\n"


def near_pair(server) -> tuple[str, str]:
    """Two providers imported through the API whose names differ in one mark: proposed."""
    stamp = time.time_ns() % 10**9
    a, b = f"DUPA{stamp}", f"DUPB{stamp}"
    text = (HEADER + f"{a},Tiệm may Hoa {stamp},trainer,Hồng Gai,\n"
            + f"{b},Tiệm may Hòa {stamp},trainer,Hồng Gai,\n")
    with server.client(STAFF) as c:
        r = c.post("/v1/imports/providers",
                   files={"file": ("p.csv", text.encode(), "text/csv")})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["merged"] == [] and body["created"] == 2
    assert body["proposed"] == [{"id_in_file": b, "id_known": a, "likeness": 100.0}]
    return a, b


@contextmanager
def signed_in(server, username: str = STAFF) -> Iterator[httpx.Client]:
    with local_http.Client(base_url=server.url, timeout=60) as client:
        assert login_form(client, username).status_code == 303
        yield client


def csrf_of(html: str) -> str:
    return CSRF.search(html).group(1)


def test_staff_merge_a_proposed_pair_on_the_page_and_undo_it(web):
    a, b = near_pair(web)
    with signed_in(web) as page:
        html = page.get(PAGE).text
        assert f'data-a="{a}" data-b="{b}"' in html
        assert "Gộp: giữ" in html and "Hai cơ sở khác nhau" in html
        r = page.post(PAGE + "/merge", data={"csrf": csrf_of(html), "keep": a, "other": b})
        assert r.status_code == 303 and r.headers["location"].endswith("done=merged")
        html = page.get(r.headers["location"]).text
        assert 'id="dup-done"' in html and f'data-a="{a}"' not in html
        merge_id = re.search(rf'<tr data-merge="(\d+)"><td>[^<]*</td><td>{a}</td>', html)
        assert merge_id, "the merge is listed"
        with web.client(STAFF) as c:
            assert c.get(f"/v1/providers/{b}").status_code == 404  # gone, its options moved
        r = page.post(f"{PAGE}/undo/{merge_id.group(1)}", data={"csrf": csrf_of(html)})
        assert r.headers["location"].endswith("done=undone")
        with web.client(STAFF) as c:
            assert c.get(f"/v1/providers/{b}").status_code == 200
        html = page.get(PAGE).text
        assert f'data-a="{a}" data-b="{b}"' in html  # back to a person's decision
        r = page.post(PAGE + "/distinct", data={"csrf": csrf_of(html), "a": a, "b": b})
        assert r.headers["location"].endswith("done=distinct")
        assert f'data-a="{a}"' not in page.get(PAGE).text


def test_the_page_refuses_bad_requests_and_changes_nothing(web):
    a, b = near_pair(web)
    with signed_in(web) as page:
        html = page.get(PAGE).text
        token = csrf_of(html)
        same = page.post(PAGE + "/merge", data={"csrf": token, "keep": a, "other": a})
        assert same.headers["location"].endswith("error=same")
        assert "Không thể gộp một cơ sở vào chính nó" in page.get(same.headers["location"]).text
        gone = page.post(PAGE + "/merge", data={"csrf": token, "keep": a, "other": "NO-SUCH"})
        assert gone.headers["location"].endswith("error=unknown")
        other_kind = page.post(PAGE + "/merge",
                               data={"csrf": token, "keep": a, "other": "EM0001"})
        assert other_kind.headers["location"].endswith("error=other_kind")
        assert page.post(PAGE + "/merge", data={"keep": a, "other": b}).status_code == 403
        bad = page.post(PAGE + "/merge", data={"csrf": token, "keep": "../x", "other": b})
        assert bad.status_code == 422
        assert page.post(f"{PAGE}/undo/0", data={"csrf": token}).status_code == 422
        assert page.post(f"{PAGE}/undo/99999999", data={"csrf": token}).headers[
            "location"].endswith("error=unknown_merge")
        unknown = page.get(PAGE + "?error=<script>")  # an unknown code is not shown at all
        assert unknown.status_code == 200 and 'id="dup-error"' not in unknown.text
        assert "<script>" not in unknown.text
        assert f'data-a="{a}" data-b="{b}"' in page.get(PAGE).text  # nothing changed


@pytest.mark.parametrize("username", ["ctv.halong", "truong.nghe", "quantri"])
def test_other_roles_cannot_open_or_use_the_page(web, username):
    with signed_in(web, username) as page:
        assert page.get(PAGE).status_code == 403
        token = csrf_of(page.get("/account/password").text)
        r = page.post(PAGE + "/merge", data={"csrf": token, "keep": "A1", "other": "B1"})
        assert r.status_code == 403


def test_the_api_merges_undoes_and_refuses(api):
    a, b = near_pair(api)
    with api.client(STAFF) as c:
        pairs = c.get("/v1/provider-pairs").json()
        assert any(p["a"]["provider_id"] == a and p["b"]["provider_id"] == b for p in pairs)
        assert c.post("/v1/provider-merges", json={"keep": a, "other": a}).status_code == 422
        assert c.post("/v1/provider-merges",
                      json={"keep": a, "other": "NO-SUCH"}).status_code == 404
        made = c.post("/v1/provider-merges", json={"keep": a, "other": b})
        assert made.status_code == 201, made.text
        merge = made.json()
        assert merge["kept_id"] == a and merge["merged_id"] == b and merge["undoable"]
        assert c.post("/v1/provider-pairs/distinct", json={"a": a, "b": b}).status_code == 409
        undone = c.post(f"/v1/provider-merges/{merge['merge_id']}/undo")
        assert undone.status_code == 200 and undone.json()["undone_at"]
        again = c.post(f"/v1/provider-merges/{merge['merge_id']}/undo")
        assert again.status_code == 409 and "already undone" in again.json()["detail"]
        assert c.post("/v1/provider-pairs/distinct", json={"a": a, "b": b}).status_code == 204
        assert c.post("/v1/provider-pairs/scan").json()["found"] == 0
