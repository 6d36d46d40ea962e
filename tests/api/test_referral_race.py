"""Declines giving seats back while accepts race for the same option, on a real server.

Five referrals fill an option's five seats. Then, at once, their provider declines all five
and thirty other clients' suggestions are accepted into the same option. However the
requests interleave, a seat is never given twice: the seats left and the referrals still
ongoing add up to the five seats, at most five of the accepts win, and the option's seat
history is one unbroken chain (each change starts where the previous one ended). On
PostgreSQL the server runs 4 workers; on SQLite one (the README's advice), its thread pool
running the requests concurrently.
"""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from matcher.store.db import make_engine
from matcher.store.tables import Placement
from tests.api import server as srv
from tests.api.fixtures import add_clients_with_suggestion
from tests.api.referral_world import assert_unbroken, referred, seat_chain, seats

SEATS, ACCEPTS = 5, 30


async def _race(server: srv.Server, declines: list[str], suggestions: list[int],
                option_id: str):
    limits = httpx.Limits(max_connections=100)
    provider = httpx.AsyncClient(base_url=server.url, limits=limits, timeout=120, headers={
        "Authorization": f"Bearer {server.token('truong.nghe')}"})
    worker = httpx.AsyncClient(base_url=server.url, limits=limits, timeout=120, headers={
        "Authorization": f"Bearer {server.token('ctv.halong')}"})
    async with provider, worker:
        await asyncio.gather(*(c.get("/v1/me") for c in (provider, worker) for _ in range(4)))
        calls = [provider.post(f"/v1/my/referrals/{pid}/answer",
                               json={"answer": "declined", "reason_code": "full"})
                 for pid in declines]
        calls += [worker.post(f"/v1/suggestions/{sid}/decisions",
                              json={"option_id": option_id, "decision": "accepted"})
                  for sid in suggestions]
        # Interleaved, so declines and accepts arrive mixed rather than one kind first.
        order = sorted(range(len(calls)), key=lambda i: (i * 11) % len(calls))
        results = await asyncio.gather(*(calls[i] for i in order))
        return dict(zip(order, results, strict=True))


def test_declines_and_accepts_never_give_a_seat_twice(busy_server):
    world = referred(busy_server, n=SEATS)
    option_id = world["option_id"]
    assert seats(busy_server.db_url, option_id) == 0
    others = add_clients_with_suggestion(busy_server.db_url, f"KX{world['tag']}", ACCEPTS,
                                         option_id, "ctv.halong")
    by_call = asyncio.run(_race(busy_server, world["placements"], others, option_id))
    declines = [by_call[i] for i in range(SEATS)]
    accepts = [by_call[i] for i in range(SEATS, SEATS + ACCEPTS)]
    assert [r.status_code for r in declines] == [201] * SEATS, [r.text for r in declines]
    codes = [r.status_code for r in accepts]
    assert set(codes) <= {201, 409}, [r.text for r in accepts if r.status_code not in (201, 409)]
    won = codes.count(201)
    assert won <= SEATS
    engine = make_engine(busy_server.db_url)
    with engine.connect() as conn:
        ongoing = conn.scalar(select(func.count()).select_from(Placement).where(
            Placement.option_id == option_id, Placement.status == "ongoing"))
    engine.dispose()
    left = seats(busy_server.db_url, option_id)
    assert ongoing == won
    assert left + ongoing == SEATS
    chain = seat_chain(busy_server.db_url, option_id)
    assert_unbroken(chain)
    assert [c for _, _, c in chain].count("declined") == SEATS
    assert [c for _, _, c in chain].count("placement") == SEATS + won
    assert chain[-1][1] == str(left)
