"""The programme's funnel (matcher.review.funnel) on a small world with known answers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from matcher.review.funnel import funnel
from matcher.store.db import transaction
from matcher.store.tables import (
    Client,
    Option,
    Placement,
    PlacementCheck,
    PlacementReport,
    Provider,
    ReferralAnswer,
)

HA_LONG, UONG_BI = "cur-6652", "cur-6811"
TODAY = date(2026, 12, 1)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)  # 10:00 in Viet Nam


@pytest.fixture
def world(engine):
    """PA (training, Hạ Long, trafficking returnees): 12 referrals made on 1 January 2026 —
    2 declined, 10 accepted on 3 January; 8 of those started on 11 January (one of them also
    reported hired, unverified); 5 completed on 11 March; 3 earning at the 6-month follow-up
    of 11 July. PB (job, Uông Bí, disabled clients): 3 placements imported before providers
    answered: completed and earning, nothing reported."""
    with transaction(engine) as s:
        s.add_all([Provider(provider_id="PA", name="Trường A", name_folded="truong a",
                            kind="trainer", place_id=HA_LONG),
                   Provider(provider_id="PB", name="Công ty B", name_folded="cong ty b",
                            kind="employer", place_id=UONG_BI)])
        s.flush()
        s.add_all([Option(option_id="OA", provider_id="PA", kind="training", title="May",
                          place_id=HA_LONG, capacity=5),
                   Option(option_id="OB", provider_id="PB", kind="job", title="Thợ",
                          place_id=UONG_BI, capacity=5)])
        for i in range(15):
            s.add(Client(client_id=f"C{i}", birth_date=date(1995, 1, 1), gender="female",
                         group_code="trafficking_returnee" if i < 12 else "disabled",
                         place_id=HA_LONG))
        s.flush()
        for i in range(12):
            pid = f"PA{i}"
            s.add(Placement(placement_id=pid, client_id=f"C{i}", option_id="OA",
                            start_date=date(2026, 1, 11), created_at=at(date(2026, 1, 1)),
                            status="not_started" if i < 2 else
                            "completed" if 2 <= i < 7 else "ongoing",
                            success=True if 2 <= i < 5 else None))
        for i in range(3):
            s.add(Placement(placement_id=f"PB{i}", client_id=f"C{12 + i}", option_id="OB",
                            start_date=date(2025, 6, 1), created_at=at(date(2026, 2, 1)),
                            status="completed", success=True))
        s.flush()
        for i in range(12):
            pid = f"PA{i}"
            s.add(ReferralAnswer(placement_id=pid, answer="declined" if i < 2 else "accepted",
                                 reason_code="full" if i < 2 else None,
                                 answered_at=at(date(2026, 1, 3))))
            reports = []
            if 2 <= i < 10:
                reports.append(("started", date(2026, 1, 11)))
            if 2 <= i < 7:
                reports.append(("completed", date(2026, 3, 11)))
            if i == 9:
                reports.append(("hired", date(2026, 4, 1)))
            for kind, day in reports:
                s.add(PlacementReport(placement_id=pid, kind=kind, reported_on=day,
                                      source="provider",
                                      wage_vnd_day=150_000 if kind == "hired" else None))
            if 2 <= i < 5:
                s.add(PlacementCheck(placement_id=pid, months=6, status="completed",
                                     success=True, followed_up_on=date(2026, 7, 11)))
    return engine


def test_the_whole_programme_and_each_provider(world):
    with world.connect() as conn:
        out = funnel(Session(bind=conn), today=TODAY)
    (whole,) = out["all"]
    assert whole["counts"] == {"referred": 15, "accepted": 13, "started": 11,
                               "completed": 8, "earning_6m": 6}
    assert whole["days"] == {"referred_accepted": 2.0, "accepted_started": 8.0,
                             "started_completed": 59.0, "completed_earning_6m": 122.0}
    pa, pb = out["provider"]
    assert pa["key"] == "PA" and not pa["suppressed"]
    # The hire reported by PA's provider is not a verified outcome: earning stays 3.
    assert pa["counts"] == {"referred": 12, "accepted": 10, "started": 8, "completed": 5,
                            "earning_6m": 3}
    assert pb == {"key": "PB", "suppressed": True, "counts": None, "days": None}
    assert [r["key"] for r in out["kind"]] == ["training", "job"]
    assert out["kind"][1]["suppressed"]
    assert [(r["key"], r["suppressed"]) for r in out["group"]] == [
        ("trafficking_returnee", False), ("disabled", True)]
    assert [r["key"] for r in out["place"]] == ["Thành phố Hạ Long", "Thành phố Uông Bí"]


def test_smaller_cells_when_asked_and_an_unknown_dimension_refused(world):
    with world.connect() as conn:
        session = Session(bind=conn)
        out = funnel(session, ("provider",), today=TODAY, min_cell=1)
        # An imported placement: referred on its start (before it was imported), never
        # answered but started, so accepted; no reported days, so no medians.
        assert out["provider"][1]["counts"] == {"referred": 3, "accepted": 3, "started": 3,
                                                "completed": 3, "earning_6m": 3}
        assert out["provider"][1]["days"]["referred_accepted"] is None
        with pytest.raises(ValueError, match="unknown funnel dimensions"):
            funnel(session, ("caseworker",))


def test_an_empty_store_gives_empty_rows(engine):
    with engine.connect() as conn:
        assert funnel(Session(bind=conn)) == {d: [] for d in
                                              ("all", "provider", "kind", "group", "place")}
