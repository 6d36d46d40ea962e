"""200 concurrent accepts at an option with 10 seats, against a real multi-worker server.

On PostgreSQL the server runs 4 uvicorn workers; on SQLite one worker (WAL and a busy
timeout), as the README recommends. Exactly 10 placements exist afterwards, the seats are
0, and every other request got 409: never a 5xx, never an eleventh placement.
"""

from __future__ import annotations

import asyncio

import httpx

from tests.api import server as srv
from tests.api.fixtures import add_clients_with_suggestion, add_open_option, seats_and_placements

SEATS, REQUESTS = 10, 200


async def _accept_all(server: srv.Server, suggestion_ids: list[int], option_id: str):
    headers = {"Authorization": f"Bearer {server.token('ctv.halong')}"}
    limits = httpx.Limits(max_connections=REQUESTS)
    async with httpx.AsyncClient(base_url=server.url, headers=headers, limits=limits,
                                 timeout=120) as client:
        # Sign-in checks first: every worker has its connections open before the burst.
        await asyncio.gather(*(client.get("/v1/me") for _ in range(8)))
        return await asyncio.gather(*(
            client.post(f"/v1/suggestions/{sid}/decisions",
                        json={"option_id": option_id, "decision": "accepted"})
            for sid in suggestion_ids))


def test_two_hundred_concurrent_accepts_fill_ten_seats_exactly(busy_server):
    option_id = "OPRACE1"
    add_open_option(busy_server.db_url, option_id, seats=SEATS)
    ids = add_clients_with_suggestion(busy_server.db_url, "KR", REQUESTS, option_id,
                                      "ctv.halong")
    responses = asyncio.run(_accept_all(busy_server, ids, option_id))
    codes = [r.status_code for r in responses]
    assert codes.count(201) == SEATS, {c: codes.count(c) for c in set(codes)}
    assert codes.count(409) == REQUESTS - SEATS, [r.text for r in responses if r.status_code
                                                  not in (201, 409)][:3]
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert seats_and_placements(busy_server.db_url, option_id) == (0, SEATS)


async def _read_burst(server: srv.Server, paths: list[str]):
    headers = {"Authorization": f"Bearer {server.token('canbo.chuongtrinh')}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60,
                                 limits=httpx.Limits(max_connections=REQUESTS)) as client:
        return await asyncio.gather(*(client.get(p) for p in paths))


def test_a_burst_of_reads_never_waits_for_the_connection_pool(api):
    """More simultaneous reads than the worker has threads and pooled connections: each
    route gives its connection back before its answer is serialised, so none waits for the
    pool's timeout (a 500 after 30 s before this was fixed)."""
    paths = ["/v1/options?limit=5", "/v1/providers?limit=5", "/v1/model", "/v1/plans",
             "/v1/audit?limit=5", "/v1/clients?limit=5", "/v1/placements?limit=5"] * 30
    responses = asyncio.run(_read_burst(api, paths))
    codes = [r.status_code for r in responses]
    assert codes.count(200) == len(paths), {c: codes.count(c) for c in set(codes)}
