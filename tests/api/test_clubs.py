"""Support clubs over HTTP: the short list beside the suggestions, referrals with consent and
their places, the three-month check, and what a club sees of the people sent to it."""

from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from matcher.store.db import transaction
from matcher.store.tables import AuditEntry, ClubReferral, Option, OptionChange, Provider
from matcher.vocab.places import load_place_index
from matcher.vocab.text import fold
from tests.api.test_clients import client_body, new_client

pytestmark = pytest.mark.db
HALONG, UONGBI = "ctv.halong", "ctv.uongbi"
GROUP_WORDS = ("trafficking", "after_rehab", "after_prison", "sex_worker", "gbv", "disabled",
               "youth_at_risk", "reform_school")


QUANG_YEN = "cur-7132"  # our clubs' place: the demo's Cẩm Phả and Hồng Gai clubs stay first there


def add_club(db, *, place_id: str = QUANG_YEN, groups: str | None = "gbv_survivor",
             capacity: int = 5, unlimited: bool = False, women_only: bool = False,
             sign_language: bool = False) -> str:
    """A club of our own (the server is shared: the demo clubs' places are others' too)."""
    tag = uuid.uuid4().hex[:10]
    with transaction(db) as s:
        name = f"Câu lạc bộ thử {tag}"
        s.add(Provider(provider_id=f"CLT-{tag}", name=name, name_folded=fold(name), kind="club",
                       place_id=place_id))
        s.flush()
        s.add(Option(option_id=f"OCL-{tag}", provider_id=f"CLT-{tag}", kind="club",
                     title=f"Sinh hoạt câu lạc bộ {tag}", place_id=place_id, capacity=capacity,
                     unlimited=unlimited, groups_served=groups, women_only=women_only,
                     sign_language=sign_language, accepts_records=True, version=1))
    return f"OCL-{tag}"


def capacity(db, option_id: str) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(Option.capacity)
                                .where(Option.option_id == option_id)).scalar_one())


def referrals(db, option_id: str) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ClubReferral)
                                .where(ClubReferral.option_id == option_id)).scalar_one())


def clubs_of(api, client_id: str, username: str = HALONG) -> dict:
    with api.client(username) as c:
        r = c.get(f"/v1/clients/{client_id}/clubs")
    assert r.status_code == 200, r.text
    return r.json()


def refer(api, client_id: str, option_id: str, *, consent: bool = True,
          username: str = HALONG):
    with api.client(username) as c:
        return c.post(f"/v1/clients/{client_id}/club-referrals",
                      json={"option_id": option_id, "consent": consent})


def test_the_short_list_holds_only_clubs_that_would_take_the_client(api, db):
    survivor = new_client(api, place="Phường Cẩm Phả", group="gbv_survivor", gender="nữ",
                          max_travel_km=30)
    found = clubs_of(api, survivor["client_id"])
    titles = [c["title"] for c in found["nearby"]]
    # The women's peer group of Cẩm Phả serves survivors; the clubs after drug rehab or
    # against trafficking nearby do not serve her group.
    assert "Sinh hoạt nhóm đồng đẳng phụ nữ Cẩm Phả" in titles, titles
    assert 1 <= len(found["nearby"]) <= 3
    for club in found["nearby"]:
        assert not club["groups"] or "gbv_survivor" in club["groups"]
        assert club["distance_km"] <= 30
    distances = [c["distance_km"] for c in found["nearby"]]
    assert distances == sorted(distances)
    # A man is never shown a women's group, whatever group he is in.
    man = new_client(api, place="Phường Cẩm Phả", group="gbv_survivor", gender="nam",
                     max_travel_km=30)
    assert not any(c["women_only"] for c in clubs_of(api, man["client_id"])["nearby"])
    # The clubs never enter the suggestions.
    with api.client(HALONG) as c:
        suggested = c.post(f"/v1/clients/{survivor['client_id']}/suggestions", json={"top": 50})
    assert suggested.status_code == 201, suggested.text
    assert all(e["kind"] != "club" for e in suggested.json()["suggestions"])
    assert not any(o.startswith("OPCL") for o in map(str, suggested.json()["suggestions"]))


def test_a_deaf_client_is_shown_the_signing_club_first(api, db):
    deaf = new_client(api, place="Phường Hồng Gai", group="disabled", gender="nam",
                      disability="deaf", max_travel_km=20)
    nearby = clubs_of(api, deaf["client_id"])["nearby"]
    assert nearby and nearby[0]["sign_language"], nearby
    assert nearby[0]["title"] == "Sinh hoạt câu lạc bộ người Điếc Quảng Ninh"
    assert nearby[0]["places_left"] is None  # the deaf club takes everyone who comes


def test_a_referral_needs_consent_takes_a_place_and_is_made_once(api, db):
    club = add_club(db, capacity=2)
    client = new_client(api, place="Phường Quảng Yên", group="gbv_survivor")["client_id"]
    assert club in {c["option_id"] for c in clubs_of(api, client)["nearby"]}

    refused = refer(api, client, club, consent=False)
    assert refused.status_code == 422 and refused.json()["field"] == "body.consent"
    not_a_club = refer(api, client, "OP000001")
    assert not_a_club.status_code == 422 and not_a_club.json()["field"] == "body.option_id"
    assert capacity(db, club) == 2 and referrals(db, club) == 0

    made = refer(api, client, club)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["option_id"] == club and body["attending_3m"] is None
    assert body["check_due_on"] == (date.today() + timedelta(weeks=12)).isoformat()
    assert capacity(db, club) == 1 and referrals(db, club) == 1
    with db.connect() as conn:
        change = conn.execute(select(OptionChange.old_value, OptionChange.new_value,
                                     OptionChange.cause)
                              .where(OptionChange.option_id == club)).one()
    assert tuple(change) == ("2", "1", "club_referral")
    again = refer(api, client, club)
    assert again.status_code == 409 and again.json()["field"] == "body.option_id"
    assert capacity(db, club) == 1
    listed = clubs_of(api, client)
    assert [r["option_id"] for r in listed["referrals"]] == [club]
    assert club not in {c["option_id"] for c in listed["nearby"]}


def test_a_club_that_does_not_serve_the_group_is_refused(api, db):
    club = add_club(db, groups="after_rehab")
    client = new_client(api, place="Phường Quảng Yên", group="gbv_survivor")["client_id"]
    r = refer(api, client, club)
    assert r.status_code == 409 and r.json()["field"] == "body.option_id"
    assert referrals(db, club) == 0 and capacity(db, club) == 5


def test_a_club_without_a_limit_counts_no_places(api, db):
    club = add_club(db, capacity=0, unlimited=True, groups=None)
    client = new_client(api, place="Phường Quảng Yên", group="other")["client_id"]
    assert refer(api, client, club).status_code == 201
    assert capacity(db, club) == 0 and referrals(db, club) == 1


def test_another_caseload_cannot_see_or_refer(api, db):
    club = add_club(db)
    theirs = new_client(api, UONGBI, place="Phường Quảng Yên")["client_id"]
    with api.client(HALONG) as c:
        assert c.get(f"/v1/clients/{theirs}/clubs").status_code == 404
    r = refer(api, theirs, club)
    assert r.status_code == 404 and referrals(db, club) == 0


def test_the_last_places_go_to_as_many_clients_as_there_are_places(api, db):
    club = add_club(db, capacity=2)
    clients = [new_client(api, place="Phường Quảng Yên")["client_id"] for _ in range(6)]
    statuses: list[int] = []
    gate = threading.Barrier(len(clients))

    def one(client_id: str) -> None:
        with api.client(HALONG) as c:
            gate.wait()
            statuses.append(c.post(f"/v1/clients/{client_id}/club-referrals",
                                   json={"option_id": club, "consent": True}).status_code)

    threads = [threading.Thread(target=one, args=(cid,)) for cid in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 201, 409, 409, 409, 409]
    assert capacity(db, club) == 0 and referrals(db, club) == 2


def test_the_three_month_check(api, db):
    club = add_club(db)
    client = new_client(api, place="Phường Quảng Yên")["client_id"]
    referral = refer(api, client, club).json()["referral_id"]
    url = f"/v1/club-referrals/{referral}/check"
    with api.client(HALONG) as c:
        early = c.post(url, json={"attending": True, "checked_on": date.today().isoformat()})
    assert early.status_code == 422 and early.json()["field"] == "body.checked_on"
    with transaction(db) as s:  # the referral was made four months ago
        s.execute(update(ClubReferral).where(ClubReferral.referral_id == referral)
                  .values(referred_on=date.today() - timedelta(days=120)))
    with api.client(HALONG) as c:
        future = c.post(url, json={"attending": True,
                                   "checked_on": (date.today() + timedelta(days=1)).isoformat()})
        assert future.status_code == 422 and future.json()["field"] == "body.checked_on"
        with api.client(UONGBI) as other:
            assert other.post(url, json={"attending": True,
                                         "checked_on": date.today().isoformat()}
                              ).status_code == 404
        done = c.post(url, json={"attending": True, "checked_on": date.today().isoformat()})
        assert done.status_code == 200, done.text
        assert done.json()["attending_3m"] is True
        twice = c.post(url, json={"attending": False, "checked_on": date.today().isoformat()})
        assert twice.status_code == 409
        bad = c.post(url, json={"attending": "maybe", "checked_on": "2026-13-01"})
        assert bad.status_code == 422
    with db.connect() as conn:
        assert conn.execute(select(ClubReferral.attending_3m)
                            .where(ClubReferral.referral_id == referral)).scalar_one() is True


def test_a_club_sees_who_was_sent_to_it_but_never_their_group(api, db):
    with api.client("cau.lac.bo") as c:
        mine = c.get("/v1/me").json()["provider_id"]
    with db.connect() as conn:
        club, place = conn.execute(select(Option.option_id, Option.place_id)
                                   .where(Option.provider_id == mine)).one()
    body = client_body(group="after_rehab", gender="nam", consent_share=False)
    with api.client(HALONG) as c:
        made = c.post("/v1/clients", json={**body, "max_travel_km": 10,
                                           "place": load_place_index().get(place).name})
    assert made.status_code == 201, made.text
    client = made.json()
    assert refer(api, client["client_id"], club).status_code == 201
    with api.client("cau.lac.bo") as c:
        listing = c.get("/v1/my/club-referrals", params={"limit": 200})
    assert listing.status_code == 200, listing.text
    names = [i["client"]["full_name"] for i in listing.json()["items"]]
    assert client["full_name"] in names
    for word in (*GROUP_WORDS, "gặp tại nhà tạm lánh", client["client_id"]):
        assert word not in listing.text, word
    with api.client("truong.nghe") as c:  # another provider: none of it
        theirs = c.get("/v1/my/club-referrals")
    assert theirs.status_code == 200 and client["full_name"] not in theirs.text
    with db.connect() as conn:  # the audit log keeps ids, never the group
        details = conn.execute(select(AuditEntry.detail).where(
            AuditEntry.entity == "club_referral")).scalars().all()
    assert not any(w in str(d) for d in details for w in GROUP_WORDS)


def test_a_club_keeps_its_places_up_to_date_but_never_charges(api, db):
    with api.client("cau.lac.bo") as c:
        mine = c.get("/v1/my/options").json()["items"]
        assert mine and all(o["kind"] == "club" and o["groups_served"] for o in mine)
        club = mine[0]
        url = f"/v1/my/options/{club['option_id']}"
        fee = c.patch(url, json={"cost_vnd": 50_000},
                      headers={"If-Match": f'"{club["version"]}"'})
        assert fee.status_code == 422 and fee.json()["field"] == "body.cost_vnd"
        wage = c.patch(url, json={"wage_vnd_day": 1},
                       headers={"If-Match": f'"{club["version"]}"'})
        assert wage.status_code == 422 and wage.json()["field"] == "body.wage_vnd_day"
        assert c.get(url).json()["version"] == club["version"]  # nothing written
