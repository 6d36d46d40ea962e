"""Times: stored and compared in UTC, shown in Vietnam's time. The one place that converts.

Every stored time is UTC. PostgreSQL gives it back aware; SQLite gives it back naive (the
UTC wall time without its zone), so a time read from the store goes through
:func:`as_utc` before it is compared or sent. Pages show :func:`in_vietnam` (UTC+7, no
daylight saving).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import overload

__all__ = ["VIETNAM", "as_utc", "in_vietnam", "utcnow"]

VIETNAM = timezone(timedelta(hours=7))


def utcnow() -> datetime:
    """Now, aware, in UTC (the stored tables' default)."""
    return datetime.now(UTC)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """``value`` as an aware UTC time: a naive time is taken to be UTC already (as SQLite
    gives the stored ones back), an aware one is converted. None stays None."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@overload
def in_vietnam(value: datetime) -> datetime: ...
@overload
def in_vietnam(value: None) -> None: ...
def in_vietnam(value: datetime | None) -> datetime | None:
    """``value`` (naive UTC or aware) as an aware time in Vietnam (UTC+7), for a page."""
    return None if value is None else as_utc(value).astimezone(VIETNAM)
