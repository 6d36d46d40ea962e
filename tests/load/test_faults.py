"""Issue 7, faults: the database restarted during a soak, and a worker killed mid-request.

Both run on PostgreSQL with a real 4-worker server over a freshly seeded database, while
client processes send mixed traffic (:mod:`tests.load.soak`), and both end with the soak's
invariants: no seat given twice, nothing half-written.

The restart test stops and starts a PostgreSQL cluster of its own
(:mod:`tests.load.private_postgres`: fast shutdown, about 2 s down, twice), so the rest of
the run, on the machine's PostgreSQL, goes on beside it. Where no private cluster can be
made it skips, or fails under MATCHER_REQUIRE_POSTGRES=1.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text

from api.auth import tokens
from matcher.store.db import make_engine
from matcher.store.tables import Decision
from tests import local_http
from tests.api import server as srv
from tests.conftest import _require_postgres, own_server
from tests.load import soak
from tests.load.private_postgres import Cluster, private_cluster, unavailable

ROLES = ("social_worker", "social_worker", "social_worker", "provider")
DOWN_SECONDS = 2.0
FAULTS_WORLD = {"hot_seats": 40, "planted_per_worker": 60}


# --- PostgreSQL, stopped and started -------------------------------------------------------


class Outage:
    """Stop the cluster, stay down ``DOWN_SECONDS`` (running ``during`` meanwhile), start it."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.down_at = self.up_at = 0.0

    def __call__(self, during=None):
        self.down_at = time.time()
        try:
            self.cluster.stop()
            until = time.monotonic() + DOWN_SECONDS
            seen = during() if during else None
            time.sleep(max(0.0, until - time.monotonic()))
        finally:
            self.cluster.start()
            self.cluster.wait_ready()
            self.up_at = time.time()
        return seen


@pytest.fixture
def pg_server(tmp_path, trained_model_dir):
    with own_server("postgresql", tmp_path, trained_model_dir, workers=4,
                    before_start=lambda url: soak.prepare(url, **FAULTS_WORLD)
                    ) as (server, world):
        yield server, world


@pytest.fixture
def restartable(tmp_path, trained_model_dir):
    """(a 4-worker server, its soak world, its cluster) on a private PostgreSQL cluster."""
    reason = unavailable()
    if reason:
        if _require_postgres():
            pytest.fail(f"no private PostgreSQL cluster for the restart test: {reason}")
        pytest.skip(reason)
    with private_cluster(srv.free_port()) as cluster, \
            own_server("postgresql", tmp_path, trained_model_dir, workers=4,
                       seed_at=cluster.url,
                       before_start=lambda url: soak.prepare(url, **FAULTS_WORLD)
                       ) as (server, world):
        yield server, world, cluster


def _while_down(server: srv.Server) -> dict[str, httpx.Response]:
    """What the API, a page and /readyz answer while the database is down."""
    token = server.token("ctv.halong")
    with local_http.Client(base_url=server.url, timeout=15) as c, \
            local_http.Client(base_url=server.url, timeout=15, cookies={tokens.COOKIE: token}) as b:
        return {
            "api": c.get("/v1/me", headers={"Authorization": f"Bearer {token}"}),
            "page": b.get("/clients"),
            "ready": c.get("/readyz"),
        }


def test_postgresql_restarted_during_a_soak_answers_503_then_recovers(restartable):
    server, world, cluster = restartable
    outage = Outage(cluster)
    # Long enough that most of it comes after the outage even on a fast machine: the restart
    # starts after 100 of the 1,200 requests, and a down database slows each client to a
    # request per pause (with 120 a client, a quicker API once finished before it was back).
    run = soak.Soak(soak.specs(server, world, requests=300, roles=ROLES,
                               pause_on_error=0.25)).start()
    run.wait_for(100, timeout=90)
    down = outage(lambda: _while_down(server))
    results = run.results(timeout=150)
    records = soak.flat(results)
    counts = soak.tally(records)

    # While down: 503 problem+json with Retry-After on the API, the error page on pages,
    # and /readyz not ready.
    api, page, ready = down["api"], down["page"], down["ready"]
    assert api.status_code == 503, api.text
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.headers["retry-after"].isdigit() and "database" in api.json()["detail"]
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert "retry-after" in page.headers
    assert ready.status_code == 503 and ready.json()["database"] == "unreachable"

    # The soak: every request got an answer; the only 5xx is a clean 503.
    assert not [r for r in records if r.status == 0], counts
    bad = [r for r in records if r.status >= 500 and r.status != 503]
    assert not bad, (counts, [(r.kind, r.status, r.error) for r in bad[:5]])
    unavailable = [r for r in records if r.status == 503]
    assert unavailable, f"no request met the outage: {counts}"
    assert all(r.problem and r.retry_after for r in unavailable)
    odd = [r for r in soak.unexpected(records) if r.status != 503]
    assert not odd, (counts, [(r.kind, r.status) for r in odd[:5]])
    # Once the database answers again, so does the API: no request sent after that fails
    # (the pool pings what it hands out, so no worker serves a dead connection).
    after = [r for records in results.values() for r in records if r.started > outage.up_at]
    assert after, "the soak ended before the database was back"
    assert all(r.status < 500 for r in after), soak.tally(after)

    figures = soak.check_invariants(server.db_url, world, records)
    down_at, up_at = outage.down_at, outage.up_at

    # A second restart with no traffic at all: the pooled connections of every worker are
    # dead, and still no request fails once the database is back (each checkout is pinged).
    outage()
    codes = []
    for n in range(16):
        client_id = world.caseloads["ctv.halong"][n]
        with server.client("ctv.halong") as c:  # a new connection: any of the 4 workers
            codes.append(c.post(f"/v1/clients/{client_id}/suggestions",
                                json={"top": 3}).status_code)
    assert codes == [201] * 16, codes
    last = max(r.started + r.took for r in unavailable)
    print(f"\nrestart: {len(records)} requests {counts}; {len(unavailable)} x 503 from "
          f"{min(r.started for r in unavailable) - down_at:+.1f}s of the stop to "
          f"{last - up_at:+.1f}s of the database being back (down {up_at - down_at:.1f}s); "
          f"{figures}")


# --- a worker killed mid-request -----------------------------------------------------------


def _workers(master: int) -> set[int]:
    """The uvicorn worker processes of the master: its live children (forked, or spawned
    under TEST_PRELOADED=0), but multiprocessing's resource tracker if it has one."""
    found = set()
    for task in Path(f"/proc/{master}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                cmd = Path(f"/proc/{child}/cmdline").read_bytes()
                state = Path(f"/proc/{child}/stat").read_text().split(")")[1].split()[0]
            except FileNotFoundError:
                continue
            if b"resource_tracker" not in cmd and state != "Z":
                found.add(int(child))
    return found


def _socket_owner(pids: set[int], port: int) -> int | None:
    """Which of ``pids`` holds the TCP socket with local port ``port`` (via /proc)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port:
            inodes.add(fields[9])
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return pid
        except (FileNotFoundError, ProcessLookupError):
            continue
    return None


WRITERS = text(
    "SELECT DISTINCT a.client_port FROM pg_locks l"
    " JOIN pg_class c ON c.oid = l.relation"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE n.nspname = current_schema() AND c.relname IN ('placements', 'options')"
    " AND l.mode = 'RowExclusiveLock' AND l.granted AND a.xact_start IS NOT NULL"
    " AND l.pid <> pg_backend_pid()")
LEFT_OPEN = text(
    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = current_schema() AND l.pid <> pg_backend_pid()"
    " AND c.relname IN ('placements', 'options')")


def _kill_a_writer(conn, master: int, timeout: float = 20) -> tuple[int, bool]:
    """SIGKILL the worker whose request holds a write transaction open on placements or
    options (seen in pg_locks, its connection traced to the worker through /proc): (pid,
    True); or a busy worker at random when none was caught writing in time: (pid, False)."""
    workers = _workers(master)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for port in conn.execute(WRITERS).scalars():
            pid = _socket_owner(workers, port) if port else None
            if pid:
                os.kill(pid, signal.SIGKILL)
                return pid, True
    pid = sorted(workers)[0]
    os.kill(pid, signal.SIGKILL)
    return pid, False


def test_a_worker_killed_mid_request_cuts_only_its_request(pg_server):
    server, world = pg_server
    master = server.proc.pid
    assert len(_workers(master)) == 4, "uvicorn should run 4 worker processes"
    mix = {"accept": 0.7, "suggest": 0.3}
    run = soak.Soak(soak.specs(server, world, requests=60, mix=mix, pause_on_error=0.1,
                               roles=("social_worker", "social_worker", "social_worker",
                                      "staff"))).start()
    engine = make_engine(server.db_url)
    kills = []
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            run.wait_for(30, timeout=90)
            # Kill until a request was cut (one try nearly always does); at most three.
            for _ in range(3):
                before, old = run.failed.value, _workers(master)
                victim, writing = _kill_a_writer(conn, master)
                kills.append((victim, writing))
                # uvicorn's master notices the dead worker and starts a new one.
                deadline = time.monotonic() + 60
                while not (len(now := _workers(master)) == 4 and victim not in now):
                    assert time.monotonic() < deadline, f"worker {victim} not replaced: {now}"
                    time.sleep(0.2)
                assert now - old, "a new worker process"
                if run.failed.value > before:
                    break
            records = soak.flat(run.results(timeout=150))
            # The killed requests' transactions ended with their connections.
            deadline = time.monotonic() + 30
            while conn.execute(LEFT_OPEN).scalar():
                assert time.monotonic() < deadline, "a killed worker's transaction stayed open"
                time.sleep(0.05)
    finally:
        engine.dispose()
    counts = soak.tally(records)

    cut = [r for r in records if r.status == 0]
    assert cut, f"no request was cut by the kills {kills}: {counts}"
    # Only the requests in flight on the killed worker: one per client process and kill.
    assert len(cut) <= len(kills) * 4, counts
    assert not [r for r in records if r.status >= 500], counts
    odd = [r for r in soak.unexpected(records) if r.status != 0]
    assert not odd, (counts, [(r.kind, r.status) for r in odd[:5]])
    figures = soak.check_invariants(server.db_url, world, records)

    # What became of the cut accepts: rolled back (no decision), or committed just before
    # the kill in full (placement, decision, seat: checked by the invariants above).
    engine = make_engine(server.db_url)
    with engine.connect() as conn:
        kept = {r.ids["suggestion_id"] for r in cut if r.kind == "accept"
                if conn.scalar(select(Decision.decision_id).where(
                    Decision.suggestion_id == r.ids["suggestion_id"],
                    Decision.decision == "accepted"))}
    engine.dispose()
    # Every worker, the new one too, serves again.
    codes = []
    for n in range(12):
        with server.client("ctv.uongbi") as c:
            codes.append(c.post(f"/v1/clients/{world.caseloads['ctv.uongbi'][n]}/suggestions",
                                json={"top": 3}).status_code)
    assert codes == [201] * 12, codes
    print(f"\nkill: {kills} cut {[(r.kind, r.error) for r in cut]}, of them committed "
          f"before the kill: {len(kept)}; {counts} {figures}")
