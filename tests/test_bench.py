"""The benchmark harness (bench/run_all.py, ``make bench``) itself: a smoke run end to end.

``--quick`` builds a tiny world, imports it, trains, suggests in-process, drives the API over
HTTP with wrk (when installed and the database is PostgreSQL; otherwise that part is skipped
and says why), plans a cohort and EXPLAINs the hot queries, and prints one JSON document.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import _postgres_base_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import run_all  # noqa: E402


def test_quick_run_prints_every_figure(tmp_path):
    base = _postgres_base_url()
    database = base or "sqlite"
    prefix = f"benchtest_{uuid.uuid4().hex[:8]}"
    cmd = [sys.executable, str(ROOT / "bench" / "run_all.py"), "--quick", "--workers", "1",
           "--http-seconds", "2", "--samples", "10", "--workdir", str(tmp_path),
           "--out", str(tmp_path / "results"), "--database", database,
           "--schema-prefix", prefix, "--drop-schemas"]
    # A safety net, not a target (each step is a fresh process): it took 121 s under the whole
    # suite on a slow day (2026-12-07).
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=420, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(done.stdout)
    assert list((tmp_path / "results").glob("*.json")), "the result file is written"

    assert {"cpu", "cores", "ram_gib", "python", "os", "postgresql"} <= doc["machine"].keys()
    assert {"growth", "targets_met", "settings", "seconds"} <= doc.keys()
    quick = doc["scales"]["quick"]
    for step in ("build", "import", "train", "suggest_in_process", "pricing", "department",
                 "plans"):
        assert "error" not in quick[step], (step, quick[step])
    department = quick["department"]
    assert set(department["timings"]) == {"year", "q1", "q2", "q3", "q4", "year_xlsx_written"}
    assert department["rows"]["placements"] == 600 and "department_year_within_5s" in \
        doc["targets_met"]["quick"]
    prices = quick["pricing"]
    assert prices["first_refresh_s"] > 0 and prices["waiting"] > 0
    assert 0 < prices["suggest_priced_median_ms"] <= prices["suggest_priced_p99_ms"]
    assert set(doc["targets_met"]["quick"]) >= {"prices_within_60s",
                                                "prices_after_accept_within_1s"}
    assert quick["build"]["rows"]["clients"] == 300
    assert set(quick["import"]["files"]) == {"providers", "options", "clients", "placements",
                                             "followups"}
    assert all(f["rows_per_s"] > 0 for f in quick["import"]["files"].values())
    assert quick["train"]["seconds"] > 0 and quick["train"]["peak_rss_mb"] > 0
    s = quick["suggest_in_process"]
    assert 0 < s["median_ms"] <= s["p99_ms"] and s["clients_sampled"] == 10
    plan = quick["plans"]["100"]
    assert plan["cohort"] == 100 and plan["seconds"] >= 0 and plan["peak_rss_mb"] > 0
    for figures in (quick["train"], s, plan):
        assert "load_average_before" in figures
    simulation = doc["simulation"]
    assert "error" not in simulation, simulation
    assert [row["arrivals"] for row in simulation["rows"]] == [40] * len(simulation["rows"])
    assert simulation["rows"] and all(row["share"]["oracle"] == 1.0
                                      for row in simulation["rows"])

    if base is None:
        assert "skipped" in quick["http"]
        pytest.skip("no PostgreSQL (DATABASE_URL): the HTTP figures and EXPLAIN were skipped")
    if not shutil.which("wrk"):
        assert "wrk" in quick["http"]["skipped"]
    else:
        w1 = quick["http"]["workers_1"]
        assert "error" not in w1, w1
        assert w1["suggestions"]["requests"] > 0 and w1["suggestions"]["non_2xx"] == 0
        assert w1["trivial_me"]["requests_per_s"] > 0 and w1["suggestions_over_trivial"] > 0
        assert w1["suggestions_2_connections"]["requests"] > 0
    explain = quick["explain"]
    assert "error" not in explain, explain
    names = {q["query"] for q in explain["queries"]}
    assert any("seat reservation" in n for n in names)
    by_name = {q["query"]: q for q in explain["queries"]}
    assert by_name["placements of a client"]["uses_index"]


def test_growth_gives_ratios_and_exponents():
    province = {"train": {"seconds": 1.0}, "suggest_in_process": {"median_ms": 2.0},
                "plans": {"1000": {"seconds": 0.5}}}
    national = {"train": {"seconds": 100.0}, "suggest_in_process": {"median_ms": 20.0},
                "plans": {"1000": {"seconds": 5.0}, "100000": {"seconds": 50.0,
                                                            "peak_rss_mb": 3000}}}
    out = run_all.growth({"province": province, "national": national})
    figures = out["province_to_national"]["figures"]
    assert out["province_to_national"]["size_factor"] == 100
    assert figures["train_seconds"] == {"from": 1.0, "to": 100.0, "ratio": 100.0,
                                        "exponent": 1.0}
    assert figures["suggest_median_ms"]["exponent"] == 0.5
    assert out["national_plan_by_cohort"]["1000_to_100000"]["exponent"] == 0.5
    met = run_all.targets({"national": national})["national"]
    assert met["plan_100000_within_120s"] and met["plan_100000_within_8GB"]
    assert met["suggest_in_process_median_under_50ms"]
