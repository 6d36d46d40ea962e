"""``make bench``: every figure of the performance table at three world sizes; prints JSON.

For each scale the synthetic world is built (matcher.synth, seeded), written in the data
contract, imported file by file into a fresh PostgreSQL schema (rows/s per file), a model is
trained on its history (time and peak memory), one matcher answers suggestions in-process
(median and p99 over a fixed sample of clients), the real server (uvicorn, 1 and then 4
workers on that PostgreSQL schema) is driven over loopback by wrk for a fixed time with a
fixed number of connections, the suggestions endpoint and ``GET /v1/me`` (sign-in check
only) in the same run, and cohort plans of 1,000 / 10,000 / 100,000 clients (those no larger
than the world) are made, each in a fresh process (time and peak memory). The hot queries
are then EXPLAINed on that schema (bench/explain_queries.py). The seat prices are measured on
each world (step ``pricing``, bench/bench_pricing.py: the first refresh, a refresh after an
accept, suggestion time with and without them), and so is the Department's report (step
``department``, bench/bench_department.py: a year and its quarters). Every heavy step runs in a
child process of its own, so that its peak resident memory is its own, and under a time
limit; a step that fails or runs out of time is reported as such and the run goes on.
Last, a small sweep of the simulator (``matcher simulate``: arrivals one at a time through
the API in worlds with a known truth, both worlds, two seeds, scarce and plentiful seats) goes
into the same document under ``simulation`` (step ``simulate`` of ``--steps``), and the
review's answers after a change while it is recomputed under ``review`` (step ``review``,
bench/bench_review.py, on the demo world).

    .venv/bin/python bench/run_all.py [--scales province,x10,national] [--quick]
        [--http-seconds 10] [--connections 16] [--database URL] [--out bench/results]

Scales (clients, options, placements): province 1,200 / 600 / 3,000; x10 12,000 / 6,000 /
30,000; national 120,000 / 60,000 / 300,000. ``--quick`` is a smoke run on a tiny world
(300 / 120 / 600) with short HTTP runs. The JSON document (with the machine it ran on and
the load average around each step) is printed and written to bench/results/<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import wrk_runs  # noqa: E402 - bench/wrk_runs.py, beside this script

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ON = date(2026, 10, 1)  # the synthetic world's as_of date
# The benchmark database takes imports, so it is not a demo database and its accounts (the
# demo usernames) have a password of their own: the demo password works on a demo database only.
BENCH_PASSWORD = "bench-password-of-the-demo-usernames"
MAX_OPTIONS = 30  # options kept per client in the cohort plans (as bench_cohort_large)
SCALES = {
    # name: clients, options, placements; providers grow with the options
    "quick": {"n_clients": 300, "n_options": 120, "n_placements": 600},
    "province": {"n_clients": 1_200, "n_options": 600, "n_placements": 3_000},
    "x10": {"n_clients": 12_000, "n_options": 6_000, "n_placements": 30_000},
    "national": {"n_clients": 120_000, "n_options": 60_000, "n_placements": 300_000},
}
COHORTS = (1_000, 10_000, 100_000)
QUICK_COHORTS = (100,)
TARGETS = {
    "suggest_in_process_median_ms": 50,
    "http_suggest_p99_ms": 200,
    "http_suggest_requests_per_s": 200,
    "http_suggest_over_trivial": 0.5,
    "plan_1000_seconds": 5,
    "plan_100000_seconds": 120,
    "plan_100000_peak_mb": 8192,
    "train_100000_seconds": 120,
    "department_year_seconds": 5,
}


def world_args(scale: str) -> dict:
    s = SCALES[scale]
    n = s["n_options"]
    # 100 trainers, 100 employers and 20 livelihood programmes per 600 options (the
    # province's proportions in bench_cohort.py).
    return {**s, "n_trainers": n // 6, "n_employers": n // 6, "n_livelihood": max(4, n // 30)}


# --- the machine --------------------------------------------------------------------------


def machine(database: str | None) -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gib = None
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        ram_gib = round(kb / 1024**2, 1)
    except (OSError, AttributeError):
        pass
    pg = None
    if database and database.startswith("postgresql"):
        try:
            from sqlalchemy import create_engine, text
            engine = create_engine(database)
            with engine.connect() as conn:
                pg = conn.execute(text("SHOW server_version")).scalar()
            engine.dispose()
        except Exception as exc:  # noqa: BLE001 - reported, not fatal
            pg = f"unreachable: {type(exc).__name__}"
    wrk = shutil.which("wrk")
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": ram_gib,
            "python": platform.python_version(), "os": platform.platform(),
            "postgresql": pg, "wrk": wrk_runs.version() if wrk else None,
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


def load() -> float:
    return round(os.getloadavg()[0], 2)


def rss_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


# --- the database -------------------------------------------------------------------------


def schema_url(database: str, schema: str, workdir: Path) -> str:
    """The URL every step of one scale uses: a schema of its own, or a SQLite file."""
    if database.startswith("sqlite"):
        return f"sqlite:///{workdir / 'world.sqlite3'}"
    base = database.replace("postgresql://", "postgresql+psycopg://")
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def fresh_schema(database: str, schema: str, *, drop_only: bool = False) -> None:
    if database.startswith("sqlite"):
        return
    from sqlalchemy import create_engine, text
    admin = create_engine(database.replace("postgresql://", "postgresql+psycopg://"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        if not drop_only:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()


# --- the steps (each in a child process: ``--step NAME``) -----------------------------------


def step_build(a) -> dict:
    from matcher.synth import build_world, write_world
    started = time.perf_counter()
    world = build_world(seed=a.seed, **world_args(a.scale))
    built = time.perf_counter() - started
    write_world(world, a.workdir / "csv")
    return {"seconds": round(time.perf_counter() - started, 2),
            "build_seconds": round(built, 2),
            "rows": {k: len(v) for k, v in world.frames().items()},
            "world": world_args(a.scale), "seed": a.seed, "peak_rss_mb": rss_mb()}


def step_import(a) -> dict:
    from sqlalchemy import select, text

    from matcher.access.demo_users import add_accounts
    from matcher.ingest.importer import KINDS, import_file
    from matcher.store.db import make_engine, transaction, upgrade
    from matcher.store.tables import Client, User

    engine = make_engine(a.url)
    upgrade(engine)
    files = {}
    total_rows, total_s = 0, 0.0
    for kind in KINDS:
        started = time.perf_counter()
        result = import_file(engine, kind, a.workdir / "csv" / f"{kind}.csv", actor="bench",
                             today=ON)
        seconds = time.perf_counter() - started
        files[kind] = {"rows": result.rows, "created": result.created,
                       "merged": len(result.merged), "seconds": round(seconds, 2),
                       "rows_per_s": round(result.rows / seconds)}
        total_rows += result.rows
        total_s += seconds
    started = time.perf_counter()
    with transaction(engine) as session:
        add_accounts(session, BENCH_PASSWORD)
    users_s = time.perf_counter() - started
    started = time.perf_counter()
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    analyze_s = time.perf_counter() - started
    with transaction(engine) as session:
        worker = session.scalar(select(User.user_id).where(User.username == "ctv.halong"))
        caseload = session.scalar(select(text("count(*)")).select_from(Client)
                                  .where(Client.caseworker_id == worker))
    engine.dispose()
    return {"backend": engine.dialect.name, "files": files, "rows": total_rows,
            "seconds": round(total_s, 2), "rows_per_s": round(total_rows / total_s),
            "demo_users_seconds": round(users_s, 2), "analyze_seconds": round(analyze_s, 2),
            "caseload_ctv_halong": int(caseload or 0), "peak_rss_mb": rss_mb()}


def step_train(a) -> dict:
    from bench_training import PeakMemory

    from matcher.outcomes import train
    from matcher.store.db import make_engine

    engine = make_engine(a.url)
    with PeakMemory() as memory:
        started = time.perf_counter()
        card = train(engine, model_dir=a.workdir / "models")
        seconds = time.perf_counter() - started
    engine.dispose()
    v = card.validation
    return {"seconds": round(seconds, 2), "rows": card.rows, "clients": card.n_clients,
            "peak_rss_mb": round(memory.peak_kb / 1024), "cv_roc_auc": v.get("roc_auc"),
            "cv_brier": v.get("brier")}


def _matcher(a):
    from sqlalchemy.orm import Session

    from matcher.matching.engine import Matcher
    from matcher.store.db import make_engine

    engine = make_engine(a.url)
    started = time.perf_counter()
    with Session(engine) as session:
        matcher = Matcher.build(session, model_dir=a.workdir / "models")
    matcher.warm()
    built = time.perf_counter() - started
    return engine, matcher, built


def step_suggest(a) -> dict:
    import numpy as np
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from matcher.store.profiles import load_profile
    from matcher.store.tables import Client

    engine, matcher, built = _matcher(a)
    rss_built = rss_mb()
    with Session(engine) as session:
        ids = list(session.scalars(select(Client.client_id).order_by(Client.client_id)))
        rng = np.random.default_rng(0)
        sample = [ids[i] for i in rng.choice(len(ids), min(a.samples, len(ids)),
                                             replace=False)]
        profiles = [load_profile(session, cid) for cid in sample]
    engine.dispose()
    matcher.suggest(profiles[0], on=ON)  # the first question reads this client's wish text
    times, eligible, within = [], [], []
    for profile in profiles:
        started = time.perf_counter()
        result = matcher.suggest(profile, top=10, on=ON)
        times.append(time.perf_counter() - started)
        eligible.append(result["n_eligible"])
        within.append(result["n_options"] - result["excluded"].get("too_far", 0))
    ms = np.array(times) * 1000
    return {"clients_sampled": len(profiles), "options": len(matcher.catalog),
            "matcher_build_seconds": round(built, 2), "matcher_rss_mb": rss_built,
            "median_ms": round(float(np.median(ms)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2),
            "max_ms": round(float(ms.max()), 2),
            "mean_options_within_reach": round(float(np.mean(within)), 1),
            "mean_eligible_scored": round(float(np.mean(eligible)), 1),
            "peak_rss_mb": rss_mb()}


def step_plan(a) -> dict:
    import numpy as np

    from matcher.planning.cohort import plan_cohort
    from matcher.store.frames import load_clients
    from matcher.store.profiles import ClientProfile

    engine, matcher, built = _matcher(a)
    from sqlalchemy.orm import Session
    with Session(engine) as session:
        frame = load_clients(session)
    engine.dispose()
    rng = np.random.default_rng(1)
    chosen = np.sort(rng.choice(len(frame), min(a.cohort, len(frame)), replace=False))
    clients = [ClientProfile.from_record(r) for r in frame.iloc[chosen].to_dict("records")]
    del frame
    rss_before = rss_mb()
    max_options = None if a.max_options == 0 else a.max_options
    started = time.perf_counter()
    result = plan_cohort(matcher, clients, on=ON, max_options=max_options)
    seconds = time.perf_counter() - started
    return {"cohort": len(clients), "options": len(matcher.catalog),
            "max_options_per_client": max_options, "seconds": round(seconds, 2),
            "matcher_build_seconds": round(built, 2), "rss_before_plan_mb": rss_before,
            "peak_rss_mb": rss_mb(), "assigned": len(result["assignments"]),
            "optimal": result["optimal"], "method": result["method"],
            "gain_over_greedy": round(result["gain_over"]["greedy"], 2),
            "gain_over_status_quo": round(result["gain_over"]["status_quo"], 2)}


def step_pricing(a) -> dict:
    """Seat prices on this scale's world (bench/bench_pricing.py): the first refresh, a
    refresh after one accept, suggestion time without and with the prices (the seat it
    takes is given back)."""
    import bench_pricing

    out = bench_pricing.measure(a.url, a.workdir / "models", samples=a.samples, on=ON)
    out["peak_rss_mb"] = rss_mb()
    return out


def step_department(a) -> dict:
    """The Department's report on this scale's world (bench/bench_department.py): a whole
    year (the last full year before the world's date) and each of its quarters."""
    import bench_department

    out = bench_department.measure(a.url, ON.year - 1, repeat=3)
    out.pop("year_figures", None)
    out["peak_rss_mb"] = rss_mb()
    return out


#: The simulation's sweep (matcher simulate): both worlds, two seeds, scarce and plentiful
#: seats; ``--quick``: one small world, enough to show the step runs (tests/test_bench.py).
SIMULATION = {"world": "both", "seeds": "1,2", "orders": "registration",
              "seats_per_arrival": "0.8,3", "arrivals": 300}
QUICK_SIMULATION = {"world": "ours", "seeds": "1", "orders": "registration",
                    "seats_per_arrival": "0.8", "arrivals": 40}


def step_simulate(a) -> dict:
    """Arrivals one at a time through the API in worlds with a known truth (a small sweep;
    SQLite files of its own, whatever the benchmark's database)."""
    from matcher.simulation import parse_spec, run_sweep

    spec = parse_spec(**(QUICK_SIMULATION if a.quick else SIMULATION))
    doc = run_sweep(spec, log=log)
    doc["peak_rss_mb"] = rss_mb()
    return doc


# --- HTTP (in the orchestrating process: it only starts the server and wrk) ------------------


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            children = [int(c) for c in
                        Path(f"/proc/{parent}/task/{parent}/children").read_text().split()]
        except OSError:
            children = []
        out += children
        todo += children
    return out


def _tree_rss_mb(pid: int) -> int:
    total = 0
    for p in [pid, *_descendants(pid)]:
        try:
            total += int(re.search(r"VmRSS:\s+(\d+)",
                                   Path(f"/proc/{p}/status").read_text()).group(1))
        except (OSError, AttributeError):
            pass
    return round(total / 1024)


def start_server(url: str, workdir: Path, workers: int, deadline_s: float):
    """uvicorn with ``workers`` workers on a free port; waits for /readyz (the matcher built)."""
    import httpx

    from tests.api.server import free_port, server_env

    port = free_port()
    log = open(workdir / f"server-{workers}.log", "w")  # noqa: SIM115 - closed by stop_server
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port",
         str(port), "--workers", str(workers), "--no-access-log"],
        env=server_env(url, workdir / "models"), stdout=log, stderr=subprocess.STDOUT,
        cwd=ROOT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    stop = time.monotonic() + deadline_s
    while time.monotonic() < stop and proc.poll() is None:
        try:
            if httpx.get(f"{base}/readyz", timeout=deadline_s).status_code == 200:
                return proc, base, log
        except httpx.TransportError:
            time.sleep(0.5)
    stop_server(proc, log)
    raise RuntimeError(f"the server did not get ready within {deadline_s:.0f} s")


def stop_server(proc, log) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    log.close()


def http_bench(url: str, workdir: Path, workers: int, seconds: int, connections: int,
               warm_limit_s: float) -> dict:
    import httpx
    from sqlalchemy import select

    from matcher.store.db import make_engine, transaction
    from matcher.store.tables import Client, User

    engine = make_engine(url)
    with transaction(engine) as session:
        worker = session.scalar(select(User.user_id).where(User.username == "ctv.halong"))
        ids = list(session.scalars(select(Client.client_id).where(Client.caseworker_id == worker)
                                   .order_by(Client.client_id).limit(200)))
    engine.dispose()
    started = time.perf_counter()
    proc, base, log = start_server(url, workdir, workers, warm_limit_s)
    ready = time.perf_counter() - started
    try:
        token = httpx.post(f"{base}/v1/auth/token",
                           data={"username": "ctv.halong", "password": BENCH_PASSWORD},
                           timeout=60).json()["access_token"]
        script = wrk_runs.suggest_script(workdir / "suggest.lua", ids)
        # Warm every worker: each builds its matcher on its first suggestion, and a worker
        # still building keeps accepting connections and holds their requests. Runs as long
        # as twice the first build (2-20 s), each on fresh connections, until two in a row
        # agree on throughput (within 25%) and no request took over 2 s.
        warm_runs, previous = 0, None
        span = int(max(2, min(20, 2 * ready, seconds * 2)))
        while True:
            warm_runs += 1
            w = wrk_runs.run(base, token, span, connections, script, "/")
            rps = w.get("requests_per_s")
            steady = (rps and previous and abs(rps - previous) <= 0.25 * max(rps, previous)
                      and (w["max_ms"] or 1e9) < 2000 and not w["non_2xx"])
            if steady or time.perf_counter() - started > warm_limit_s:
                break
            previous = rps
        warmed = time.perf_counter() - started
        time.sleep(1)
        before = load()
        trivial = wrk_runs.run(base, token, seconds, connections, None, "/v1/me")
        suggest = wrk_runs.run(base, token, seconds, connections, script, "/")
        # Latency without a queue: two connections, one request at a time on each.
        quiet = wrk_runs.run(base, token, seconds, 2, script, "/")
        server_rss = _tree_rss_mb(proc.pid)
    finally:
        stop_server(proc, log)
    ratio = (suggest["requests_per_s"] / trivial["requests_per_s"]
             if "requests_per_s" in suggest and "requests_per_s" in trivial else None)
    return {"workers": workers, "connections": connections, "seconds": seconds,
            "ready_seconds": round(ready, 1), "warm_seconds": round(warmed, 1),
            "warm_runs": warm_runs, "warm_run_seconds": span, "server_rss_mb": server_rss,
            "load_average_before": before, "load_average_after": load(),
            "trivial_me": trivial, "suggestions": suggest, "suggestions_2_connections": quiet,
            "suggestions_over_trivial": round(ratio, 3) if ratio else None}


# --- orchestration ------------------------------------------------------------------------


def _lost_connection(stderr: str) -> bool:
    return any(m in stderr for m in ("AdminShutdown", "server closed the connection",
                                     "connection failed", "Connection refused",
                                     "terminating connection"))


def child(step: str, a, extra: list[str], timeout: float, *, retry: bool = True) -> dict:
    """Run one step in a fresh process; its JSON answer, with the load average around it."""
    cmd = [sys.executable, __file__, "--step", step, "--scale", a.scale_now,
           "--workdir", str(a.workdir_now), "--url", a.url_now, "--seed", str(a.seed),
           "--samples", str(a.samples), *extra]
    before = load()
    started = time.perf_counter()
    try:
        # The whole world is one file per kind: lift the API's upload limit for the import.
        env = {**os.environ, "MATCHER_IMPORT_MAX_MB": "2000"}
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                              env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after the step's limit of {timeout:.0f} s",
                "load_average_before": before}
    wall = round(time.perf_counter() - started, 1)
    if done.returncode and retry and _lost_connection(done.stderr):
        # The database went away under the step (a restart by someone else's test on a shared
        # machine): once more, from the start of the step.
        log(f"{step}: the database connection was lost; once more")
        time.sleep(10)
        return child(step, a, extra, timeout, retry=False)
    if done.returncode:
        return {"error": done.stderr.strip()[-800:], "load_average_before": before}
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out.update(wall_seconds=wall, load_average_before=before, load_average_after=load())
    return out


def log(msg: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def run_scale(scale: str, a) -> dict:
    a.scale_now = scale
    a.workdir_now = a.workdir / scale
    a.workdir_now.mkdir(parents=True, exist_ok=True)
    schema = f"{a.schema_prefix}_{scale}"
    a.url_now = schema_url(a.database, schema, a.workdir_now)
    size = SCALES[scale]
    big = size["n_clients"] >= 100_000
    limit = {"build": 600, "import": 1800 if big else 600, "train": 1800 if big else 600,
             "suggest": 900 if big else 300, "plan": 900 if big else 300}
    out: dict = {"world": size}
    built = a.workdir_now / "csv" / "built.json"
    if a.reuse_world and built.exists() and \
            json.loads(built.read_text()).get("world") == world_args(scale):
        out["build"] = {**json.loads(built.read_text()), "reused": str(built.parent)}
    else:
        log(f"{scale}: building the world")
        out["build"] = child("build", a, [], limit["build"])
        if "error" not in out["build"]:
            built.write_text(json.dumps(out["build"]))
    if "error" in out["build"]:
        return out
    imported = a.workdir_now / "imported.json"
    if a.reuse_db and imported.exists() and \
            json.loads(imported.read_text()).get("schema") == schema:
        out["import"] = {**json.loads(imported.read_text()), "reused": schema}
    else:
        imported.unlink(missing_ok=True)
        fresh_schema(a.database, schema)
        log(f"{scale}: importing")
        out["import"] = child("import", a, [], limit["import"], retry=False)
        if "error" in out["import"] and _lost_connection(out["import"]["error"]):
            log(f"{scale}: the database connection was lost; importing once more")
            time.sleep(10)
            fresh_schema(a.database, schema)
            out["import"] = child("import", a, [], limit["import"], retry=False)
        if "error" in out["import"]:
            return out
        imported.write_text(json.dumps({**out["import"], "schema": schema}))
    trained = a.workdir_now / "trained.json"
    if a.reuse_db and trained.exists() and "reused" in out["import"]:
        out["train"] = {**json.loads(trained.read_text()), "reused": True}
    else:
        log(f"{scale}: training")
        out["train"] = child("train", a, [], limit["train"])
        if "error" in out["train"]:
            return out
        trained.write_text(json.dumps(out["train"]))
    if "suggest" in a.steps:
        log(f"{scale}: suggestions in-process")
        out["suggest_in_process"] = child("suggest", a, [], limit["suggest"])
    if "pricing" in a.steps:
        log(f"{scale}: seat prices")
        out["pricing"] = child("pricing", a, [], limit["suggest"])
    if "department" in a.steps:
        log(f"{scale}: the Department's report")
        out["department"] = child("department", a, [], limit["suggest"])
    out["http"] = {}
    if "http" not in a.steps:
        out["http"] = {"skipped": "not asked for (--steps)"}
    elif a.url_now.startswith("sqlite"):
        out["http"] = {"skipped": "the HTTP figures are for several workers on PostgreSQL"}
    elif not shutil.which("wrk"):
        out["http"] = {"skipped": "wrk is not installed (apt-get install wrk)"}
    else:
        for workers in a.workers:
            log(f"{scale}: HTTP, {workers} worker(s)")
            try:
                out["http"][f"workers_{workers}"] = http_bench(
                    a.url_now, a.workdir_now, workers, a.http_seconds, a.connections,
                    warm_limit_s=900 if big else 300)
            except Exception as exc:  # noqa: BLE001 - reported, and the run goes on
                out["http"][f"workers_{workers}"] = {"error": f"{type(exc).__name__}: {exc}"}
    out["plans"] = {}
    for n in a.cohorts if "plans" in a.steps else ():
        if n > size["n_clients"]:
            continue
        log(f"{scale}: plan for {n} clients")
        out["plans"][str(n)] = child("plan", a, ["--cohort", str(n), "--max-options",
                                                 str(MAX_OPTIONS)], limit["plan"])
    # The API's plan route keeps every eligible option: timed for the smallest cohort only
    # (1,000 clients), as a cohort of 100,000 would list hundreds of millions of pairs.
    smallest = min((n for n in a.cohorts if n <= min(size["n_clients"], 10_000)), default=None)
    if smallest is not None and not a.quick and "plans" in a.steps:
        log(f"{scale}: plan for {smallest} clients, every eligible option (as the API)")
        out["plans"][f"{smallest}_all_eligible"] = child(
            "plan", a, ["--cohort", str(smallest), "--max-options", "0"], limit["plan"])
    if not a.url_now.startswith("sqlite") and "explain" in a.steps:
        log(f"{scale}: EXPLAIN of the hot queries")
        try:
            from explain_queries import explain_all
            out["explain"] = explain_all(a.url_now, analyze=True, verbose=False)
        except Exception as exc:  # noqa: BLE001
            out["explain"] = {"error": f"{type(exc).__name__}: {exc}"}
    if a.drop_schemas:
        fresh_schema(a.database, schema, drop_only=True)
    return out


def _get(d: dict, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


GROWTH_METRICS = {
    "import_rows_per_s": ("import", "rows_per_s"),
    "train_seconds": ("train", "seconds"),
    "train_peak_rss_mb": ("train", "peak_rss_mb"),
    "matcher_build_seconds": ("suggest_in_process", "matcher_build_seconds"),
    "matcher_rss_mb": ("suggest_in_process", "matcher_rss_mb"),
    "suggest_median_ms": ("suggest_in_process", "median_ms"),
    "suggest_p99_ms": ("suggest_in_process", "p99_ms"),
    "options_within_reach": ("suggest_in_process", "mean_options_within_reach"),
    "eligible_scored": ("suggest_in_process", "mean_eligible_scored"),
    "http_1_suggest_rps": ("http", "workers_1", "suggestions", "requests_per_s"),
    "http_1_suggest_p99_ms": ("http", "workers_1", "suggestions", "p99_ms"),
    "http_4_suggest_rps": ("http", "workers_4", "suggestions", "requests_per_s"),
    "http_4_suggest_p99_ms": ("http", "workers_4", "suggestions", "p99_ms"),
    "http_4_server_rss_mb": ("http", "workers_4", "server_rss_mb"),
    "plan_1000_seconds": ("plans", "1000", "seconds"),
    "plan_1000_peak_rss_mb": ("plans", "1000", "peak_rss_mb"),
    "plan_10000_seconds": ("plans", "10000", "seconds"),
    "plan_10000_peak_rss_mb": ("plans", "10000", "peak_rss_mb"),
}


def growth(scales: dict) -> dict:
    """Each figure's ratio between scales, and its exponent: figure ∝ world size ** k."""
    names = [s for s in SCALES if s in scales]
    out = {}
    for lo_i, lo in enumerate(names):
        for hi in names[lo_i + 1:]:
            factor = SCALES[hi]["n_clients"] / SCALES[lo]["n_clients"]
            rows = {}
            for metric, path in GROWTH_METRICS.items():
                x, y = _get(scales[lo], *path), _get(scales[hi], *path)
                if isinstance(x, int | float) and isinstance(y, int | float) and x > 0 and y > 0:
                    rows[metric] = {"from": x, "to": y, "ratio": round(y / x, 2),
                                    "exponent": round(math.log(y / x) / math.log(factor), 2)}
            out[f"{lo}_to_{hi}"] = {"size_factor": factor, "figures": rows}
    # Within one world: plan time against cohort size.
    for name in names:
        plans = {int(k): v for k, v in (scales[name].get("plans") or {}).items()
                 if k.isdigit() and "seconds" in v}
        sizes = sorted(plans)
        if len(sizes) > 1:
            steps = {}
            for a, b in zip(sizes, sizes[1:], strict=False):
                ratio = plans[b]["seconds"] / max(plans[a]["seconds"], 0.01)
                steps[f"{a}_to_{b}"] = {"ratio": round(ratio, 2),
                                        "exponent": round(math.log(ratio) / math.log(b / a), 2)}
            if len(sizes) > 2:
                a, b = sizes[0], sizes[-1]
                ratio = plans[b]["seconds"] / max(plans[a]["seconds"], 0.01)
                steps[f"{a}_to_{b}"] = {"ratio": round(ratio, 2),
                                        "exponent": round(math.log(ratio) / math.log(b / a), 2)}
            out[f"{name}_plan_by_cohort"] = steps
    return out


def targets(scales: dict) -> dict:
    out = {}
    for name, s in scales.items():
        t = {}
        med = _get(s, "suggest_in_process", "median_ms")
        if med is not None:
            t["suggest_in_process_median_under_50ms"] = (
                med < TARGETS["suggest_in_process_median_ms"])
        w4 = _get(s, "http", "workers_4")
        if isinstance(w4, dict) and "suggestions" in w4 and "p99_ms" in w4["suggestions"]:
            t["http_4_workers_p99_under_200ms"] = w4["suggestions"]["p99_ms"] < 200
            t["http_4_workers_200_per_s"] = w4["suggestions"]["requests_per_s"] >= 200
            t["http_4_workers_half_of_trivial"] = (w4["suggestions_over_trivial"] or 0) >= 0.5
            quiet = w4.get("suggestions_2_connections") or {}
            if "p99_ms" in quiet:
                t["http_4_workers_p99_under_200ms_at_2_connections"] = quiet["p99_ms"] < 200
        pricing = s.get("pricing") or {}
        if "first_refresh_s" in pricing:
            t["prices_within_60s"] = pricing["first_refresh_s"] <= 60
            t["prices_after_accept_within_1s"] = pricing["refresh_after_accept_s"] <= 1
            t["priced_suggestion_p99_within_1_5x"] = pricing["p99_ratio_priced_to_plain"] <= 1.5
        year = _get(s, "department", "timings", "year", "median_s")
        if year is not None:
            t["department_year_within_5s"] = year <= TARGETS["department_year_seconds"]
        p1 = _get(s, "plans", "1000", "seconds")
        if p1 is not None:
            t["plan_1000_within_5s"] = p1 <= TARGETS["plan_1000_seconds"]
        p100 = _get(s, "plans", "100000")
        if isinstance(p100, dict) and "seconds" in p100:
            t["plan_100000_within_120s"] = p100["seconds"] <= 120
            t["plan_100000_within_8GB"] = p100["peak_rss_mb"] <= 8192
        out[name] = t
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="province,x10,national")
    ap.add_argument("--quick", action="store_true", help="a smoke run on a tiny world")
    ap.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB),
                    help="PostgreSQL URL (a schema bench_<scale> is made), or sqlite")
    ap.add_argument("--http-seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", default="1,4", help="API worker counts to measure")
    ap.add_argument("--samples", type=int, default=300, help="clients for in-process latency")
    ap.add_argument("--cohorts", default=",".join(map(str, COHORTS)))
    ap.add_argument("--steps",
                    default="suggest,pricing,department,http,plans,explain,simulate,review",
                    help="what to measure after build, import and train")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/matcher-bench"))
    ap.add_argument("--out", type=Path, default=HERE / "results",
                    help="directory for <timestamp>.json ('-' not to write)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--schema-prefix", default="bench",
                    help="PostgreSQL schemas are <prefix>_<scale>, kept for explain_queries.py")
    ap.add_argument("--reuse-world", action="store_true",
                    help="keep the world already written in the work directory, if the same")
    ap.add_argument("--reuse-db", action="store_true",
                    help="keep the schema and model a previous run of this scale left")
    ap.add_argument("--drop-schemas", action="store_true", help="drop them at the end")
    ap.add_argument("--budget-minutes", type=float, default=90,
                    help="no new scale is started after this")
    # a child's step
    ap.add_argument("--step", help=argparse.SUPPRESS)
    ap.add_argument("--scale", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--cohort", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--max-options", type=int, default=MAX_OPTIONS, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)

    if a.step:
        a.workdir = Path(a.workdir)
        steps = {"build": step_build, "import": step_import, "train": step_train,
                 "suggest": step_suggest, "plan": step_plan, "simulate": step_simulate,
                 "pricing": step_pricing, "department": step_department}
        print(json.dumps(steps[a.step](a), ensure_ascii=False, default=str))
        return 0

    a.workers = [int(w) for w in a.workers.split(",") if w]
    a.steps = {x.strip() for x in a.steps.split(",") if x.strip()}
    if a.quick:
        scales = ["quick"]
        a.cohorts = list(QUICK_COHORTS)
        a.http_seconds = min(a.http_seconds, 3)
        a.samples = min(a.samples, 30)
    else:
        scales = [s.strip() for s in a.scales.split(",") if s.strip()]
        a.cohorts = [int(c) for c in a.cohorts.split(",") if c]
        unknown = set(scales) - set(SCALES)
        if unknown:
            ap.error(f"unknown scale(s) {', '.join(sorted(unknown))}: use "
                     f"{', '.join(SCALES)}")
    a.workdir.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    doc: dict = {"command": "python bench/run_all.py " + " ".join(argv or sys.argv[1:]),
                 "started_utc": stamp, "machine": machine(a.database),
                 "settings": {"http_seconds": a.http_seconds, "connections": a.connections,
                              "workers": a.workers, "in_process_samples": a.samples,
                              "plan_max_options_per_client": MAX_OPTIONS, "seed": a.seed,
                              "database": "sqlite" if a.database.startswith("sqlite")
                              else "postgresql"},
                 "scales": {}}
    for scale in scales:
        if time.perf_counter() - began > a.budget_minutes * 60:
            doc["scales"][scale] = {"skipped": "the run's time budget was spent"}
            continue
        started = time.perf_counter()
        doc["scales"][scale] = run_scale(scale, a)
        doc["scales"][scale]["seconds"] = round(time.perf_counter() - started, 1)
    if "simulate" in a.steps:
        log("simulation: arrivals one at a time through the API (matcher simulate)")
        a.scale_now, a.workdir_now, a.url_now = "simulation", a.workdir / "simulation", "-"
        a.workdir_now.mkdir(parents=True, exist_ok=True)
        extra = ["--quick"] if a.quick else []
        doc["simulation"] = child("simulate", a, extra, 600 if a.quick else 1800)
    if "review" in a.steps and not a.quick:  # the demo world's size: nothing quick about it
        log("review: answers after a change while it is recomputed (bench/bench_review.py)")
        doc["review"] = script("bench_review.py", ["--changes", "10"], 900)
    doc["growth"] = growth(doc["scales"])
    doc["targets_met"] = targets(doc["scales"])
    doc["seconds"] = round(time.perf_counter() - began, 1)
    text = json.dumps(doc, ensure_ascii=False, indent=1, default=str)
    print(text)
    if str(a.out) != "-":
        a.out.mkdir(parents=True, exist_ok=True)
        path = a.out / f"{stamp}-{'-'.join(scales)}.json"
        path.write_text(text + "\n", encoding="utf-8")
        log(f"written to {path}")
    return 0


def script(name: str, args: list[str], timeout: int) -> dict:
    """A benchmark script of its own (bench/NAME) that prints one JSON document."""
    try:
        done = subprocess.run([sys.executable, str(HERE / name), *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"failed": f"ran past {timeout} s"}
    if done.returncode != 0:
        return {"failed": done.stderr[-2000:]}
    return json.loads(done.stdout)


if __name__ == "__main__":
    raise SystemExit(main())
