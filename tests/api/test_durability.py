"""A server killed in the middle of an import or a plan commit leaves the database as it was.

Issue 4: "A server killed in the middle of an import or a plan commit leaves the database as
it was before the request." Each test runs its own one-worker server (``python -m uvicorn``
with ``--workers 1`` serves in the process it starts, so ``proc`` is the server itself) over
a fresh seeded database, sends the request from a background thread, and SIGKILLs the server
while the request's write transaction is open. The transaction is seen from outside: on
PostgreSQL as a granted RowExclusiveLock on the table in the server's schema held by a
backend with an open transaction (pg_locks, pg_stat_activity); on SQLite as the database's
write lock (``BEGIN IMMEDIATE`` refused at once). The request must end with a transport
error, and the database must equal its snapshot from before the request (every row of every
table). A restarted server on the same database is ready and then carries out the same
request in full, which shows the kill had cut a real write in two.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select, text

from matcher.store.db import make_engine
from matcher.store.tables import AuditEntry, Client, Option, Placement, Plan
from tests import local_http
from tests.api import server as srv
from tests.conftest import BACKENDS, seeded_database
from tests.importing.helpers import snapshot

STAFF = "canbo.chuongtrinh"
HEADER = ("client_id,full_name,birth_date,gender,group,place,education,disability,interests,"
          "skills,max_travel_km,needs_women_only,household_poor,ethnic_minority,married,"
          "prior_income_vnd_month,consent_share,registered_on")


# --- a server that can be killed and started again on the same database -------------------


class Life:
    """Servers started one after another on one database, each with its own log."""

    def __init__(self, db_url: str, model_dir: Path, backend: str, tmp: Path) -> None:
        self.db_url, self.model_dir, self.backend, self.tmp = db_url, model_dir, backend, tmp
        self.server: srv.Server | None = None
        self.starts = 0

    def start(self) -> srv.Server:
        self.starts += 1
        self.log = self.tmp / f"server-{self.starts}.log"
        self.server = srv.start(self.db_url, self.model_dir, self.backend, log=self.log)
        _assert_single_process(self.server)
        r = local_http.get(f"{self.server.url}/readyz", timeout=10)
        assert r.status_code == 200, r.text
        return self.server

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no rollback, no flush runs in the server."""
        proc = self.server.proc
        proc.kill()
        proc.wait(timeout=30)
        assert proc.returncode == -9, proc.returncode

    def stop(self) -> None:
        if self.server:
            self.server.stop()


def _assert_single_process(server: srv.Server) -> None:
    """With one worker, uvicorn serves in the process it was started as (the one listening on
    the server's port): no child to miss."""
    pid = server.proc.pid
    port = int(server.url.rsplit(":", 1)[1])
    listening = {row.split()[9] for row in Path("/proc/net/tcp").read_text().splitlines()[1:]
                 if row.split()[1].endswith(f":{port:04X}") and row.split()[3] == "0A"}
    held = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):  # closed while we looked
            held.add(os.readlink(fd))
    assert listening and {f"socket:[{inode}]" for inode in listening} <= held, (pid, port)
    children = [c for task in Path(f"/proc/{pid}/task").iterdir()
                for c in (task / "children").read_text().split()]
    assert children == [], f"the server {pid} has child processes {children}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture(params=BACKENDS)
def life(request, tmp_path, trained_model_dir) -> Iterator[Life]:
    url, cleanup = seeded_database(request.param, tmp_path)
    box = Life(url, trained_model_dir, request.param, tmp_path)
    try:
        yield box
    finally:
        box.stop()
        if cleanup:
            cleanup()


@pytest.fixture
def db(life) -> Iterator[Engine]:
    eng = make_engine(life.db_url)
    yield eng
    eng.dispose()


# --- a request in the background, and the server's write transaction seen from outside ----


class Call(threading.Thread):
    """One HTTP request sent from a thread; ``sent`` is set once its whole body is written."""

    def __init__(self, server: srv.Server, user: str, path: str, **kwargs) -> None:
        super().__init__(daemon=True)
        headers = {"Authorization": f"Bearer {server.token(user)}"}
        with local_http.Client() as c:
            built = c.build_request("POST", f"{server.url}{path}", headers=headers, **kwargs)
        self.body = built.read()
        self.headers = {k: v for k, v in built.headers.items() if k.lower() != "host"}
        self.headers["Content-Length"] = str(len(self.body))
        self.url = str(built.url)
        self.sent = threading.Event()
        self.sent_at: float | None = None
        self.response: httpx.Response | None = None
        self.error: BaseException | None = None

    def _stream(self) -> Iterator[bytes]:
        # httpcore writes the headers, then each chunk; it asks for the next chunk only
        # after the previous one is written, so the code after the loop runs once all is sent.
        for start in range(0, len(self.body), 1 << 16):
            yield self.body[start:start + (1 << 16)]
        self.sent_at = time.monotonic()
        self.sent.set()

    def run(self) -> None:
        try:
            with local_http.Client(timeout=180) as c:
                self.response = c.post(self.url, content=self._stream(), headers=self.headers)
        except BaseException as exc:  # noqa: BLE001 - kept for the test to judge
            self.error = exc

    def outcome(self) -> str:
        if self.response is not None:
            return f"HTTP {self.response.status_code}: {self.response.text[:300]}"
        return f"{type(self.error).__name__}: {self.error}"


class WriteProbe:
    """Whether another connection holds a write transaction open on ``table``.

    PostgreSQL: a granted RowExclusiveLock on the table of this schema, held by another
    backend whose transaction is open. SQLite: the database's write lock is taken (SQLite
    locks the whole file, so ``table`` only names what the writer is expected to write).
    """

    def __init__(self, db_url: str, table: str) -> None:
        self.table = table
        self.sqlite = db_url.startswith("sqlite")
        if self.sqlite:
            self.path = db_url.split("///", 1)[1]
            self.con = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        else:
            self.engine = make_engine(db_url)
            self.con = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def writing(self) -> bool:
        if self.sqlite:
            try:
                self.con.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    return True
                raise
            self.con.execute("ROLLBACK")
            return False
        return bool(self.con.scalar(text(
            "SELECT count(*) FROM pg_locks l"
            " JOIN pg_class c ON c.oid = l.relation"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE n.nspname = current_schema() AND c.relname = :table"
            " AND l.mode = 'RowExclusiveLock' AND l.granted AND a.xact_start IS NOT NULL"
            " AND a.state IN ('active', 'idle in transaction')"
            " AND l.pid <> pg_backend_pid()"), {"table": self.table}))

    def wait_for_writer(self, call: Call, timeout: float) -> bool:
        """Poll until the write transaction is seen (True) or the call ended (False)."""
        deadline = time.monotonic() + timeout
        while call.is_alive() and time.monotonic() < deadline:
            if self.writing():
                return True
            time.sleep(0.002)
        return False

    def wait_until_no_transaction(self, timeout: float = 30) -> None:
        """After the kill: PostgreSQL ends the dead client's backend and its transaction
        when it notices the closed socket; wait for that before reading the state."""
        if self.sqlite:
            return
        deadline = time.monotonic() + timeout
        query = text("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                     " JOIN pg_namespace n ON n.oid = c.relnamespace"
                     " WHERE n.nspname = current_schema() AND l.pid <> pg_backend_pid()")
        while self.con.scalar(query):
            assert time.monotonic() < deadline, "the killed server's transaction is still open"
            time.sleep(0.05)

    def wal_bytes(self) -> int | None:
        wal = Path(f"{self.path}-wal") if self.sqlite else None
        return wal.stat().st_size if wal and wal.exists() else None

    def close(self) -> None:
        self.con.close()
        if not self.sqlite:
            self.engine.dispose()


def integrity_ok(db_url: str) -> None:
    """On SQLite, the file is sound after the crash (the WAL's uncommitted frames ignored)."""
    if db_url.startswith("sqlite"):
        con = sqlite3.connect(db_url.split("///", 1)[1])
        try:
            assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        finally:
            con.close()


def count(engine: Engine, table) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table))


# --- 1. an import killed while it writes ---------------------------------------------------


def clients_csv(prefix: str, n: int) -> bytes:
    """``n`` valid clients of the data contract, with unique ids, as UTF-8 CSV."""
    rows = [f"{prefix}{i:06d},Nguyễn Thị Hoa {i},2001-04-12,{('female', 'male')[i % 2]},"
            f"{('other', 'disabled', 'after_prison')[i % 3]},Phường Móng Cái 3,primary,none,"
            f"thích may,,{5 + i % 30},0,{i % 2},0,0,{i % 7 * 500000},1,2024-01-10"
            for i in range(n)]
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


# (rows, seconds to wait once the import is seen writing): the second try kills at once.
IMPORT_TRIES = [(40_000, 0.4), (60_000, 0.0)]


def test_a_server_killed_during_an_import_leaves_the_database_as_before(life, db):
    server = life.start()
    probe = WriteProbe(life.db_url, "clients")
    try:
        for attempt, (rows, wait) in enumerate(IMPORT_TRIES, start=1):
            content = clients_csv(f"DUR{attempt}-", rows)
            assert len(content) < 20e6, "stay under the import limit"
            call = Call(server, STAFF, "/v1/imports/clients",  # signs in first
                        files={"file": ("clients.csv", content, "text/csv")})
            clients_before, audit_before = count(db, Client), count(db, AuditEntry)
            before = snapshot(db)
            cpu_start = cpu_seconds(server.proc.pid)
            call.start()
            seen = probe.wait_for_writer(call, timeout=120)
            if seen:
                time.sleep(wait)
            sent_at = call.sent_at
            cpu_used = cpu_seconds(server.proc.pid) - cpu_start
            wal = probe.wal_bytes()
            inside = call.is_alive() and probe.writing()  # at the kill
            life.kill()
            call.join(60)
            assert not call.is_alive()
            where = (f"try {attempt}: {rows} rows, writer seen={seen}, inside at the kill="
                     f"{inside}, upload sent="
                     f"{sent_at is not None}, server CPU {cpu_used:.2f}s, WAL {wal} bytes, "
                     f"outcome {call.outcome()}")
            if call.response is not None:
                # The import ended before the kill: only a success is acceptable, then try
                # again with a bigger file, killed as soon as it writes.
                assert call.response.status_code == 201, where
                server = life.start()
                continue
            assert isinstance(call.error, httpx.TransportError), where
            probe.wait_until_no_transaction()
            integrity_ok(life.db_url)
            assert count(db, Client) == clients_before, where
            assert count(db, AuditEntry) == audit_before, where
            assert snapshot(db) == before, where
            assert inside, f"the kill did not fall inside the import's transaction: {where}"

            # The restarted server is ready and imports the very same file in full.
            server = life.start()
            with server.client(STAFF) as c:
                r = c.post("/v1/imports/clients", timeout=180,
                           files={"file": ("clients.csv", content, "text/csv")})
            assert r.status_code == 201, r.text
            assert r.json() == {"kind": "clients", "rows": rows, "created": rows, "updated": 0,
                                "merged": [], "proposed": []}
            assert count(db, Client) == clients_before + rows
            assert count(db, AuditEntry) == audit_before + 1
            break
        else:
            pytest.fail(f"every import ended before the kill ({IMPORT_TRIES}): use a bigger "
                        "file or kill earlier")
    finally:
        probe.close()


# --- 2. a plan commit killed while it writes -------------------------------------------------


def unplaced_demo_clients(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(Client.client_id)
                                 .where(Client.client_id.like("KH%"),
                                        Client.client_id.not_in(select(Placement.client_id)))
                                 .order_by(Client.client_id)))


def make_plan(server: srv.Server, client_ids: list[str]) -> dict:
    with server.client(STAFF) as c:
        r = c.post("/v1/plans", json={"client_ids": client_ids}, timeout=180)
    assert r.status_code == 201, r.text
    plan = r.json()
    assert len(plan["assignments"]) >= 200, "a plan that writes a lot"
    return plan


def plan_state(engine: Engine, plan: dict) -> tuple[str, list[tuple[str, str]], dict[str, int]]:
    """The plan's status, its placements (client, option) and the seats of its options."""
    options = sorted({a["option_id"] for a in plan["assignments"]})
    with engine.connect() as conn:
        status = conn.scalar(select(Plan.status).where(Plan.plan_id == plan["plan_id"]))
        placed = sorted(tuple(r) for r in conn.execute(
            select(Placement.client_id, Placement.option_id)
            .where(Placement.plan_id == plan["plan_id"])))
        seats = dict(conn.execute(select(Option.option_id, Option.capacity)
                                  .where(Option.option_id.in_(options))).all())
    return status, placed, seats


def assert_fully_committed(engine: Engine, plan: dict, seats_before: dict[str, int]) -> None:
    """A placement per assignment, the seats taken, the plan committed, the audit written."""
    status, placed, seats = plan_state(engine, plan)
    assert status == "committed"
    assert placed == sorted((a["client_id"], a["option_id"]) for a in plan["assignments"])
    taken = Counter(a["option_id"] for a in plan["assignments"])
    assert seats == {oid: left - taken[oid] for oid, left in seats_before.items()}
    with engine.connect() as conn:
        audited = Counter(conn.execute(
            select(AuditEntry.action, AuditEntry.entity)
            .where((AuditEntry.entity_id == str(plan["plan_id"]))
                   | AuditEntry.entity_id.like(f"PLAN{plan['plan_id']:06d}-%"))).all())
    assert audited[("commit", "plan")] == 1
    assert audited[("create", "placement")] == len(plan["assignments"])


def timed_commit(server: srv.Server, probe: WriteProbe, engine: Engine, plan: dict) -> float:
    """Commit a plan in full; the seconds from its first write seen to its answer."""
    seats_before = plan_state(engine, plan)[2]
    call = Call(server, STAFF, f"/v1/plans/{plan['plan_id']}/commit")
    call.start()
    assert probe.wait_for_writer(call, timeout=60), call.outcome()
    seen_at = time.monotonic()
    call.join(60)
    took = time.monotonic() - seen_at
    assert call.response is not None and call.response.status_code == 200, call.outcome()
    assert_fully_committed(engine, plan, seats_before)
    return took


def commit_tries(backend: str, took: float) -> list[tuple[str, str | None, float]]:
    """How each try picks its moment: (wait for, table, then sleep seconds).

    "writer": once the commit's transaction is seen writing to the table, then the sleep.
    SQLite shows one write lock for the file, taken by the commit's first UPDATE (the
    claim of the draft); PostgreSQL shows each table: "placements" is written after every
    seat was reserved. "sent": a fixed time after the request was sent. ``took`` is how
    long a full commit of a like plan lasted from its first write to its answer (measured
    on this machine just before): a kill at 60% of it falls after most seats were reserved
    and well before the COMMIT and the answer.
    """
    tries = [("writer", "plans", 0.0), ("sent", None, 0.02), ("sent", None, 0.05),
             ("writer", "plans", 0.6 * took)]
    if backend == "postgresql":
        tries.append(("writer", "placements", 0.0))
    return tries


def test_a_server_killed_during_a_plan_commit_leaves_the_database_as_before(life, db):
    server = life.start()
    cohort = unplaced_demo_clients(db)
    assert len(cohort) >= 400, len(cohort)
    probes = {table: WriteProbe(life.db_url, table) for table in ("plans", "placements")}
    cut_in_two, log = 0, []
    try:
        # A first plan of the cohort committed in full, to time a commit on this machine;
        # the plan the server is killed on is made afterwards, on the seats left.
        took = timed_commit(server, probes["plans"], db, make_plan(server, cohort))
        plan = make_plan(server, cohort)
        for how, table, delay in commit_tries(life.backend, took):
            call = Call(server, STAFF, f"/v1/plans/{plan['plan_id']}/commit")  # signs in
            before = snapshot(db)
            status, placed, seats_before = plan_state(db, plan)
            assert (status, placed) == ("draft", [])
            call.start()
            seen = False
            if how == "writer":
                seen = probes[table].wait_for_writer(call, timeout=60)
            else:
                assert call.sent.wait(30), call.outcome()
            time.sleep(delay)
            inside = call.is_alive() and probes["plans"].writing()  # at the kill
            life.kill()
            call.join(60)
            assert not call.is_alive()
            where = (f"try {how} {table or ''} +{delay * 1000:.0f}ms (a commit took "
                     f"{took * 1000:.0f}ms), writer seen={seen}, inside at the kill={inside}: "
                     f"{call.outcome()}")
            log.append(where)
            probes["plans"].wait_until_no_transaction()
            integrity_ok(life.db_url)
            if call.response is not None:
                # Answered before the kill: then it is committed in full.
                assert call.response.status_code == 200, where
                assert_fully_committed(db, plan, seats_before)
                server = life.start()
                plan = make_plan(server, cohort)
                continue
            assert isinstance(call.error, httpx.TransportError), where
            assert plan_state(db, plan) == ("draft", [], seats_before), where
            assert snapshot(db) == before, where
            cut_in_two += inside
            server = life.start()
        assert cut_in_two >= 1, f"no try killed the server inside the commit: {log}"

        # The restarted server commits the same plan in full.
        seats_before = plan_state(db, plan)[2]
        with server.client(STAFF) as c:
            r = c.post(f"/v1/plans/{plan['plan_id']}/commit", timeout=120)
        assert r.status_code == 200, r.text
        assert len(r.json()["placements"]) == len(plan["assignments"])
        assert_fully_committed(db, plan, seats_before)
    finally:
        for probe in probes.values():
            probe.close()
