"""The review after a change: how long GET /v1/review and the /review page take to answer while
the new review is computed in the background, against how long computing it takes.

    .venv/bin/python bench/bench_review.py [--changes 10] [--pause 1.0]

Builds the demo world in a temporary SQLite database (seeded, the demo usernames with a
password of their own, a model trained on its history), starts the real server (uvicorn, one
worker, the product's default review settings: at most one computation per kind every 30 s),
signs in as programme staff, waits for the first review, then makes ``--changes`` catalogue
changes (a counter bumped, as an option's edit does), each followed by GET /v1/review (with
and without the effects) and GET /review. Prints JSON: each answer's median, p90 and maximum
in ms, how many answers were marked stale, and the stored computation times.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

PASSWORD = "bench-password-of-the-demo-usernames"
STAFF = "canbo.chuongtrinh"


def build_world(work: Path) -> tuple[str, Path]:
    from matcher.access.demo_users import add_accounts
    from matcher.ingest.seed import seed
    from matcher.outcomes import train
    from matcher.store.db import make_engine, transaction, upgrade

    url = f"sqlite:///{work / 'review.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    seed(engine)
    with transaction(engine) as session:
        add_accounts(session, PASSWORD)
    train(engine, model_dir=work / "models")
    engine.dispose()
    return url, work / "models"


def start_server(url: str, model_dir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": url, "MATCHER_MODEL_DIR": str(model_dir),
           "MATCHER_SECRET_KEY": "bench-secret-key-0123456789-0123456789-0123456789",
           "MATCHER_COOKIE_SECURE": "false", "MATCHER_REVIEW_FIRST_WAIT_S": "120"}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.main:app", "--host",
                             "127.0.0.1", "--port", str(port), "--no-access-log"],
                            env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError(log.read_text())


def summary(ms: list[float]) -> dict:
    ordered = sorted(ms)
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 1),
            "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
            "max_ms": round(max(ms), 1)}


def measure(changes: int, pause: float) -> dict:
    import httpx
    from sqlalchemy.orm import Session

    from matcher.review.snapshots import read_states
    from matcher.store import generations
    from matcher.store.db import make_engine

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        url, model_dir = build_world(work)
        setup_s = time.perf_counter() - started
        proc, base = start_server(url, model_dir, work / "server.log")
        engine = make_engine(url)
        try:
            token = httpx.post(f"{base}/v1/auth/token", timeout=60,
                               data={"username": STAFF, "password": PASSWORD}).json()
            api = httpx.Client(base_url=base, timeout=300,
                               headers={"Authorization": f"Bearer {token['access_token']}"})
            page = httpx.Client(base_url=base, timeout=300)
            form = page.get("/login").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form)
            signed = page.post("/login", data={"username": STAFF, "password": PASSWORD,
                                               "csrf": csrf.group(1) if csrf else ""})
            assert signed.status_code == 303, signed.text[:300]
            t0 = time.perf_counter()
            first = api.get("/v1/review", params={"effects": "true"})
            first_s = time.perf_counter() - t0
            timings: dict[str, list[float]] = {"api_quick": [], "api_full": [], "page": []}
            stale = dict.fromkeys(timings, 0)
            for _ in range(changes):
                with Session(engine) as s:
                    generations.bump(s, generations.CATALOG)
                    s.commit()
                for name, call in (
                        ("api_quick", lambda: api.get("/v1/review", params={"effects": "false"})),
                        ("api_full", lambda: api.get("/v1/review", params={"effects": "true"})),
                        ("page", lambda: page.get("/review"))):
                    t0 = time.perf_counter()
                    r = call()
                    timings[name].append(1000 * (time.perf_counter() - t0))
                    if name == "page":
                        stale[name] += 'data-stale="true"' in r.text
                    else:
                        stale[name] += bool(r.json().get("stale"))
                time.sleep(pause)
            with Session(engine) as s:
                computed = {k: v.seconds for k, v in read_states(s).items()}
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            engine.dispose()
    return {"benchmark": "review_after_change", "machine": platform.machine(),
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "setup_s": round(setup_s, 1), "first_review_status": first.status_code,
            "first_review_s": round(first_s, 2), "changes": changes,
            "answers": {k: summary(v) for k, v in timings.items()},
            "stale_answers": stale, "compute_s": computed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--pause", type=float, default=1.0)
    args = parser.parse_args()
    print(json.dumps(measure(args.changes, args.pause), indent=2))


if __name__ == "__main__":
    main()
