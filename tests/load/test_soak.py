"""Issue 7, load: a soak of mixed traffic from several processes against a real server.

On PostgreSQL the server runs 4 uvicorn workers and four client processes send 150
requests each (three social workers: suggestions, accepts, declines, outcomes, follow-ups;
the provider: seat updates with If-Match); on SQLite one worker (as the README recommends)
and three processes of 50. Afterwards: no 5xx and no request without an answer, every
request answered what it may answer, and the database keeps its invariants
(:func:`tests.load.soak.check_invariants`: no seat given twice, every 201 accept's
placement there, nothing half-written).
"""

from __future__ import annotations

import pytest

from tests.conftest import BACKENDS, own_server
from tests.load import soak

ROLES = ("social_worker", "social_worker", "social_worker", "provider")
SIZES = {"postgresql": (4, 150, ROLES), "sqlite": (1, 50, ROLES[1:])}


@pytest.fixture(params=BACKENDS)
def soak_server(request, tmp_path, trained_model_dir):
    with own_server(request.param, tmp_path, trained_model_dir, before_start=soak.prepare,
                    workers=SIZES[request.param][0]) as (server, world):
        yield server, world


def test_mixed_traffic_from_several_processes_keeps_every_seat_and_placement(soak_server):
    server, world = soak_server
    _, requests, roles = SIZES[server.backend]
    results = soak.run_soak(server, world, requests=requests, roles=roles, timeout=150)
    records = soak.flat(results)
    counts = soak.tally(records)
    assert len(records) == requests * len(roles), counts
    failed = [r for r in records if r.status >= 500 or r.status == 0]
    assert not failed, (counts, [(r.kind, r.status, r.error) for r in failed[:5]])
    odd = soak.unexpected(records)
    assert not odd, (counts, [(r.kind, r.status) for r in odd[:5]])
    # The mix really happened: each kind of request was sent, and seats were raced for.
    assert {"suggest", "accept", "outcome", "followup", "option_write"} <= counts.keys(), counts
    assert counts["accept"].get(201, 0) >= 10 and counts["accept"].get(409, 0) >= 1, counts
    figures = soak.check_invariants(server.db_url, world, records)
    assert figures["placements"] == figures["accepted_201"], figures
    print(f"\nsoak {server.backend}: {counts} {figures}")
