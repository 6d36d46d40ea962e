"""A provider's capacity updates over HTTP: ETag / If-Match, 412, 428, 404, history.

Every test that changes seats works on options it creates for the demo provider (so the
demo seats other tests use stay as they were).
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from matcher.store import generations
from matcher.store.db import transaction
from matcher.store.tables import AuditEntry, Generation, Option, OptionChange, OptionTrade


def provider_of(api, username: str) -> str:
    with api.client(username) as c:
        provider_id = c.get("/v1/me").json()["provider_id"]
    assert provider_id
    return provider_id


def new_option(db, provider_id: str, *, kind: str = "training", capacity: int = 5,
               start: date | None = None, title: str | None = None) -> str:
    """An option of our own, in the catalogue (the catalogue counter bumped with it)."""
    option_id = f"T-{uuid.uuid4().hex[:12]}"
    with transaction(db) as s:
        s.add(Option(option_id=option_id, provider_id=provider_id, kind=kind,
                     title=title or f"Lớp thử nghiệm {option_id}", place_id="cur-6658",
                     capacity=capacity, min_age=16, cost_vnd=3_000_000, wage_vnd_day=200_000,
                     duration_weeks=12, start_date=start or date.today() + timedelta(days=30),
                     version=1))
        s.flush()
        s.add(OptionTrade(option_id=option_id, trade_id="hairdressing", position=0))
        generations.bump(s, generations.CATALOG)
    return option_id


def stored(db, option_id: str) -> tuple:
    with db.connect() as conn:
        return tuple(conn.execute(
            select(Option.capacity, Option.start_date, Option.version, Option.duration_weeks)
            .where(Option.option_id == option_id)).one())


def changes(db, option_id: str) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(OptionChange)
                                .where(OptionChange.option_id == option_id)).scalar())


def generation(db) -> dict[str, int]:
    with db.connect() as conn:
        return {n: int(v) for n, v in conn.execute(
            select(Generation.name, Generation.value))}


def test_a_provider_lists_only_its_own_options(api, db):
    mine = provider_of(api, "truong.nghe")
    option_id = new_option(db, mine)
    with db.connect() as conn:
        expected = set(conn.execute(select(Option.option_id)
                                    .where(Option.provider_id == mine)).scalars())
    with api.client("truong.nghe") as c:
        body = c.get("/v1/my/options", params={"limit": 200}).json()
    assert body["total"] == len(expected) == len(body["items"])
    assert {o["option_id"] for o in body["items"]} == expected
    assert option_id in expected
    assert {o["provider_id"] for o in body["items"]} == {mine}


def test_read_own_option_with_etag_then_update_with_if_match(api, db):
    option_id = new_option(db, provider_of(api, "truong.nghe"), capacity=5)
    before = generation(db)
    new_start = date.today() + timedelta(days=60)
    with api.client("truong.nghe") as c:
        r = c.get(f"/v1/my/options/{option_id}")
        assert r.status_code == 200, r.text
        assert r.headers["etag"] == '"1"' and r.json()["version"] == 1
        assert r.json()["capacity"] == 5 and r.json()["title"].startswith("Lớp thử nghiệm")
        r = c.patch(f"/v1/my/options/{option_id}", headers={"If-Match": r.headers["etag"]},
                    json={"capacity": 8, "start_date": new_start.isoformat()})
        assert r.status_code == 200, r.text
        assert r.headers["etag"] == '"2"'
        body = r.json()
        assert (body["capacity"], body["start_date"], body["version"]) == (
            8, new_start.isoformat(), 2)
        # The bare number is accepted too.
        r = c.patch(f"/v1/my/options/{option_id}", headers={"If-Match": "2"},
                    json={"duration_weeks": 10})
        assert r.status_code == 200, r.text
        assert r.headers["etag"] == '"3"' and r.json()["duration_weeks"] == 10
    assert stored(db, option_id) == (8, new_start, 3, 10)
    after = generation(db)
    assert after["capacity"] == before["capacity"] + 1
    assert after["catalog"] == before["catalog"] + 2


def test_a_stale_version_is_refused_and_nothing_changes(api, db):
    option_id = new_option(db, provider_of(api, "truong.nghe"), capacity=5)
    with api.client("truong.nghe") as c:
        assert c.patch(f"/v1/my/options/{option_id}", headers={"If-Match": '"1"'},
                       json={"capacity": 4}).status_code == 200
        before, history, gens = stored(db, option_id), changes(db, option_id), generation(db)
        r = c.patch(f"/v1/my/options/{option_id}", headers={"If-Match": '"1"'},
                    json={"capacity": 9, "start_date": (date.today() + timedelta(days=90))
                          .isoformat()})
    assert r.status_code == 412
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "version 2" in r.json()["detail"] and "nothing was changed" in r.json()["detail"]
    assert stored(db, option_id) == before and before[0] == 4
    assert changes(db, option_id) == history
    assert generation(db)["capacity"] == gens["capacity"]


def test_missing_if_match_is_428_and_says_what_to_send(api, db):
    option_id = new_option(db, provider_of(api, "truong.nghe"))
    before = stored(db, option_id)
    with api.client("truong.nghe") as c:
        r = c.patch(f"/v1/my/options/{option_id}", json={"capacity": 2})
    assert r.status_code == 428
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "If-Match" in r.json()["detail"] and "GET" in r.json()["detail"]
    assert stored(db, option_id) == before


@pytest.mark.parametrize(("body", "field"), [
    ({"capacity": -1}, "body.capacity"),
    ({"capacity": 10_001}, "body.capacity"),
    ({"capacity": None}, "body.capacity"),
    ({"capacity": 3, "colour": "red"}, "body.colour"),
    ({"start_date": (date.today() - timedelta(days=1)).isoformat()}, "body.start_date"),
    ({"start_date": None}, "body.start_date"),
    ({}, "body"),
])
def test_invalid_updates_are_422_naming_the_field(api, db, body, field):
    option_id = new_option(db, provider_of(api, "truong.nghe"))
    before = stored(db, option_id)
    with api.client("truong.nghe") as c:
        r = c.patch(f"/v1/my/options/{option_id}", headers={"If-Match": '"1"'}, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    assert stored(db, option_id) == before
    assert changes(db, option_id) == 0


def test_an_unchanged_past_start_date_may_be_sent_back(api, db):
    # A job that started last month: sending its representation back keeps the date.
    past = date.today() - timedelta(days=30)
    option_id = new_option(db, provider_of(api, "doanh.nghiep"), kind="job", start=past)
    with api.client("doanh.nghiep") as c:
        r = c.patch(f"/v1/my/options/{option_id}", headers={"If-Match": '"1"'},
                    json={"capacity": 2, "start_date": past.isoformat()})
        assert r.status_code == 200, r.text
        moved = c.patch(f"/v1/my/options/{option_id}", headers={"If-Match": '"2"'},
                        json={"start_date": (past + timedelta(days=1)).isoformat()})
    assert moved.status_code == 422 and moved.json()["field"] == "body.start_date"
    assert stored(db, option_id)[:3] == (2, past, 2)


def test_another_providers_option_is_404_like_a_missing_one(api, db):
    theirs = new_option(db, provider_of(api, "doanh.nghiep"), kind="job")
    before = stored(db, theirs)
    with api.client("truong.nghe") as c:
        answers = [
            (c.get(f"/v1/my/options/{theirs}"), c.get("/v1/my/options/NO-SUCH-OPTION")),
            (c.patch(f"/v1/my/options/{theirs}", headers={"If-Match": '"1"'},
                     json={"capacity": 0}),
             c.patch("/v1/my/options/NO-SUCH-OPTION", headers={"If-Match": '"1"'},
                     json={"capacity": 0})),
            (c.get(f"/v1/my/options/{theirs}/history"),
             c.get("/v1/my/options/NO-SUCH-OPTION/history")),
        ]
    for real, missing in answers:
        assert real.status_code == missing.status_code == 404
        assert real.json() == missing.json()
    assert stored(db, theirs) == before


def test_history_lists_who_changed_what_and_when(api, db):
    option_id = new_option(db, provider_of(api, "truong.nghe"), capacity=5)
    start = date.today() + timedelta(days=45)
    with api.client("truong.nghe") as c:
        assert c.patch(f"/v1/my/options/{option_id}", headers={"If-Match": '"1"'},
                       json={"capacity": 3}).status_code == 200
        assert c.patch(f"/v1/my/options/{option_id}", headers={"If-Match": '"2"'},
                       json={"capacity": 3, "start_date": start.isoformat()}).status_code == 200
        mine = c.get(f"/v1/my/options/{option_id}/history")
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["total"] == 2
    newest, oldest = body["items"]
    assert (oldest["field"], oldest["old"], oldest["new"]) == ("capacity", "5", "3")
    assert (newest["field"], newest["new"]) == ("start_date", start.isoformat())
    for item in body["items"]:
        assert item["username"] == "truong.nghe" and item["cause"] == "provider"
        at = datetime.fromisoformat(item["at"])
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        assert abs((datetime.now(UTC) - at).total_seconds()) < 600
    for staff in ("canbo.chuongtrinh", "quantri"):
        with api.client(staff) as c:
            assert c.get(f"/v1/options/{option_id}/history").json() == body
    with api.client("ctv.halong") as c:
        assert c.get(f"/v1/options/{option_id}/history").status_code == 403
    with api.client("truong.nghe") as c:
        assert c.get(f"/v1/options/{option_id}/history").status_code == 403
    with db.connect() as conn:
        audited = conn.execute(select(AuditEntry.detail).where(
            AuditEntry.entity == "option", AuditEntry.entity_id == option_id,
            AuditEntry.action == "update")).scalars().all()
    assert sorted(map(str, audited)) == sorted(
        map(str, [{"fields": ["capacity"], "version": 1},
                  {"fields": ["start_date"], "version": 2}]))


def test_an_option_without_seats_leaves_the_free_seats_listing(api, db):
    marker = uuid.uuid4().hex[:10]
    option_id = new_option(db, provider_of(api, "truong.nghe"), capacity=2,
                           title=f"Lớp cắt tóc {marker}")
    query = {"free_seats": "true", "q": marker, "trade": "cắt tóc"}
    with api.client("ctv.halong") as sw:
        listed = sw.get("/v1/options", params=query).json()
    assert [o["option_id"] for o in listed["items"]] == [option_id]
    before = generation(db)
    with api.client("truong.nghe") as c:
        r = c.patch(f"/v1/my/options/{option_id}", headers={"If-Match": '"1"'},
                    json={"capacity": 0})
    assert r.status_code == 200 and r.json()["capacity"] == 0
    assert generation(db)["capacity"] == before["capacity"] + 1
    with api.client("ctv.halong") as sw:
        assert sw.get("/v1/options", params=query).json() == {"items": [], "total": 0}
        assert sw.get("/v1/options", params={"q": marker}).json()["total"] == 1


def test_two_writers_with_the_same_version_cannot_both_win(api, db):
    option_id = new_option(db, provider_of(api, "truong.nghe"), capacity=10)
    results: list[int] = []
    api.token("truong.nghe")

    def write(seats: int) -> None:
        with api.client("truong.nghe") as c:
            results.append(c.patch(f"/v1/my/options/{option_id}", headers={"If-Match": '"1"'},
                                   json={"capacity": seats}).status_code)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(1, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] + [412] * 5
    capacity, _, version, _ = stored(db, option_id)
    assert version == 2 and 1 <= capacity <= 6
    assert changes(db, option_id) == 1


@pytest.mark.parametrize("user", ["ctv.halong", "canbo.chuongtrinh", "quantri"])
def test_only_providers_use_my_options(api, user):
    with api.client(user) as c:
        for r in (c.get("/v1/my/options"), c.get("/v1/my/options/OP000001"),
                  c.patch("/v1/my/options/OP000001", headers={"If-Match": '"1"'},
                          json={"capacity": 1}),
                  c.get("/v1/my/options/OP000001/history")):
            assert r.status_code == 403, r.text
