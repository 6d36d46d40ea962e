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
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matcher.demo_users import DEMO_PASSWORD, add_demo_users  # noqa: E402
from matcher.ingest.seed import seed  # noqa: E402
from matcher.outcomes import train  # noqa: E402
from matcher.store.db import make_engine, transaction, upgrade  # noqa: E402
from matcher.store.tables import Client, User  # noqa: E402
from tests.api.server import start  # noqa: E402

SCHEMA = "bench_api"
LUA_SUGGEST = """
local ids = {%s}
local i = 0
request = function()
  i = i + 1
  local id = ids[(i %% #ids) + 1]
  return wrk.format("POST", "/v1/clients/" .. id .. "/suggestions", nil, '{"top": 10}')
end
"""


def _wrk(url: str, token: str, seconds: int, connections: int, script: str | None,
         path: str) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
           "-H", f"Authorization: Bearer {token}", "-H", "Content-Type: application/json"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url + path], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    pct = {p: _ms(v) for p, v in re.findall(r"\s(50|75|90|99)%\s+([\d.]+\w+)", out)}
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"requests_per_s": rps, "p50_ms": pct.get("50"), "p99_ms": pct.get("99"),
            "requests": total, "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return round(float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit], 2)


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
        add_demo_users(session)
        worker = session.scalar(select(User.user_id).where(User.username == "ctv.halong"))
        ids = list(session.scalars(select(Client.client_id)
                                   .where(Client.caseworker_id == worker).limit(200)))
    train(engine, model_dir=work / "models")
    server = start(url, work / "models", "postgresql", workers=args.workers,
                   log=work / "server.log")
    try:
        token = httpx.post(f"{server.url}/v1/auth/token",
                           data={"username": "ctv.halong", "password": DEMO_PASSWORD}
                           ).json()["access_token"]
        script = work / "suggest.lua"
        script.write_text(LUA_SUGGEST % ", ".join(f'"{i}"' for i in ids))
        # Warm every worker: each builds its matcher on its first suggestion.
        _wrk(server.url, token, 5, args.connections, str(script), "/")
        time.sleep(1)
        trivial = _wrk(server.url, token, args.seconds, args.connections, None, "/v1/me")
        suggest = _wrk(server.url, token, args.seconds, args.connections, str(script), "/")
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
