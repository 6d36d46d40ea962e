"""The directory of providers and options over HTTP: filters, free text, pages, roles."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from matcher.store.tables import AuditEntry, Option, OptionTrade, Provider
from matcher.vocab.places import load_place_index
from matcher.vocab.text import fold

READERS = ("ctv.halong", "canbo.chuongtrinh", "quantri")


def count(engine, query) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(query.subquery())).scalar())


def all_items(client, path: str, **params) -> tuple[list[dict], int]:
    """Every item of a listing, page by page, and the total it announced."""
    items, offset, total = [], 0, None
    while True:
        r = client.get(path, params={**params, "limit": 200, "offset": offset})
        assert r.status_code == 200, r.text
        body = r.json()
        total = body["total"] if total is None else total
        assert body["total"] == total
        items += body["items"]
        offset += 200
        if offset >= total:
            return items, total


def test_trade_with_and_without_diacritics_finds_the_same_options(api, db):
    expected = count(db, select(OptionTrade.option_id).where(
        OptionTrade.trade_id == "hairdressing").distinct())
    assert expected > 0
    with api.client("ctv.halong") as c:
        accented, total = all_items(c, "/v1/options", trade="cắt tóc")
        plain, plain_total = all_items(c, "/v1/options", trade="cat toc")
        learn = c.get("/v1/options", params={"trade": "học cắt tóc", "limit": 1}).json()
        by_id = c.get("/v1/options", params={"trade": "hairdressing", "limit": 1}).json()
    assert total == plain_total == learn["total"] == by_id["total"] == expected == len(accented)
    assert [o["option_id"] for o in accented] == [o["option_id"] for o in plain]
    for option in accented:
        trades = {t["trade_id"]: t for t in option["trades"]}
        assert trades["hairdressing"]["name_vi"] == "Cắt tóc"
        assert trades["hairdressing"]["name_en"] == "Hairdressing"


def test_an_unknown_trade_is_refused_with_the_closest_trades(api):
    with api.client("canbo.chuongtrinh") as c:
        r = c.get("/v1/options", params={"trade": "xyz cat"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["field"] == "query.trade"
    assert "closest" in body["detail"] and "Cắt tóc" in body["detail"]


def test_a_former_ward_name_finds_the_options_of_its_current_unit(api, db):
    # Phường Hà Khánh merged into Phường Cao Xanh (cur-6658) in 2025.
    expected = count(db, select(Option.option_id).where(Option.place_id == "cur-6658"))
    assert expected > 0
    with api.client("ctv.uongbi") as c:
        old, total = all_items(c, "/v1/options", place="Hà Khánh")
        folded = c.get("/v1/options", params={"place": "ha khanh"}).json()["total"]
        current = c.get("/v1/options", params={"place": "Phường Cao Xanh"}).json()["total"]
        unknown = c.get("/v1/options", params={"place": "xyzzy"})
    assert total == folded == current == expected
    assert {o["place_id"] for o in old} == {"cur-6658"}
    assert {o["place_name"] for o in old} == {"Phường Cao Xanh"}
    assert unknown.status_code == 422 and unknown.json()["field"] == "query.place"


def test_a_former_district_covers_every_unit_that_was_in_it(api, db):
    places = load_place_index()
    units = [p.place_id for p in places.current_units()
             if "Thành phố Uông Bí" in [d.strip() for d in p.former_district.split(";")]]
    assert len(units) > 1
    expected = count(db, select(Option.option_id).where(Option.place_id.in_(units)))
    with api.client("ctv.uongbi") as c:
        items, total = all_items(c, "/v1/options", place="TP Uông Bí")
    assert total == expected > 0
    assert {o["place_id"] for o in items} <= set(units)


def test_kind_free_seats_and_trade_combine(api, db):
    expected = count(db, select(Option.option_id).where(
        Option.kind == "job", Option.capacity > 0, Option.option_id.in_(
            select(OptionTrade.option_id).where(OptionTrade.trade_id == "sewing"))))
    with api.client("ctv.campha") as c:
        items, total = all_items(c, "/v1/options", kind="job", free_seats="true", trade="may")
        every_job = c.get("/v1/options", params={"kind": "job"}).json()["total"]
        free = c.get("/v1/options", params={"free_seats": "true"}).json()["total"]
        bad_kind = c.get("/v1/options", params={"kind": "trainer"})
    assert total == expected == len(items) > 0
    assert all(o["kind"] == "job" and o["capacity"] > 0 for o in items)
    assert every_job == count(db, select(Option.option_id).where(Option.kind == "job"))
    assert free == count(db, select(Option.option_id).where(Option.capacity > 0))
    assert bad_kind.status_code == 422 and bad_kind.json()["field"] == "query.kind"


def test_pages_are_disjoint_and_carry_the_total(api, db):
    expected = count(db, select(Option.option_id))
    with api.client("quantri") as c:
        first = c.get("/v1/options", params={"limit": 7, "offset": 0}).json()
        second = c.get("/v1/options", params={"limit": 7, "offset": 7}).json()
        past = c.get("/v1/options", params={"limit": 7, "offset": expected + 10}).json()
        default = c.get("/v1/options").json()
        too_many = c.get("/v1/options", params={"limit": 201})
        none = c.get("/v1/options", params={"limit": 0})
    assert first["total"] == second["total"] == past["total"] == expected
    assert len(first["items"]) == len(second["items"]) == 7
    assert not {o["option_id"] for o in first["items"]} & {o["option_id"]
                                                          for o in second["items"]}
    assert past["items"] == []
    assert len(default["items"]) == 50
    assert too_many.status_code == 422 and too_many.json()["field"] == "query.limit"
    assert none.status_code == 422


def test_an_option_carries_names_trades_place_and_version(api, db):
    with db.connect() as conn:
        option_id, title, version, capacity = conn.execute(
            select(Option.option_id, Option.title, Option.version, Option.capacity)
            .where(Option.option_id.in_(select(OptionTrade.option_id)))
            .order_by(Option.option_id).limit(1)).one()
    with api.client("ctv.halong") as c:
        r = c.get(f"/v1/options/{option_id}")
        missing = c.get("/v1/options/NO-SUCH-OPTION")
        garbage = c.get("/v1/options/OP%00%01")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["title"] == title and body["version"] == version
    assert body["capacity"] == capacity
    assert r.headers["etag"] == f'"{version}"'
    assert body["trades"] and all(t["name_vi"] and t["name_en"] for t in body["trades"])
    assert body["place_name"].startswith(("Phường", "Xã", "Đặc khu"))
    for key in ("cost_vnd", "wage_vnd_day", "start_date", "provider_name"):
        assert key in body
    assert missing.status_code == 404
    assert garbage.status_code == 422 and garbage.json()["field"] == "path.option_id"


def test_words_of_the_title_with_or_without_diacritics(api, db):
    with db.connect() as conn:
        rows = conn.execute(select(Option.option_id, Option.title, Provider.name_folded)
                            .join(Provider, Provider.provider_id == Option.provider_id)).all()
    expected = {oid for oid, title, name in rows
                if "khai thac than" in fold(title) or "khai thac than" in name}
    assert expected
    with api.client("ctv.halong") as c:
        accented, total = all_items(c, "/v1/options", q="Khai thác THAN")
        plain = c.get("/v1/options", params={"q": "khai thac than", "limit": 3}).json()
        jobs = c.get("/v1/options", params={"q": "khai thac than", "kind": "training"}).json()
    assert total == plain["total"] == len(expected)
    assert {o["option_id"] for o in accented} == expected
    assert len(plain["items"]) == 3
    assert jobs["total"] == sum(1 for o in accented if o["kind"] == "training")


def test_providers_by_name_with_or_without_diacritics(api, db):
    expected = count(db, select(Provider.provider_id).where(
        Provider.name_folded.contains("khiem thinh")))
    assert expected > 0
    with api.client("canbo.chuongtrinh") as c:
        accented = c.get("/v1/providers", params={"q": "Khiếm Thính"}).json()
        plain = c.get("/v1/providers", params={"q": "khiem thinh", "limit": 200}).json()
        trainers = c.get("/v1/providers", params={"kind": "trainer", "limit": 1}).json()
        near = c.get("/v1/providers", params={"place": "Hà Khánh", "limit": 200}).json()
    assert accented["total"] == plain["total"] == expected
    assert all("khiếm thính" in p["name"].lower() for p in plain["items"])
    assert trainers["total"] == count(db, select(Provider.provider_id).where(
        Provider.kind == "trainer"))
    assert near["total"] == count(db, select(Provider.provider_id).where(
        Provider.place_id == "cur-6658"))
    assert {p["place_name"] for p in near["items"]} <= {"Phường Cao Xanh"}


def test_a_provider_with_its_options(api, db):
    with db.connect() as conn:
        provider_id, name = conn.execute(select(Provider.provider_id, Provider.name)
                                         .order_by(Provider.provider_id).limit(1)).one()
        options = set(conn.execute(select(Option.option_id)
                                   .where(Option.provider_id == provider_id)).scalars())
    with api.client("ctv.halong") as c:
        r = c.get(f"/v1/providers/{provider_id}")
        missing = c.get("/v1/providers/NO-SUCH-PROVIDER")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == name and body["option_count"] == len(options)
    assert {o["option_id"] for o in body["options"]} == options
    assert missing.status_code == 404


@pytest.mark.parametrize("path", ["/v1/providers", "/v1/providers/TR0001", "/v1/options",
                                  "/v1/options/OP000001"])
def test_providers_cannot_use_the_directory(api, path):
    for user in ("truong.nghe", "doanh.nghiep"):
        with api.client(user) as c:
            r = c.get(path)
        assert r.status_code == 403, (user, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    with api.client() as anonymous:
        assert anonymous.get(path).status_code == 401


@pytest.mark.parametrize("user", READERS)
def test_directory_reads_are_audited(api, db, user):
    before = count(db, select(AuditEntry.audit_id).where(
        AuditEntry.actor == user, AuditEntry.entity == "option",
        AuditEntry.entity_id == "OP000002"))
    with api.client(user) as c:
        assert c.get("/v1/options/OP000002").status_code == 200
    after = count(db, select(AuditEntry.audit_id).where(
        AuditEntry.actor == user, AuditEntry.entity == "option",
        AuditEntry.entity_id == "OP000002"))
    assert after == before + 1
