"""The audit log over HTTP: entries of audited actions, filters, and no sensitive values."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from matcher.store.db import transaction
from matcher.store.tables import Client, Placement, User
from matcher.vocab.domain import Group

STAFF = "canbo.chuongtrinh"


def cohort(db, n: int) -> list[Client]:
    """Unplaced demo clients, some of a sensitive group, with names."""
    with transaction(db) as s:
        rows = s.scalars(select(Client).where(Client.client_id.not_in(
            select(Placement.client_id)), Client.full_name.is_not(None),
            Client.group_code != "other").order_by(Client.client_id).limit(n)).all()
        s.expunge_all()
        return list(rows)


def user_id(db, username: str) -> int:
    with transaction(db) as s:
        return s.scalar(select(User.user_id).where(User.username == username))


def test_a_plan_creation_is_logged_with_ids_only(api, db):
    clients = cohort(db, 5)
    assert len(clients) == 5
    started = datetime.now(UTC) - timedelta(seconds=2)
    with api.client(STAFF) as c:
        r = c.post("/v1/plans", json={"client_ids": [x.client_id for x in clients],
                                      "priority": {clients[0].group_code: 3}})
        assert r.status_code == 201, r.text
        plan_id = str(r.json()["plan_id"])
        assert c.get(f"/v1/plans/{plan_id}").status_code == 200
    # Programme staff read client-level entries (the admin's view holds none of them).
    with api.client(STAFF) as staff:
        r = staff.get("/v1/audit", params={"entity": "plan", "entity_id": plan_id})
        recent = staff.get("/v1/audit", params={"since": started.isoformat(), "limit": 1000})
    assert r.status_code == 200, r.text
    entries = r.json()
    assert [(e["action"], e["actor"]) for e in entries] == [("read", STAFF), ("create", STAFF)]
    create = entries[1]
    assert create["entity"] == "plan" and create["entity_id"] == plan_id
    assert create["user_id"] == user_id(db, STAFF) and create["source"] == "127.0.0.1"
    assert create["detail"] == {"clients": 5, "assigned": create["detail"]["assigned"]}
    assert datetime.fromisoformat(create["at"]) >= started
    # No name, no group code in anything logged since (the client ids are not logged either).
    # Account entries are left out: an account's status word "disabled" is no client's group.
    assert recent.status_code == 200
    text = json.dumps([e for e in recent.json() if e["entity"] != "user"], ensure_ascii=False)
    assert plan_id in text
    for client in clients:
        assert client.full_name not in text and client.client_id not in text
    for group in Group:
        if group != Group.other:
            assert group.value not in text


def test_an_import_is_logged(api, db):
    ident = f"AUD{time.time_ns()}"
    csv = ("client_id,full_name,birth_date,gender,group,place\n"
           f"{ident},Hoàng Thị Lan,2002-03-04,female,trafficking_returnee,Phường Móng Cái 3\n")
    with api.client("canbo.chuongtrinh") as c:
        r = c.post("/v1/imports/clients", files={"file": ("c.csv", csv.encode(), "text/csv")})
        assert r.status_code == 201, r.text
        entries = c.get("/v1/audit", params={"action": "import", "user": "canbo.chuongtrinh",
                                             "limit": 1}).json()
        by_id = c.get("/v1/audit", params={"action": "import",
                                           "user": str(user_id(db, "canbo.chuongtrinh")),
                                           "limit": 1}).json()
    assert len(entries) == 1 and entries == by_id
    entry = entries[0]
    assert entry["entity"] == "clients" and entry["detail"]["rows"] == 1
    assert entry["detail"]["created"] == 1 and len(entry["detail"]["sha256"]) == 64
    assert "Lan" not in str(entry) and "trafficking" not in str(entry) and ident not in str(entry)


def test_filters_order_and_paging(api, db):
    with api.client(STAFF) as c:
        ids = []
        for _ in range(3):
            r = c.post("/v1/plans", json={"client_ids": [cohort(db, 1)[0].client_id]})
            assert r.status_code == 201
            ids.append(str(r.json()["plan_id"]))
        newest = c.get("/v1/audit", params={"entity": "plan", "action": "create",
                                            "user": STAFF, "limit": 3}).json()
        second = c.get("/v1/audit", params={"entity": "plan", "action": "create",
                                            "user": STAFF, "limit": 1, "offset": 1}).json()
        future = c.get("/v1/audit", params={
            "since": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}).json()
        nobody = c.get("/v1/audit", params={"user": "no.such.user"}).json()
        bad = c.get("/v1/audit", params={"since": "yesterday"})
        too_many = c.get("/v1/audit", params={"limit": 100_000})
    assert [e["entity_id"] for e in newest] == ids[::-1]
    assert [e["at"] for e in newest] == sorted((e["at"] for e in newest), reverse=True)
    assert [e["entity_id"] for e in second] == [ids[1]]
    assert future == [] and nobody == []
    assert bad.status_code == 422 and bad.json()["field"] == "query.since"
    assert too_many.status_code == 422


@pytest.mark.parametrize("user", ["ctv.halong", "truong.nghe"])
def test_social_workers_and_providers_cannot_read_the_log(api, user):
    with api.client(user) as c:
        assert c.get("/v1/audit").status_code == 403
