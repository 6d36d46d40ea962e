"""Time the dashboard's funnel (matcher.review.funnel) on a synthetic store of N placements.

    PYTHONPATH=. .venv/bin/python bench/bench_funnel.py sqlite:////tmp/funnel.db 100000

The store is made here (500 providers, 2,000 options, one client per placement, a third of
the referrals answered, half with a started report); an existing store at the URL is used
as it is. Prints the seconds of two runs (the second with the database's cache warm).
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from matcher.review.funnel import funnel
from matcher.store.db import make_engine, upgrade
from matcher.store.tables import (
    Client,
    Option,
    Placement,
    PlacementReport,
    Provider,
    ReferralAnswer,
)

PLACES = ["cur-6652", "cur-6811", "cur-6658"]
GROUPS = ["trafficking_returnee", "after_prison", "disabled", "after_rehab"]


def fill(engine, n: int) -> None:
    rnd = random.Random(1)
    now = datetime.now(UTC)
    with engine.begin() as c:
        c.execute(insert(Provider), [
            {"provider_id": f"P{i}", "name": f"P{i}", "name_folded": f"p{i}", "kind": "trainer",
             "place_id": PLACES[i % 3]} for i in range(500)])
        c.execute(insert(Option), [
            {"option_id": f"O{i}", "provider_id": f"P{i % 500}",
             "kind": ("training", "job", "livelihood")[i % 3], "title": "x",
             "place_id": PLACES[i % 3], "capacity": 5, "version": 1} for i in range(2000)])
        c.execute(insert(Client), [
            {"client_id": f"C{i}", "birth_date": date(1990, 1, 1), "gender": "female",
             "group_code": GROUPS[i % 4], "place_id": PLACES[i % 3], "disability": "none"}
            for i in range(n)])
        rows = []
        for i in range(n):
            status = rnd.choice(["ongoing", "completed", "dropped", "not_started"])
            rows.append({"placement_id": f"PL{i}", "client_id": f"C{i}",
                         "option_id": f"O{i % 2000}",
                         "start_date": date(2025, 1, 1) + timedelta(days=i % 600),
                         "created_at": now - timedelta(days=i % 700), "status": status,
                         "success": (rnd.random() < .5) if status == "completed" else None})
        c.execute(insert(Placement), rows)
        c.execute(insert(ReferralAnswer), [
            {"placement_id": f"PL{i}", "answer": "accepted", "answered_at": now}
            for i in range(0, n, 3)])
        c.execute(insert(PlacementReport), [
            {"placement_id": f"PL{i}", "kind": "started", "reported_on": date(2025, 6, 1),
             "source": "provider", "created_at": now} for i in range(0, n, 2)])


def main(url: str, n: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        if not conn.scalar(select(func.count()).select_from(Placement)):
            fill(engine, n)
    for run in (1, 2):
        with Session(engine) as session:
            start = time.perf_counter()
            out = funnel(session)
            print(f"run {run}: {time.perf_counter() - start:.2f} s, "
                  f"{out['all'][0]['counts']['referred']:,} placements")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100_000)
