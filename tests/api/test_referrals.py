"""A provider's referrals over HTTP: only what consenting clients share, only its own."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from matcher.store import generations
from matcher.store.db import transaction
from matcher.store.tables import AuditEntry, Client, Option, OptionTrade, Placement
from matcher.vocab.text import fold

GROUP_WORDS = ("trafficking", "after_prison", "after_rehab", "sex_worker", "gbv",
               "youth_at_risk", "reform_school")


def provider_of(api, username: str) -> str:
    with api.client(username) as c:
        provider_id = c.get("/v1/me").json()["provider_id"]
    assert provider_id
    return provider_id


def years_ago(years: int, days: int = 10) -> date:
    today = date.today()
    try:
        return today.replace(year=today.year - years) - timedelta(days=days)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28) - timedelta(days=days)


def add_world(db, provider_id: str) -> dict[str, str]:
    """Our own option of ``provider_id`` and two placements into it: one client consented."""
    tag = uuid.uuid4().hex[:10]
    ids = {"option": f"R-{tag}", "shared": f"PL-S-{tag}", "withheld": f"PL-W-{tag}",
           "tag": tag, "shared_name": f"Nguyễn Thị Đồng {tag}",
           "withheld_name": f"Trần Văn Kín {tag}", "note": f"ghi-chu-mat-{tag}"}
    with transaction(db) as s:
        s.add(Option(option_id=ids["option"], provider_id=provider_id, kind="training",
                     title=f"Lớp may {tag}", place_id="cur-6658", capacity=4,
                     start_date=date.today() + timedelta(days=20), duration_weeks=12,
                     version=1))
        for key, name, group, consent, disability, born in (
                ("shared", ids["shared_name"], "trafficking_returnee", True, "deaf",
                 years_ago(24)),
                ("withheld", ids["withheld_name"], "after_prison", False, "none",
                 years_ago(31))):
            client_id = f"KH-{key}-{tag}"
            s.add(Client(client_id=client_id, full_name=name, full_name_folded=fold(name),
                         birth_date=born, gender="female" if key == "shared" else "male",
                         group_code=group, place_id="cur-6652", education="lower_secondary",
                         disability=disability, interests="may; cắt tóc",
                         prior_income_vnd_month=1_234_567, consent_share=consent,
                         notes=ids["note"], caseworker_id=None))
            ids[f"{key}_client"] = client_id
        s.flush()
        s.add(OptionTrade(option_id=ids["option"], trade_id="sewing", position=0))
        s.flush()
        for key in ("shared", "withheld"):
            s.add(Placement(placement_id=ids[key], client_id=ids[f"{key}_client"],
                            option_id=ids["option"], start_date=date.today(), status="ongoing"))
        generations.bump(s, generations.CATALOG)
    return ids


def assert_private(text: str, world: dict[str, str]) -> None:
    for word in (*GROUP_WORDS, world["note"], world["withheld_name"], "1234567",
                 "caseworker", "notes", "birth_date", "interests", world["withheld_client"],
                 world["shared_client"]):
        assert word not in text, word


def test_a_provider_sees_consenting_clients_only(api, db):
    mine = provider_of(api, "truong.nghe")
    world = add_world(db, mine)
    with db.connect() as conn:
        expected = int(conn.execute(
            select(func.count()).select_from(Placement)
            .join(Option, Option.option_id == Placement.option_id)
            .where(Option.provider_id == mine)).scalar())
    with api.client("truong.nghe") as c:
        listing = c.get("/v1/my/referrals", params={"limit": 200})
        shared = c.get(f"/v1/my/referrals/{world['shared']}")
        withheld = c.get(f"/v1/my/referrals/{world['withheld']}")
    for r in (listing, shared, withheld):
        assert r.status_code == 200, r.text
        assert_private(r.text, world)
    body = listing.json()
    assert body["total"] == expected == len(body["items"])
    ours = {i["placement_id"]: i for i in body["items"] if i["option_id"] == world["option"]}
    assert ours[world["shared"]] == shared.json()
    assert ours[world["withheld"]] == withheld.json()
    assert shared.json() == {
        "placement_id": world["shared"], "option_id": world["option"],
        "option_title": f"Lớp may {world['tag']}", "start_date": date.today().isoformat(),
        "status": "ongoing",
        "client": {"shared": True, "full_name": world["shared_name"], "gender": "female",
                   "age": 24, "place_name": "Phường Hà Tu", "needs_sign_language": True},
        "answer": None, "answer_reason": None,
    }
    assert withheld.json() == {
        "placement_id": world["withheld"], "option_id": world["option"],
        "option_title": f"Lớp may {world['tag']}", "start_date": date.today().isoformat(),
        "status": "ongoing", "client": {"shared": False, "reference": world["withheld"]},
        "answer": None, "answer_reason": None,
    }
    # Every referral into the demo provider's options follows the same rule.
    for item in body["items"]:
        keys = set(item["client"])
        assert keys in ({"shared", "reference"},
                        {"shared", "full_name", "gender", "age", "place_name",
                         "needs_sign_language"})


def test_a_provider_cannot_read_another_providers_referrals(api, db):
    world = add_world(db, provider_of(api, "truong.nghe"))
    with api.client("doanh.nghiep") as c:
        listing = c.get("/v1/my/referrals", params={"limit": 200})
        theirs = c.get(f"/v1/my/referrals/{world['shared']}")
        missing = c.get("/v1/my/referrals/NO-SUCH-PLACEMENT")
    assert listing.status_code == 200
    assert world["shared_name"] not in listing.text and world["option"] not in listing.text
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert world["shared_name"] not in theirs.text


def test_reads_are_audited_with_ids_only(api, db):
    world = add_world(db, provider_of(api, "truong.nghe"))
    with api.client("truong.nghe") as c:
        assert c.get(f"/v1/my/referrals/{world['shared']}").status_code == 200
        assert c.get("/v1/my/referrals").status_code == 200
    with db.connect() as conn:
        entries = conn.execute(select(AuditEntry.action, AuditEntry.entity_id, AuditEntry.detail)
                               .where(AuditEntry.actor == "truong.nghe",
                                      AuditEntry.entity == "placement")
                               .order_by(AuditEntry.audit_id.desc()).limit(2)).all()
    (list_action, list_id, list_detail), (one_action, one_id, one_detail) = entries
    assert (one_action, one_id, one_detail) == ("read", world["shared"], {"shared": True})
    assert list_action == "read" and list_id is None
    assert world["shared"] in list_detail["placements"]
    assert world["shared_name"] not in str(entries)


@pytest.mark.parametrize("user", ["ctv.halong", "canbo.chuongtrinh", "quantri"])
def test_only_providers_read_referrals(api, user):
    with api.client(user) as c:
        assert c.get("/v1/my/referrals").status_code == 403
        assert c.get("/v1/my/referrals/PL000001").status_code == 403
