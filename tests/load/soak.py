"""Mixed traffic from several processes, and the invariants the database must keep under it.

A soak is a few client *processes* (forked from tests/preloaded.py's fork server, spawned
under TEST_PRELOADED=0), each signed in as one demo account and sending a fixed number of
requests to a real server, one at a time, every call with a timeout:

- a social worker (``ctv.halong``, ``ctv.uongbi``, ``ctv.campha``) asks for suggestions for
  the clients of its own caseload, accepts a suggested option (half of the accepts go to
  "hot" options with a handful of seats, through suggestions planted for the purpose, so
  that the workers race for the last seats), declines, records placement outcomes (some
  drops, which give a seat back when the placement has not started) and follow-ups;
- the provider (``truong.nghe``) reads its options and sets their seats with If-Match,
  sometimes with a stale version (412 expected);
- programme staff (``canbo.chuongtrinh``) plan small cohorts and commit the plans.

Each process returns one record per request (what, status, when, the ids it touched). The
parent checks the records (no 5xx, only the statuses each request may answer) and then the
database (:func:`check_invariants`): no seat given twice, nothing half-written.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from matcher.store import generations
from matcher.store.db import make_engine, transaction
from matcher.store.tables import (
    AuditEntry,
    Client,
    Decision,
    Option,
    OptionChange,
    OptionTrade,
    Placement,
    Suggestion,
    User,
)
from tests import local_http, preloaded

SOCIAL_WORKERS = ("ctv.halong", "ctv.uongbi", "ctv.campha")
PROVIDER = "truong.nghe"
STAFF = "canbo.chuongtrinh"
PLACE = "cur-6658"  # Phường Cao Xanh, Hạ Long: the planted clients and the hot options
HTTP_TIMEOUT = 30.0
# What each kind of request may answer when the server and the database are up.
EXPECTED = {
    "suggest": {201}, "accept": {201, 409}, "decline": {201}, "outcome": {200},
    "followup": {201, 409}, "option_read": {200}, "option_write": {200, 412},
    "plan": {201}, "commit": {200, 409},
}


# --- the world before the soak --------------------------------------------------------------


@dataclass
class World:
    """What the client processes are given, and the state the invariants start from."""

    caseloads: dict[str, list[str]]
    planted: dict[str, list[tuple[int, str]]]  # worker -> [(suggestion id, hot option)]
    provider_options: list[str]
    cohort_clients: list[str]
    capacity: dict[str, int] = field(default_factory=dict)
    placements: set[str] = field(default_factory=set)
    last_change: int = 0
    last_decision: int = 0
    last_audit: int = 0


def prepare(db_url: str, *, hot_options: int = 3, hot_seats: int = 3,
            planted_per_worker: int = 30) -> World:
    """Add the hot options (of the demo provider) and the planted suggestions, then take the
    state the invariants are checked against."""
    engine = make_engine(db_url)
    try:
        with transaction(engine) as s:
            provider_id = s.scalar(select(User.provider_id).where(User.username == PROVIDER))
            hot = [f"OPHOT{k}" for k in range(hot_options)]
            for option_id in hot:
                s.add(Option(option_id=option_id, provider_id=provider_id, kind="training",
                             title=f"Khóa học đông người {option_id}", place_id=PLACE,
                             capacity=hot_seats, min_age=13, cost_vnd=1_000_000,
                             duration_weeks=8, women_only=False, sign_language=False,
                             accepts_records=True))
            s.flush()
            s.add_all(OptionTrade(option_id=o, trade_id="sewing", position=0) for o in hot)
            generations.bump(s, generations.CATALOG)
            users = dict(s.execute(select(User.username, User.user_id)).all())
            planted: dict[str, list[tuple[int, str]]] = {}
            for w, worker in enumerate(SOCIAL_WORKERS):
                clients = [Client(client_id=f"HOT{w}{i:04d}", full_name=None,
                                  birth_date=date(1995, 1, 1), gender="female",
                                  group_code="other", place_id=PLACE, disability="none",
                                  max_travel_km=30, caseworker_id=users[worker])
                           for i in range(planted_per_worker)]
                s.add_all(clients)
                s.flush()
                rows = [Suggestion(client_id=c.client_id, user_id=users[worker],
                                   model_version="soak",
                                   entries=[{"option_id": hot[i % len(hot)], "kind": "training",
                                             "score": 0.5, "p_success": 0.5, "reasons": []}])
                        for i, c in enumerate(clients)]
                s.add_all(rows)
                s.flush()
                planted[worker] = [(r.suggestion_id, r.entries[0]["option_id"]) for r in rows]
            caseloads = {worker: list(s.scalars(
                select(Client.client_id).where(Client.caseworker_id == users[worker],
                                               ~Client.client_id.startswith("HOT"))
                .order_by(Client.client_id))) for worker in SOCIAL_WORKERS}
            provider_options = list(s.scalars(select(Option.option_id).where(
                Option.provider_id == provider_id).order_by(Option.option_id)))
            placed = set(s.scalars(select(Placement.client_id)))
            cohort = [c for ids in caseloads.values() for c in ids if c not in placed]
        world = World(caseloads, planted, provider_options, cohort)
        with engine.connect() as conn:
            world.capacity = dict(conn.execute(select(Option.option_id, Option.capacity)).all())
            world.placements = set(conn.scalars(select(Placement.placement_id)))
            world.last_change = conn.scalar(select(func.max(OptionChange.change_id))) or 0
            world.last_decision = conn.scalar(select(func.max(Decision.decision_id))) or 0
            world.last_audit = conn.scalar(select(func.max(AuditEntry.audit_id))) or 0
        return world
    finally:
        engine.dispose()


# --- the client processes -------------------------------------------------------------------


@dataclass
class Record:
    kind: str
    status: int  # 0: no HTTP answer (connection refused, reset, timed out)
    started: float  # time.time()
    took: float
    error: str = ""
    retry_after: str | None = None
    problem: bool = False  # the answer was application/problem+json
    ids: dict[str, Any] = field(default_factory=dict)


class Driver:
    """One signed-in account sending one request at a time; subclasses choose the next one."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.rng = random.Random(spec["seed"])
        self.http = local_http.Client(base_url=spec["url"], timeout=HTTP_TIMEOUT,
                                 headers={"Authorization": f"Bearer {spec['token']}"})
        self.records: list[Record] = []
        self.failed = None  # a shared counter of requests without an answer, or None

    def call(self, kind: str, method: str, path: str, **kwargs) -> httpx.Response | None:
        started = time.time()
        t0 = time.monotonic()
        try:
            r = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            self.records.append(Record(kind, 0, started, time.monotonic() - t0,
                                       error=type(exc).__name__))
            if self.failed is not None:
                with self.failed.get_lock():
                    self.failed.value = self.failed.value + 1
            time.sleep(self.spec.get("pause_on_error", 0.2))
            return None
        rec = Record(kind, r.status_code, started, time.monotonic() - t0,
                     retry_after=r.headers.get("retry-after"),
                     problem=r.headers.get("content-type", "").startswith(
                         "application/problem+json"))
        if r.status_code >= 500:
            rec.error = r.text[:300]
            time.sleep(self.spec.get("pause_on_error", 0.2))
        self.records.append(rec)
        return r

    def step(self) -> None:
        raise NotImplementedError

    def run(self, counter, failed=None) -> list[Record]:
        self.failed = failed
        while len(self.records) < self.spec["requests"]:
            self.step()
            with counter.get_lock():
                counter.value = counter.value + 1
        return self.records[: self.spec["requests"]]


class SocialWorker(Driver):
    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self.planted: list[tuple[int, str]] = list(spec["planted"])
        self.suggested: list[tuple[int, list[str]]] = []
        self.placements: list[str] = []
        self.mix = spec.get("mix", {"suggest": 0.3, "accept": 0.3, "decline": 0.07,
                                    "outcome": 0.18, "followup": 0.15})

    def pick(self) -> str:
        x, acc = self.rng.random(), 0.0
        for kind, share in self.mix.items():
            acc += share
            if x < acc:
                return kind
        return "suggest"

    def step(self) -> None:
        kind = self.pick()
        if kind == "accept" and self.planted and (self.rng.random() < 0.5 or not self.suggested):
            sid, option_id = self.planted.pop()
            self.accept(sid, option_id)
        elif kind == "accept" and self.suggested:
            sid, options = self.suggested.pop(self.rng.randrange(len(self.suggested)))
            self.accept(sid, self.rng.choice(options))
        elif kind == "decline" and self.suggested:
            sid, options = self.suggested.pop(self.rng.randrange(len(self.suggested)))
            r = self.call("decline", "POST", f"/v1/suggestions/{sid}/decisions",
                          json={"option_id": options[0], "decision": "declined",
                                "reason_code": "too_far"})
            if r is not None and r.status_code == 201:
                self.records[-1].ids = {"suggestion_id": sid,
                                        "decision_id": r.json()["decision_id"]}
        elif kind == "outcome" and self.placements:
            pid = self.rng.choice(self.placements)
            body: dict[str, Any] = {"status": "ongoing",
                                    "income_vnd_day": self.rng.randrange(0, 300_000, 1000)}
            if self.rng.random() < 0.15:
                body = {"status": "dropped"}
            r = self.call("outcome", "POST", f"/v1/placements/{pid}/outcome", json=body)
            if r is not None and r.status_code == 200 and body["status"] == "dropped":
                self.placements.remove(pid)
                self.records[-1].ids = {"placement_id": pid,
                                        "seat_released": r.json()["seat_released"]}
        elif kind == "followup":
            client_id = self.rng.choice(self.spec["caseload"])
            day = date.today() - timedelta(days=self.rng.randrange(1, 400))
            earning = self.rng.random() < 0.5
            body = {"followed_up_on": day.isoformat(), "earning": earning}
            if earning:
                body["income_vnd_day"] = self.rng.randrange(50_000, 300_000, 1000)
            self.call("followup", "POST", f"/v1/clients/{client_id}/followups", json=body)
        else:
            client_id = self.rng.choice(self.spec["caseload"])
            r = self.call("suggest", "POST", f"/v1/clients/{client_id}/suggestions",
                          json={"top": 5})
            if r is not None and r.status_code == 201:
                body = r.json()
                options = [e["option_id"] for e in body["suggestions"]]
                self.records[-1].ids = {"suggestion_id": body["suggestion_id"]}
                if options:
                    self.suggested.append((body["suggestion_id"], options))

    def accept(self, sid: int, option_id: str) -> None:
        r = self.call("accept", "POST", f"/v1/suggestions/{sid}/decisions",
                      json={"option_id": option_id, "decision": "accepted"})
        self.records[-1].ids = {"suggestion_id": sid, "option_id": option_id}
        if r is not None and r.status_code == 201:
            pid = r.json()["placement_id"]
            self.records[-1].ids["placement_id"] = pid
            self.placements.append(pid)


class Provider(Driver):
    """Reads one of its options, then sets its seats with the version read (or a stale one)."""

    def step(self) -> None:
        option_id = self.rng.choice(self.spec["options"])
        r = self.call("option_read", "GET", f"/v1/my/options/{option_id}")
        if r is None or r.status_code != 200:
            return
        version = int(r.headers["etag"].strip('"'))
        if self.rng.random() < 0.15 and version > 0:
            version -= 1  # someone else's save in between: 412, nothing changes
        self.call("option_write", "PATCH", f"/v1/my/options/{option_id}",
                  json={"capacity": self.rng.randint(0, 4)},
                  headers={"If-Match": f'"{version}"'})
        self.records[-1].ids = {"option_id": option_id}


class Staff(Driver):
    """Plans a small cohort, then commits the plan (all its seats or none)."""

    def step(self) -> None:
        cohort = self.spec["cohort"]
        start = self.rng.randrange(0, max(1, len(cohort) - 4))
        r = self.call("plan", "POST", "/v1/plans", json={"client_ids": cohort[start:start + 4]})
        if r is None or r.status_code != 201:
            return
        plan_id = r.json()["plan_id"]
        r = self.call("commit", "POST", f"/v1/plans/{plan_id}/commit")
        self.records[-1].ids = {"plan_id": plan_id}
        if r is not None and r.status_code == 200:
            self.records[-1].ids["placements"] = [p["placement_id"]
                                                  for p in r.json()["placements"]]


DRIVERS = {"social_worker": SocialWorker, "provider": Provider, "staff": Staff}


def _main(spec: dict[str, Any], counter, failed, out) -> None:
    driver = DRIVERS[spec["role"]](spec)
    try:
        out.put((spec["name"], driver.run(counter, failed), None))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails
        out.put((spec["name"], driver.records, repr(exc)))


def specs(server, world: World, *, requests: int, roles: tuple[str, ...],
          mix: dict[str, float] | None = None, pause_on_error: float = 0.2
          ) -> list[dict[str, Any]]:
    """One spec per client process: its account, token, records to work on and seed."""
    out = []
    for n, role in enumerate(roles):
        if role == "social_worker":
            name = SOCIAL_WORKERS[sum(r == "social_worker" for r in roles[:n])]
            extra = {"caseload": world.caseloads[name], "planted": world.planted[name]}
            if mix:
                extra["mix"] = mix
        elif role == "provider":
            name, extra = PROVIDER, {"options": world.provider_options}
        else:
            name, extra = STAFF, {"cohort": world.cohort_clients}
        out.append({"name": name, "role": role, "url": server.url,
                    "token": server.token(name), "requests": requests, "seed": 1000 + n,
                    "pause_on_error": pause_on_error, **extra})
    return out


class Soak:
    """The client processes of one soak, started together; ``done`` counts their requests,
    ``failed`` those that got no HTTP answer."""

    def __init__(self, process_specs: list[dict[str, Any]]) -> None:
        # Forked from the fork server (the libraries imported already), else spawned.
        ctx = preloaded.context() if preloaded.enabled() else mp.get_context("spawn")
        self.done = ctx.Value("i", 0)
        self.failed = ctx.Value("i", 0)
        self.out = ctx.Queue()
        self.procs = [ctx.Process(target=_main, args=(spec, self.done, self.failed, self.out),
                                  daemon=True)
                      for spec in process_specs]
        self.total = sum(spec["requests"] for spec in process_specs)

    def start(self) -> Soak:
        for proc in self.procs:
            proc.start()
        return self

    def wait_for(self, requests: int, timeout: float) -> None:
        """Until ``requests`` requests are done (bounded)."""
        deadline = time.monotonic() + timeout
        while self.done.value < requests:
            if time.monotonic() > deadline or not any(p.is_alive() for p in self.procs):
                raise AssertionError(f"only {self.done.value} of {requests} requests done")
            time.sleep(0.02)

    def results(self, timeout: float) -> dict[str, list[Record]]:
        """Every process's records; fails when one crashed or did not finish in time."""
        deadline = time.monotonic() + timeout
        found: dict[str, list[Record]] = {}
        try:
            for _ in self.procs:
                name, records, error = self.out.get(timeout=max(0.1, deadline - time.monotonic()))
                assert error is None, f"client process {name} failed: {error}"
                found[name] = records
        finally:
            for proc in self.procs:
                proc.join(timeout=max(0.1, deadline - time.monotonic()))
                if proc.is_alive():
                    proc.kill()
        return found


def run_soak(server, world: World, *, requests: int, roles: tuple[str, ...],
             timeout: float = 120, **kwargs) -> dict[str, list[Record]]:
    soak = Soak(specs(server, world, requests=requests, roles=roles, **kwargs)).start()
    return soak.results(timeout)


# --- what the records say --------------------------------------------------------------------


def flat(results: dict[str, list[Record]]) -> list[Record]:
    return [r for records in results.values() for r in records]


def tally(records: list[Record]) -> dict[str, dict[int, int]]:
    """{kind: {status: count}}, for the report and the assertion messages."""
    out: dict[str, Counter] = defaultdict(Counter)
    for r in records:
        out[r.kind][r.status] += 1
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}


def unexpected(records: list[Record]) -> list[Record]:
    """Requests that answered what they may not answer with everything up."""
    return [r for r in records if r.status not in EXPECTED[r.kind]]


def accepted(records: list[Record]) -> dict[str, tuple[int, str]]:
    """{placement id: (suggestion id, option id)} of every 201 accept."""
    return {r.ids["placement_id"]: (r.ids["suggestion_id"], r.ids["option_id"])
            for r in records if r.kind == "accept" and r.status == 201}


def committed(records: list[Record]) -> set[str]:
    return {p for r in records if r.kind == "commit" and r.status == 200
            for p in r.ids["placements"]}


# --- the invariants ---------------------------------------------------------------------------


def check_invariants(db_url: str, world: World, records: list[Record]) -> dict[str, int]:
    """No seat given twice and nothing half-written, from the database after the soak.

    Seats: every change of an option's seats is a row of option_changes written in the
    transaction that changed them, under the option's row lock, so an option's rows, in
    the order of their ids, are its seat counts one after another: the first starts at the
    count before the soak, each starts where the one before ended, the last ends at today's
    count, and none is below 0. Seats taken (cause "placement": 1, "plan": n) equal the
    placements made; seats given back equal the drops that reported giving one back. A seat
    count never below 0 with every placement paid for by one seat: no seat given twice.

    Whole or nothing: every new placement has its accepted decision (or its plan), its seat
    change and its audit entry; every accepted decision its placement; every 201 accept's
    placement is there, with the suggestion and option it answered.
    """
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            capacity = dict(conn.execute(select(Option.option_id, Option.capacity)).all())
            changes = conn.execute(
                select(OptionChange.option_id, OptionChange.old_value, OptionChange.new_value,
                       OptionChange.cause)
                .where(OptionChange.change_id > world.last_change,
                       OptionChange.field == "capacity")
                .order_by(OptionChange.change_id)).all()
            placements = {p.placement_id: p for p in conn.execute(
                select(Placement.placement_id, Placement.option_id, Placement.suggestion_id,
                       Placement.plan_id, Placement.status))
                if p.placement_id not in world.placements}
            decisions = conn.execute(
                select(Decision.suggestion_id, Decision.option_id)
                .where(Decision.decision_id > world.last_decision,
                       Decision.decision == "accepted")).all()
            audit = conn.execute(
                select(AuditEntry.action, AuditEntry.entity_id, AuditEntry.detail)
                .where(AuditEntry.audit_id > world.last_audit,
                       AuditEntry.entity == "placement")).all()
    finally:
        engine.dispose()

    assert min(capacity.values()) >= 0, {o: c for o, c in capacity.items() if c < 0}
    chains: dict[str, list] = defaultdict(list)
    for row in changes:
        chains[row.option_id].append(row)
    taken: Counter = Counter()
    given_back: Counter = Counter()
    for option_id, before in world.capacity.items():
        seats = before
        for row in chains.get(option_id, []):
            old, new = int(row.old_value), int(row.new_value)
            assert old == seats, (f"{option_id}: a seat change starts at {old}, the count "
                                  f"was {seats}: a change without its history row")
            assert new >= 0, f"{option_id}: seats went to {new}"
            if row.cause in ("placement", "plan"):
                assert new != old, f"{option_id}: an empty seat change"
                if new < old:
                    taken[option_id] += old - new
                else:
                    assert row.cause == "placement" and new == old + 1, row
                    given_back[option_id] += 1
            else:
                assert row.cause == "provider", row
            seats = new
        assert seats == capacity[option_id], (f"{option_id}: its history ends at {seats}, the "
                                              f"option has {capacity[option_id]}")
    assert set(chains) <= set(world.capacity), "seat changes of options the soak did not know"

    made = Counter(p.option_id for p in placements.values())
    assert made == taken, ("seats taken differ from placements made: "
                           f"{dict(made - taken)} unpaid, {dict(taken - made)} taken for none")
    released = Counter(placements[a.entity_id].option_id for a in audit
                       if a.action == "update" and a.entity_id in placements
                       and (a.detail or {}).get("seat_released"))
    assert released == given_back, (dict(released), dict(given_back))
    dropped_with_seat = {r.ids["placement_id"] for r in records
                         if r.kind == "outcome" and r.status == 200
                         and r.ids.get("seat_released")}
    assert sum(given_back.values()) >= len(dropped_with_seat)

    by_suggestion = Counter(d.suggestion_id for d in decisions)
    assert max(by_suggestion.values(), default=1) == 1, "a list accepted twice"
    decided = {(d.suggestion_id, d.option_id) for d in decisions}
    from_lists = {(p.suggestion_id, p.option_id) for p in placements.values()
                  if p.plan_id is None}
    assert all(p.suggestion_id is not None or p.plan_id is not None
               for p in placements.values())
    assert len(from_lists) == sum(p.plan_id is None for p in placements.values())
    assert from_lists == decided, ("placements and accepted decisions differ: "
                                   f"{sorted(from_lists ^ decided)[:5]}")
    created = {a.entity_id for a in audit if a.action == "create"}
    assert set(placements) <= created, f"placements without audit: {set(placements) - created}"

    for pid, (sid, option_id) in accepted(records).items():
        assert pid in placements, f"accepted placement {pid} is missing"
        assert (placements[pid].suggestion_id, placements[pid].option_id) == (sid, option_id)
    assert committed(records) <= set(placements), "a committed plan's placement is missing"
    return {"placements": len(placements), "seats_taken": sum(taken.values()),
            "seats_given_back": sum(given_back.values()),
            "seat_changes": len(changes), "options_changed": len(chains),
            "accepted_201": len(accepted(records)), "plan_placements": len(committed(records))}
