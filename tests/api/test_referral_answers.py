"""A provider answers a referral once: accepted, or declined with a reason, the seat back."""

from __future__ import annotations

from sqlalchemy import select

from matcher.store.tables import AuditEntry, Placement, ReferralAnswer
from tests.api.referral_world import assert_unbroken, referred, seat_chain, seats
from tests.api.test_referrals import GROUP_WORDS


def _answer(api, placement_id: str, body: dict, user: str = "truong.nghe"):
    with api.client(user) as c:
        return c.post(f"/v1/my/referrals/{placement_id}/answer", json=body)


def test_an_accept_is_kept_and_a_second_answer_is_refused(api, db):
    world = referred(api)
    pid = world["placements"][0]
    r = _answer(api, pid, {"answer": "accepted"})
    assert r.status_code == 201, r.text
    assert r.json() == {"placement_id": pid, "answer": "accepted", "reason_code": None,
                        "status": "ongoing", "seat_released": False}
    again = _answer(api, pid, {"answer": "declined", "reason_code": "full"})
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["field"] == "body.answer"
    with db.connect() as conn:
        assert conn.execute(select(ReferralAnswer.answer)
                            .where(ReferralAnswer.placement_id == pid)).scalars().all() \
            == ["accepted"]
    assert seats(api.db_url, world["option_id"]) == 0  # the seat stays taken
    with api.client("truong.nghe") as c:
        shown = c.get(f"/v1/my/referrals/{pid}").json()
    assert shown["answer"] == "accepted"


def test_a_decline_returns_the_seat_and_the_client_to_the_social_worker(api, db):
    world = referred(api, n=2)
    pid, option_id = world["placements"][0], world["option_id"]
    assert seats(api.db_url, option_id) == 0
    r = _answer(api, pid, {"answer": "declined", "reason_code": "full"})
    assert r.status_code == 201, r.text
    assert r.json()["seat_released"] is True and r.json()["status"] == "not_started"
    assert seats(api.db_url, option_id) == 1
    chain = seat_chain(api.db_url, option_id)
    assert chain[-1] == ("0", "1", "declined")
    assert_unbroken(chain)
    with api.client("ctv.halong") as sw:
        placement = sw.get(f"/v1/placements/{pid}").json()
        assert placement["status"] == "not_started"
        assert placement["answer"] == {"answer": "declined", "reason_code": "full",
                                       "reason_text": None,
                                       "answered_at": placement["answer"]["answered_at"]}
        # A referral that never started takes no follow-up: the social worker suggests anew.
        closed = sw.post(f"/v1/placements/{pid}/outcome",
                         json={"status": "completed", "success": True})
        assert closed.status_code == 409 and closed.json()["field"] == "body.status"
    with db.connect() as conn:
        detail = conn.execute(select(AuditEntry.detail).where(
            AuditEntry.entity_id == pid, AuditEntry.action == "answer")).scalar_one()
    assert detail["reason_code"] == "full" and detail["seat_released"] is True
    assert not any(word in str(detail) for word in GROUP_WORDS)


def test_a_bad_decline_writes_nothing(api, db):
    world = referred(api)
    pid = world["placements"][0]
    for body, field in (({"answer": "declined"}, "body.reason_code"),
                        ({"answer": "declined", "reason_code": "other"}, "body.reason_text"),
                        ({"answer": "declined", "reason_code": "other", "reason_text": "  "},
                         "body.reason_text"),
                        ({"answer": "accepted", "reason_code": "full"}, "body.reason_code")):
        r = _answer(api, pid, body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["field"] == field, body
    too_long = _answer(api, pid, {"answer": "declined", "reason_code": "other",
                                  "reason_text": "x" * 301})
    assert too_long.status_code == 422
    unknown = _answer(api, pid, {"answer": "declined", "reason_code": "bored"})
    assert unknown.status_code == 422
    with db.connect() as conn:
        assert conn.scalar(select(ReferralAnswer.placement_id)
                           .where(ReferralAnswer.placement_id == pid)) is None
        assert conn.scalar(select(Placement.status)
                           .where(Placement.placement_id == pid)) == "ongoing"
    assert seats(api.db_url, world["option_id"]) == 0
    ok = _answer(api, pid, {"answer": "declined", "reason_code": "other",
                            "reason_text": "Lớp đã đổi giờ học"})
    assert ok.status_code == 201


def test_another_providers_referral_is_not_found(api, db):
    """The attack: an employer answers a trainer's referral. It learns nothing, changes
    nothing: the same 404 as an id that does not exist."""
    world = referred(api)
    pid = world["placements"][0]
    theirs = _answer(api, pid, {"answer": "declined", "reason_code": "full"},
                     user="doanh.nghiep")
    missing = _answer(api, "PLNOSUCH", {"answer": "declined", "reason_code": "full"},
                      user="doanh.nghiep")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["detail"] == missing.json()["detail"]
    assert seats(api.db_url, world["option_id"]) == 0
    with db.connect() as conn:
        assert conn.scalar(select(ReferralAnswer.placement_id)
                           .where(ReferralAnswer.placement_id == pid)) is None


def test_a_declined_client_is_waiting_again_for_the_seat_prices(api, db):
    """The waiting list the seat prices read (matcher.pricing.demand) takes the client back."""
    from datetime import date

    from sqlalchemy.orm import Session

    from matcher.pricing.demand import read_demand

    world = referred(api, n=2)
    declined, kept = world["clients"]

    def waiting() -> set[str]:
        with Session(db) as s:
            demand = read_demand(s, on=date.today(), horizon_days=90, waiting_days=730,
                                 samples=1)
        return set(demand.waiting["client_id"])

    assert not {declined, kept} & waiting()
    assert _answer(api, world["placements"][0],
                   {"answer": "declined", "reason_code": "full"}).status_code == 201
    assert _answer(api, world["placements"][1], {"answer": "accepted"}).status_code == 201
    now = waiting()
    assert declined in now and kept not in now


def test_a_referral_ended_unstarted_is_no_outcome_to_learn_from():
    """Declined or never came: not a failure of the client's (a drop-out is)."""
    import pandas as pd

    from matcher.outcomes.data import outcome_labels

    mask, y = outcome_labels(pd.DataFrame({"status": ["not_started", "dropped", "completed"],
                                           "success": [None, None, True]}))
    assert list(mask) == [False, True, True]
    assert list(y) == [0, 1]
