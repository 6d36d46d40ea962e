"""Driving the API with wrk (loopback) and reading its report: shared by run_all and bench_api."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

# Each request a suggestion for the next client of the list (round robin).
LUA_SUGGEST = """
local ids = {%s}
local i = 0
request = function()
  i = i + 1
  local id = ids[(i %% #ids) + 1]
  return wrk.format("POST", "/v1/clients/" .. id .. "/suggestions", nil, '{"top": 10}')
end
"""


def suggest_script(path: Path, client_ids: list[str]) -> Path:
    """Write the wrk script that asks for suggestions for these clients in turn."""
    path.write_text(LUA_SUGGEST % ", ".join(f'"{i}"' for i in client_ids))
    return path


def version() -> str:
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return (out.stdout + out.stderr).strip().splitlines()[0][:60]


def ms(value: str) -> float:
    """wrk's "1.23ms", "850.00us", "2.10s" in milliseconds."""
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return round(float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit], 2)


def run(url: str, token: str, seconds: int, connections: int, script: Path | None,
        path: str) -> dict:
    """One wrk run (2 threads, ``connections`` connections, 30 s per-request timeout);
    ``{"error": ...}`` when wrk failed."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency",
           "-H", f"Authorization: Bearer {token}", "-H", "Content-Type: application/json"]
    if script:
        cmd += ["-s", str(script)]
    done = subprocess.run(cmd + [url + path], capture_output=True, text=True,
                          timeout=seconds + 60)
    out = done.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if done.returncode or not rps:
        return {"error": (done.stderr or out)[-300:]}
    pct = {p: ms(v) for p, v in re.findall(r"\s(50|75|90|99)%\s+([\d.]+\w+)", out)}
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    worst = re.search(r"Latency\s+\S+\s+\S+\s+([\d.]+\w+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    return {"requests_per_s": round(float(rps.group(1)), 1), "p50_ms": pct.get("50"),
            "p90_ms": pct.get("90"), "p99_ms": pct.get("99"),
            "max_ms": ms(worst.group(1)) if worst else None,
            "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": sum(map(int, errors.groups())) if errors else 0}
