"""What happened after a referral, reported by its provider (or the social worker): dated
records, each checked before anything is written."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from matcher.store.tables import AuditEntry, PlacementReport
from matcher.vocab.referrals import WAGE_CEILING_VND_DAY
from tests.api.referral_world import assert_unbroken, referred, seat_chain, seats
from tests.api.test_referrals import GROUP_WORDS

TODAY = date.today()


def _report(api, placement_id: str, body: dict, user: str = "truong.nghe"):
    path = (f"/v1/placements/{placement_id}/reports" if user.startswith("ctv.")
            else f"/v1/my/referrals/{placement_id}/reports")
    with api.client(user) as c:
        return c.post(path, json=body)


def _count(db, placement_id: str) -> int:
    with db.connect() as conn:
        return conn.scalar(select(func.count()).select_from(PlacementReport)
                           .where(PlacementReport.placement_id == placement_id))


def test_the_whole_story_is_kept_with_its_source(api, db):
    world = referred(api, kind="job")
    pid = world["placements"][0]
    day = TODAY.isoformat()
    for body in ({"kind": "started", "reported_on": day},
                 {"kind": "attending_1m", "reported_on": day},
                 {"kind": "completed", "reported_on": day, "certificate": True},
                 {"kind": "hired", "reported_on": day, "wage_vnd_day": 180_000}):
        r = _report(api, pid, body)
        assert r.status_code == 201, (body, r.text)
        assert r.json()["source"] == "provider"
    by_worker = _report(api, pid, {"kind": "started", "reported_on": day}, user="ctv.halong")
    assert by_worker.status_code == 201 and by_worker.json()["source"] == "social_worker"
    with api.client("truong.nghe") as c:
        listed = c.get(f"/v1/my/referrals/{pid}/reports").json()
    assert [(r["kind"], r["source"]) for r in listed] == [
        ("started", "provider"), ("attending_1m", "provider"), ("completed", "provider"),
        ("hired", "provider"), ("started", "social_worker")]
    assert listed[3]["wage_vnd_day"] == 180_000 and listed[2]["certificate"] is True
    again = _report(api, pid, {"kind": "started", "reported_on": day})
    assert again.status_code == 409 and again.json()["field"] == "body.kind"
    assert _count(db, pid) == 5
    with db.connect() as conn:
        details = conn.execute(select(AuditEntry.detail).where(
            AuditEntry.entity_id == pid, AuditEntry.action == "report")).scalars().all()
    assert len(details) == 5
    assert not any(word in str(details) for word in GROUP_WORDS)


BAD = [
    ({"kind": "started", "reported_on": (TODAY + timedelta(days=1)).isoformat()},
     "body.reported_on"),
    ({"kind": "started", "reported_on": (TODAY - timedelta(days=30)).isoformat()},
     "body.reported_on"),
    ({"kind": "hired", "reported_on": TODAY.isoformat()}, "body.wage_vnd_day"),
    ({"kind": "hired", "reported_on": TODAY.isoformat(), "wage_vnd_day": -1},
     "body.wage_vnd_day"),
    ({"kind": "hired", "reported_on": TODAY.isoformat(),
      "wage_vnd_day": WAGE_CEILING_VND_DAY + 1}, "body.wage_vnd_day"),
    ({"kind": "started", "reported_on": TODAY.isoformat(), "wage_vnd_day": 100_000},
     "body.wage_vnd_day"),
    ({"kind": "dropped", "reported_on": TODAY.isoformat()}, "body.reason_code"),
    ({"kind": "completed", "reported_on": TODAY.isoformat()}, "body.certificate"),
    ({"kind": "started", "reported_on": TODAY.isoformat(), "certificate": True},
     "body.certificate"),
]


@pytest.mark.parametrize(("body", "field"), BAD, ids=[f"{b['kind']}-{f}" for b, f in BAD])
def test_bad_reports_name_the_field_and_write_nothing(api, db, body, field):
    world = referred(api, kind="job")
    pid = world["placements"][0]
    r = _report(api, pid, body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field
    assert _count(db, pid) == 0


def test_a_hire_on_a_livelihood_model_is_refused(api, db):
    """A livelihood model is the client's own work: there is no job to be hired into."""
    world = referred(api, kind="livelihood")
    pid = world["placements"][0]
    r = _report(api, pid, {"kind": "hired", "reported_on": TODAY.isoformat(),
                           "wage_vnd_day": 100_000})
    assert r.status_code == 422 and r.json()["field"] == "body.kind"
    assert _count(db, pid) == 0
    # A course may report its graduate's job (a hand-held course).
    course = referred(api, kind="training")["placements"][0]
    assert _report(api, course, {"kind": "hired", "reported_on": TODAY.isoformat(),
                                 "wage_vnd_day": 100_000}).status_code == 201


def test_a_no_show_gives_the_seat_back_once(api, db):
    world = referred(api)
    pid, option_id = world["placements"][0], world["option_id"]
    r = _report(api, pid, {"kind": "no_show", "reported_on": TODAY.isoformat()})
    assert r.status_code == 201 and r.json()["seat_released"] is True
    assert seats(api.db_url, option_id) == 1
    chain = seat_chain(api.db_url, option_id)
    assert chain[-1] == ("0", "1", "no_show")
    assert_unbroken(chain)
    later = _report(api, pid, {"kind": "started", "reported_on": TODAY.isoformat()})
    assert later.status_code == 409
    declined = _report(api, pid, {"kind": "no_show", "reported_on": TODAY.isoformat()},
                       user="ctv.halong")
    assert declined.status_code == 409
    assert seats(api.db_url, option_id) == 1
    assert _count(db, pid) == 1


def test_another_providers_or_caseloads_referral_is_not_found(api, db):
    world = referred(api)
    pid = world["placements"][0]
    body = {"kind": "started", "reported_on": TODAY.isoformat()}
    theirs = _report(api, pid, body, user="doanh.nghiep")
    missing = _report(api, "PLNOSUCH", body, user="doanh.nghiep")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["detail"] == missing.json()["detail"]
    other_worker = _report(api, pid, body, user="ctv.uongbi")
    assert other_worker.status_code == 404
    with api.client("doanh.nghiep") as c:
        assert c.get(f"/v1/my/referrals/{pid}/reports").status_code == 404
    assert _count(db, pid) == 0
