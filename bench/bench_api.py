"""API throughput: the suggestions endpoint against a trivial authenticated one, same run.

Seeds the demo world into a fresh PostgreSQL schema, trains a model, starts the real server
(uvicorn, 4 workers), and drives it with wrk (Debian package `wrk`) from a second process:
first GET /v1/me (sign-in check only), then POST /v1/clients/{id}/suggestions over the
caseload's clients. Prints one JSON object.

Targets (issue 4): suggestions >= 200 requests/s with p99 < 200 ms, and at least half the
throughput of the trivial endpoint.

    .venv/bin/python bench/bench_api.py [--seconds 20] [--connections 16] [--workers 4]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import wrk_runs  # noqa: E402 - bench/wrk_runs.py, beside this script

from matcher.access.demo_users import add_accounts  # noqa: E402
from matcher.ingest.seed import seed  # noqa: E402
from matcher.outcomes import train  # noqa: E402
from matcher.store.db import make_engine, transaction, upgrade  # noqa: E402
from matcher.store.tables import Client, User  # noqa: E402
from tests.api.server import TEST_PASSWORD, start  # noqa: E402

SCHEMA = "bench_api"


def _wrk(url: str, token: str, seconds: int, connections: int, script: Path | None,
         path: str) -> dict:
    result = wrk_runs.run(url, token, seconds, connections, script, path)
    if "error" in result:
        raise RuntimeError(f"wrk failed: {result['error']}")
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--database", default=os.environ.get(
        "DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    base = args.database.replace("postgresql://", "postgresql+psycopg://")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    url = f"{base}?options=-csearch_path%3D{SCHEMA}"
    work = Path(tempfile.mkdtemp(prefix="bench-api-"))
    engine = make_engine(url)
    upgrade(engine)
    seed(engine)
    with transaction(engine) as session:
        add_accounts(session, TEST_PASSWORD)  # not a demo database: not the demo password
        worker = session.scalar(select(User.user_id).where(User.username == "ctv.halong"))
        ids = list(session.scalars(select(Client.client_id)
                                   .where(Client.caseworker_id == worker).limit(200)))
    train(engine, model_dir=work / "models")
    server = start(url, work / "models", "postgresql", workers=args.workers,
                   log=work / "server.log")
    try:
        token = httpx.post(f"{server.url}/v1/auth/token",
                           data={"username": "ctv.halong", "password": TEST_PASSWORD}
                           ).json()["access_token"]
        script = wrk_runs.suggest_script(work / "suggest.lua", ids)
        # Warm every worker: each builds its matcher on its first suggestion.
        _wrk(server.url, token, 5, args.connections, script, "/")
        time.sleep(1)
        trivial = _wrk(server.url, token, args.seconds, args.connections, None, "/v1/me")
        suggest = _wrk(server.url, token, args.seconds, args.connections, script, "/")
    finally:
        server.stop()
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    ratio = suggest["requests_per_s"] / trivial["requests_per_s"]
    print(json.dumps({
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "workers": args.workers, "connections": args.connections, "seconds": args.seconds,
        "database": "postgresql", "trivial_me": trivial, "suggestions": suggest,
        "suggestions_over_trivial": round(ratio, 3),
        "targets_met": {"rps_200": suggest["requests_per_s"] >= 200,
                        "p99_under_200ms": (suggest["p99_ms"] or 1e9) < 200,
                        "half_of_trivial": ratio >= 0.5},
    }, indent=2))


if __name__ == "__main__":
    main()
