"""matcher.clock: the one converter of stored times to UTC, and to Vietnam's time for pages;
and a stored time read back from SQLite and PostgreSQL becomes the same aware UTC time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy.orm import Session

from matcher.clock import VIETNAM, as_utc, in_vietnam, utcnow
from matcher.store.tables import AuditEntry


def test_a_naive_time_is_taken_as_utc_and_an_aware_one_converted():
    naive = datetime(2026, 3, 1, 17, 30)
    assert as_utc(naive) == datetime(2026, 3, 1, 17, 30, tzinfo=UTC)
    assert as_utc(naive).tzinfo is UTC
    hanoi = datetime(2026, 3, 2, 0, 30, tzinfo=timezone(timedelta(hours=7)))
    assert as_utc(hanoi) == as_utc(naive) and as_utc(hanoi).utcoffset() == timedelta(0)
    assert as_utc(None) is None


def test_vietnam_time_is_seven_hours_ahead_without_daylight_saving():
    for month in (1, 7):  # no summer time: the same offset all year
        shown = in_vietnam(datetime(2026, month, 1, 17, 30))
        assert shown.utcoffset() == timedelta(hours=7) and shown.tzinfo is VIETNAM
        assert (shown.day, shown.hour, shown.minute) == (2, 0, 30)
    assert in_vietnam(None) is None


def test_utcnow_is_aware_and_now():
    now = utcnow()
    assert now.tzinfo is UTC
    assert abs((now - datetime.now(UTC)).total_seconds()) < 5


def test_a_stored_time_reads_back_as_the_same_utc_time_on_both_backends(engine):
    """SQLite gives a naive time back, PostgreSQL an aware one: as_utc makes them one."""
    at = datetime(2026, 5, 4, 16, 15, 7, tzinfo=UTC)  # what the code writes: utcnow()
    with Session(engine) as s:
        s.add(AuditEntry(at=at, actor="t", action="read", entity="test"))
        s.commit()
    with Session(engine) as s:
        stored = s.query(AuditEntry).one().at
    assert as_utc(stored) == at and as_utc(stored).tzinfo is UTC
    assert in_vietnam(stored).hour == 23
