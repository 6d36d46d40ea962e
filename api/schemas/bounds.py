"""The one place that bounds every integer a caller can put in a path or a query.

An unbounded integer reaches the database as given: 10**20 overflows SQLite's 64-bit
binding (a 500) and PostgreSQL's BIGINT offset (the connection dropped). Bounded here, such
a number is a 422 naming the parameter before any query runs, and the bounds show in the
OpenAPI schema, so the schemathesis run (tests/api/test_schema_fuzz.py) probes them too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

#: Database ids are 32-bit signed integers (SQLite and PostgreSQL INTEGER).
MAX_ID = 2**31 - 1
#: Deeper than any list here goes; beyond it, filter instead of paging.
MAX_OFFSET = 1_000_000
#: The largest page any list answers (the audit log's; the other lists stop at 500 or less).
MAX_LIMIT = 1000
#: The audit log grows with every read: it may be paged deeper than the other lists.
MAX_AUDIT_OFFSET = 10_000_000

IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description=f"an id (1 to {MAX_ID})")]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description=f"an id (1 to {MAX_ID})")]


def page_offset(most: int = MAX_OFFSET):
    """Items to skip, from 0 to ``most``."""
    return Annotated[int, Query(ge=0, le=most, description=f"Items to skip (0 to {most:,}).")]


Offset = page_offset()


def page_limit(most: int = 200):
    """A page size from 1 to ``most`` (at most MAX_LIMIT)."""
    if not 1 <= most <= MAX_LIMIT:
        raise ValueError(f"a page size bound must be 1 to {MAX_LIMIT}")
    return Annotated[int, Query(ge=1, le=most, description=f"Items per page (1 to {most}).")]


def flag(most: int = 1):
    """A small integer switch (0 to ``most``) in a query."""
    return Annotated[int, Query(ge=0, le=most)]
