"""Clients over HTTP: create, read, update, search, caseloads, validation and the audit log."""

from __future__ import annotations

import json
import uuid
from functools import lru_cache

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from matcher.store import generations
from matcher.store.db import make_engine
from matcher.store.tables import AuditEntry, Client, User

HALONG, UONGBI, STAFF = "ctv.halong", "ctv.uongbi", "canbo.chuongtrinh"
NOT_FOR_CLIENTS = ("truong.nghe", "doanh.nghiep", "quantri")


# --- helpers (also used by the suggestion and placement tests) ---------------------------


@lru_cache
def engine_for(url: str) -> Engine:
    return make_engine(url)


def db(api) -> Session:
    """A session on the server's own database, to check what was (not) written."""
    return Session(engine_for(api.db_url))


def user_id(api, username: str) -> int:
    with db(api) as s:
        return s.scalar(select(User.user_id).where(User.username == username))


def unique_name(first: str = "Nguyễn Thị Lan") -> str:
    """A Vietnamese name that no other test uses (the tail survives folding unchanged)."""
    return f"{first} {uuid.uuid4().hex[:10]}"


def client_body(**overrides) -> dict:
    body = {"full_name": unique_name(), "birth_date": "2003-05-17", "gender": "nữ",
            "group": "gbv_survivor", "place": "Phường Hạ Long", "education": "lower_secondary",
            "interests": "thích học may, cắt tóc", "skills": "khéo tay", "max_travel_km": 25,
            "household_poor": True, "prior_income_vnd_month": 1_500_000,
            "consent_share": True, "notes": "gặp tại nhà tạm lánh"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def new_client(api, username: str = HALONG, **overrides) -> dict:
    with api.client(username) as c:
        r = c.post("/v1/clients", json=client_body(**overrides))
    assert r.status_code == 201, r.text
    return r.json()


def count(api, table) -> int:
    with db(api) as s:
        return s.scalar(select(func.count()).select_from(table))


def audit_entries(api, entity_id: str) -> list[AuditEntry]:
    with db(api) as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.entity_id == entity_id)
                              .order_by(AuditEntry.audit_id)))


# --- create, read, update ----------------------------------------------------------------


def test_create_read_and_update_a_client(api):
    body = client_body(client_id=None)
    with api.client(HALONG) as c:
        r = c.post("/v1/clients", json=body)
        assert r.status_code == 201, r.text
        made = r.json()
        cid = made["client_id"]
        assert cid.startswith("KH") and cid[2:].isdigit()
        assert made["gender"] == "female"  # "nữ", as a spreadsheet writes it
        assert made["place_id"] == "cur-6688" and made["place"] == "Phường Hạ Long"
        assert made["caseworker_id"] == user_id(api, HALONG)
        assert made["full_name"] == body["full_name"] and made["group"] == "gbv_survivor"
        assert made["max_travel_km"] == 25.0 and made["household_poor"] is True

        read = c.get(f"/v1/clients/{cid}")
        assert read.status_code == 200 and read.json() == made

        r = c.patch(f"/v1/clients/{cid}", json={"place": "uong bi", "max_travel_km": 10,
                                                "full_name": "Trần Thị Mai",
                                                "education": None})
        assert r.status_code == 200, r.text
        changed = r.json()
    assert changed["place"] == "Phường Uông Bí" and changed["max_travel_km"] == 10.0
    assert changed["education"] is None and changed["skills"] == body["skills"]
    assert changed["group"] == "gbv_survivor"  # untouched
    with db(api) as s:
        row = s.get(Client, cid)
        assert row.full_name_folded == "tran thi mai" and row.place_id == changed["place_id"]


def test_a_given_client_id_is_kept_and_a_taken_one_is_refused(api):
    cid = f"T{uuid.uuid4().hex[:8].upper()}"
    made = new_client(api, client_id=cid)
    assert made["client_id"] == cid
    before = count(api, Client)
    with api.client(HALONG) as c:
        r = c.post("/v1/clients", json=client_body(client_id=cid))
    assert r.status_code == 409 and r.json()["field"] == "body.client_id"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert count(api, Client) == before


def test_generated_ids_follow_each_other(api):
    first, second = new_client(api), new_client(api)
    assert int(second["client_id"][2:]) == int(first["client_id"][2:]) + 1


def test_saving_a_client_rebuilds_no_matcher_but_moves_the_waiting_list(api):
    def counts():
        with db(api) as s:
            read = generations.read(s)
        return {n: read.get(n, 0) for n in (generations.CATALOG, generations.CAPACITY,
                                            generations.WAITING)}

    before = counts()
    made = new_client(api)
    with api.client(HALONG) as c:
        assert c.patch(f"/v1/clients/{made['client_id']}",
                       json={"interests": "nấu ăn"}).status_code == 200
    after = counts()
    # No rebuild of any worker's matcher; the seat prices are recomputed for the new list.
    assert after[generations.CATALOG] == before[generations.CATALOG]
    assert after[generations.CAPACITY] == before[generations.CAPACITY]
    assert after[generations.WAITING] >= before[generations.WAITING] + 2


# --- search ------------------------------------------------------------------------------


def test_search_finds_names_with_or_without_diacritics(api):
    name = unique_name("Nguyễn Thị Lan")
    made = new_client(api, full_name=name)
    tail = name.split()[-1]
    with api.client(HALONG) as c:
        for q in (f"nguyen thi lan {tail}", name, f"NGUYỄN thi LAN {tail}", f"lan {tail}",
                  f"  Nguyen   Thi Lan {tail} "):
            r = c.post("/v1/clients/search", json={"q": q})
            assert r.status_code == 200, r.text
            assert [i["client_id"] for i in r.json()["items"]] == [made["client_id"]], q
            assert r.json()["total"] == 1
        # the start of an id, in any case
        r = c.post("/v1/clients/search", json={"q": made["client_id"].lower(), "limit": 100})
        assert made["client_id"] in [i["client_id"] for i in r.json()["items"]]
        # a hit says who, not why
        hit = c.post("/v1/clients/search", json={"q": tail}).json()["items"][0]
        assert "group" not in hit and "notes" not in hit
        assert c.post("/v1/clients/search", json={"q": "nguyen thi lan zzzz-none"}).json() == {
            "items": [], "total": 0, "limit": 20, "offset": 0}


def test_search_lists_the_exact_name_first(api):
    tail = uuid.uuid4().hex[:10]
    longer = new_client(api, full_name=f"Nguyễn Thị Lanh {tail}")
    exact = new_client(api, full_name=f"Nguyễn Thị Lan {tail}")
    with api.client(HALONG) as c:
        hits = c.post("/v1/clients/search", json={"q": f"nguyen thi lan {tail}"}).json()["items"]
    assert [h["client_id"] for h in hits] == [exact["client_id"], longer["client_id"]]


def test_search_pages_through_the_caseload(api):
    with api.client(HALONG) as c:
        first = c.get("/v1/clients", params={"limit": 5}).json()
        second = c.get("/v1/clients", params={"limit": 5, "offset": 5}).json()
    assert len(first["items"]) == 5 and first["total"] >= 10
    assert not {i["client_id"] for i in first["items"]} & {i["client_id"]
                                                           for i in second["items"]}


# --- who sees what -----------------------------------------------------------------------


def test_another_social_worker_cannot_see_the_client(api):
    name = unique_name("Phạm Văn Đức")
    made = new_client(api, full_name=name, gender="male", group="after_prison")
    cid = made["client_id"]
    with api.client(UONGBI) as other:
        assert other.get(f"/v1/clients/{cid}").status_code == 404
        r = other.patch(f"/v1/clients/{cid}", json={"notes": "x"})
        assert r.status_code == 404 and r.json()["field"] == "client_id"
        assert other.post("/v1/clients/search", json={"q": name}).json()["total"] == 0
        assert other.post("/v1/clients/search", json={"q": cid}).json()["total"] == 0
        everyone = other.get("/v1/clients", params={"limit": 100}).json()["items"]
    mine = user_id(api, UONGBI)
    assert everyone and {i["caseworker_id"] for i in everyone} == {mine}
    with db(api) as s:  # the failed update changed nothing
        assert s.get(Client, cid).notes == made["notes"]


def test_programme_staff_read_and_search_all_but_do_not_edit(api):
    name = unique_name("Lê Thị Hồng")
    made = new_client(api, full_name=name)
    cid = made["client_id"]
    with api.client(STAFF) as staff:
        assert staff.get(f"/v1/clients/{cid}").json()["client_id"] == cid
        hits = staff.post("/v1/clients/search", json={"q": name}).json()["items"]
        assert [h["client_id"] for h in hits] == [cid]
        assert staff.post("/v1/clients", json=client_body()).status_code == 403
        r = staff.patch(f"/v1/clients/{cid}", json={"notes": "x"})
        assert r.status_code == 403 and r.json()["status"] == 403
        caseworkers = {i["caseworker_id"]
                       for i in staff.get("/v1/clients", params={"limit": 100}).json()["items"]}
    assert len(caseworkers) >= 2


@pytest.mark.parametrize("username", NOT_FOR_CLIENTS)
def test_providers_and_admins_have_no_client_endpoint(api, username):
    cid = new_client(api)["client_id"]
    with api.client(username) as c:
        calls = [c.get("/v1/clients"), c.get(f"/v1/clients/{cid}"),
                 c.post("/v1/clients", json=client_body()),
                 c.patch(f"/v1/clients/{cid}", json={"notes": "x"}),
                 c.put(f"/v1/clients/{cid}/caseworker", json={"user_id": 1})]
    assert [r.status_code for r in calls] == [403] * len(calls)
    assert all("gbv_survivor" not in r.text for r in calls)


def test_staff_move_a_client_to_another_caseload(api):
    cid = new_client(api)["client_id"]
    target = user_id(api, UONGBI)
    with api.client(HALONG) as sw:
        r = sw.put(f"/v1/clients/{cid}/caseworker", json={"user_id": target})
        assert r.status_code == 403
    with api.client(STAFF) as staff:
        for bad in (user_id(api, "quantri"), user_id(api, STAFF), 999_999):
            r = staff.put(f"/v1/clients/{cid}/caseworker", json={"user_id": bad})
            assert r.status_code == 422 and r.json()["field"] == "body.user_id"
        r = staff.put(f"/v1/clients/{cid}/caseworker", json={"user_id": target})
        assert r.status_code == 200 and r.json()["caseworker_id"] == target
    with api.client(HALONG) as sw:
        assert sw.get(f"/v1/clients/{cid}").status_code == 404
    with api.client(UONGBI) as sw:
        assert sw.get(f"/v1/clients/{cid}").status_code == 200


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"favourite_colour": "blue"}, "body.favourite_colour", "unknown field"),
    ({"birth_date": "31/05/2004"}, "body.birth_date", "date"),
    ({"birth_date": "2999-01-01"}, "body.birth_date", "in the future"),
    ({"birth_date": "1850-01-01"}, "body.birth_date", "at most"),
    ({"max_travel_km": "far"}, "body.max_travel_km", "number"),
    ({"max_travel_km": 301}, "body.max_travel_km", "300"),
    ({"prior_income_vnd_month": -5}, "body.prior_income_vnd_month", "greater than or equal"),
    ({"gender": "unknown"}, "body.gender", "female, male, other"),
    ({"group": "criminal"}, "body.group", "youth_at_risk"),
    ({"disability": "tired"}, "body.disability", "deaf"),
    ({"household_poor": "perhaps"}, "body.household_poor", "bool"),
    ({"place": "Hạ Lonng xyz"}, "body.place", "closest: Phường Hạ Long"),
    ({"place": "Thanh Sơn"}, "body.place", "ambiguous"),
    ({"registered_on": "2001-01-01"}, "body.registered_on", "before the birth date"),
    ({"full_name": "a\u0000b"}, "body.full_name", "NUL"),
    ({"client_id": "KH 1"}, "body.client_id", "pattern"),
])
def test_bad_client_input_names_the_field_and_writes_nothing(api, change, field, words):
    before = count(api, Client)
    with api.client(HALONG) as c:
        r = c.post("/v1/clients", json={**client_body(), **change})
    assert r.status_code == 422, r.text
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert problem["field"] == field, problem
    assert words in problem["detail"], problem
    assert count(api, Client) == before


def test_required_fields_are_required_and_cannot_be_emptied(api):
    with api.client(HALONG) as c:
        r = c.post("/v1/clients", json={"full_name": "Vũ Văn An"})
        fields = {e["field"] for e in r.json()["errors"]}
        assert r.status_code == 422
        assert {"body.birth_date", "body.gender", "body.group", "body.place"} <= fields
        cid = new_client(api)["client_id"]
        r = c.patch(f"/v1/clients/{cid}", json={"place": None})
        assert r.status_code == 422 and r.json()["field"] == "body.place"
        r = c.patch(f"/v1/clients/{cid}", json={"birth_date": "2999-01-01"})
        assert r.status_code == 422 and r.json()["field"] == "body.birth_date"
        assert c.get(f"/v1/clients/{cid}").json()["birth_date"] == "2003-05-17"


# --- audit -------------------------------------------------------------------------------


def test_reads_and_changes_are_audited_without_names_or_groups(api):
    name = unique_name("Đỗ Thị Thu")
    made = new_client(api, full_name=name, group="trafficking_returnee")
    cid = made["client_id"]
    with api.client(HALONG) as c:
        c.get(f"/v1/clients/{cid}")
        c.patch(f"/v1/clients/{cid}", json={"skills": "bán hàng", "married": True})
        c.post("/v1/clients/search", json={"q": name})
    with api.client(STAFF) as staff:
        staff.get(f"/v1/clients/{cid}")
    entries = audit_entries(api, cid)
    seen = [(e.action, e.actor) for e in entries]
    assert seen == [("create", HALONG), ("read", HALONG), ("update", HALONG),
                    ("read", STAFF)]
    assert entries[0].detail["fields"] == sorted(client_body().keys() - {"client_id"})
    assert entries[2].detail == {"fields": ["married", "skills"]}
    with db(api) as s:
        search = s.scalars(select(AuditEntry).where(AuditEntry.action == "search",
                                                    AuditEntry.entity == "client",
                                                    AuditEntry.actor == HALONG)
                           .order_by(AuditEntry.audit_id.desc()).limit(1)).one()
    assert search.detail["client_ids"] == [cid]
    for entry in [*entries, search]:
        text = json.dumps(entry.detail, ensure_ascii=False)
        assert name not in text and name.split()[-1] not in text
        assert "trafficking" not in text and "bán hàng" not in text
