"""The suggestion page when nothing is within reach (issue 13), over HTTP in both languages:
the nearest options beyond the travel limit, and the same search again with a wider limit
for that search only.

Runs against the browser tests' server (the demo world in SQLite); each test makes its own
client on Cô Tô, where no livelihood model is (the tests put only courses and jobs there).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from matcher.store.tables import Client, Suggestion
from tests.api.test_suggestions import coto_client
from tests.web.test_provider_pages import EN, VI, csrf_of, page_client, session_csrf, text

WORKER = "ctv.halong"


def ask(c, client_id: str, **form: str) -> str:
    """The client page's "Xem gợi ý" form, posted: the logged list's page path."""
    token = csrf_of(c.get(f"/clients/{client_id}").text)
    r = c.post(f"/clients/{client_id}/suggestions", data={"csrf": token, **form})
    assert r.status_code == 303, r.text
    return r.headers["location"]


def widen_value(page: str) -> str:
    return re.search(r'name="max_travel_km" min="1" max="300" step="1" value="(\d+)"',
                     page).group(1)


def suggestion_count(db) -> int:
    with db.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Suggestion))


@pytest.mark.parametrize(("lang", "words"), [("vi", VI), ("en", EN)])
def test_nothing_within_reach_shows_the_nearest_and_a_wider_search(web, db, lang, words):
    cid = coto_client(web, WORKER)["client_id"]
    with page_client(web, WORKER, lang) as c:
        path = ask(c, cid, kind="livelihood")
        page = c.get(path).text
        sid = int(path.rsplit("/", 1)[1])
        shown = text(page)
        assert words["sugg.beyond_lead"].format(km="0") in shown
        assert words["sugg.widen_title"] in shown and words["sugg.widen_hint"] in shown
        assert words["sugg.empty"] not in shown and 'class="card"' not in page
        with web.client(WORKER) as api:
            far = api.get(f"/v1/suggestions/{sid}").json()["beyond_reach"]
        assert len(far) == 5
        for f in far:
            assert f["title"] in shown and f["provider_name"] in shown and f["place"] in shown
        farthest = far[-1]["distance_km"]
        decimal = "," if lang == "vi" else "."
        assert f"{farthest:.1f} km".replace(".", decimal) in shown
        km = widen_value(page)
        assert float(km) >= farthest
        r = c.post(f"/clients/{cid}/suggestions/{sid}/widen",
                   data={"csrf": csrf_of(page), "max_travel_km": km})
        assert r.status_code == 303, r.text
        wide = c.get(r.headers["location"]).text
    shown = text(wide)
    assert words["sugg.widened"].format(km=km) in shown
    assert 'class="card"' in wide and words["sugg.widen_title"] not in shown
    with web.client(WORKER) as api:
        wide_sid = int(r.headers["location"].rsplit("/", 1)[1])
        logged = api.get(f"/v1/suggestions/{wide_sid}").json()
        assert logged["kind"] == "livelihood" and logged["max_travel_km"] == float(km)
        assert logged["suggestions"] and {e["kind"] for e in logged["suggestions"]} == {
            "livelihood"}
        assert api.get(f"/v1/clients/{cid}").json()["max_travel_km"] == 0
    with db.connect() as conn:
        assert conn.scalar(select(Client.max_travel_km).where(Client.client_id == cid)) == 0


def test_a_bad_limit_shows_the_page_again_and_asks_nothing(web, db):
    cid = coto_client(web, WORKER)["client_id"]
    with page_client(web, WORKER) as c:
        path = ask(c, cid, kind="livelihood")
        page = c.get(path).text
        sid = path.rsplit("/", 1)[1]
        before = suggestion_count(db)
        for bad in ("0", "-3", "301", "xa", ""):
            r = c.post(f"/clients/{cid}/suggestions/{sid}/widen",
                       data={"csrf": csrf_of(page), "max_travel_km": bad})
            assert r.status_code == 422, bad
            shown = text(r.text)
            assert VI["form.bad_number"] in shown and VI["sugg.widen_title"] in shown
        # Without the form's token, or for a list of another caseload: refused.
        r = c.post(f"/clients/{cid}/suggestions/{sid}/widen", data={"max_travel_km": "90"})
        assert r.status_code == 403
    with page_client(web, "ctv.uongbi") as other:
        r = other.post(f"/clients/{cid}/suggestions/{sid}/widen",
                       data={"csrf": session_csrf(other), "max_travel_km": "90"})
        assert r.status_code == 404
    assert suggestion_count(db) == before
