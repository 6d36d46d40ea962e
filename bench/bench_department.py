"""The Department's report: how long :func:`matcher.review.department.department_report`
takes for a whole year and for each quarter of it, on a database holding a world, and
how long the year's Excel file then takes to write (api.report_xlsx).

    .venv/bin/python bench/bench_department.py --url URL [--year 2025] [--repeat 3]
    .venv/bin/python bench/bench_department.py --build national [--database URL]

``--url`` reads a database a world was imported into (``make bench`` leaves one schema per
scale, bench_<scale>); ``--build SCALE`` builds that scale's seeded world (bench/run_all.py's
SCALES), imports it through the data contract into a fresh PostgreSQL schema
``dept_<scale>`` (or a SQLite file with a sqlite ``--database``) and then measures. Each
timing is the best and the median of ``--repeat`` runs, each in a session of its own. Prints
JSON: the machine, the rows, the timings and the year's province figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import run_all  # noqa: E402 - bench/run_all.py: the scales, the world's build and import

TARGET_S = run_all.TARGETS["department_year_seconds"]


def build(scale: str, database: str, workdir: Path) -> str:
    """The URL of a fresh database holding the seeded world of ``scale``."""
    import os

    os.environ.setdefault("MATCHER_IMPORT_MAX_MB", "2000")  # a national file is 22 MB
    a = types.SimpleNamespace(seed=11, scale=scale, workdir=workdir / scale)
    a.workdir.mkdir(parents=True, exist_ok=True)
    run_all.step_build(a)
    schema = f"dept_{scale}"
    run_all.fresh_schema(database, schema)
    a.url = run_all.schema_url(database, schema, a.workdir)
    run_all.step_import(a)
    return a.url


def measure(url: str, year: int, repeat: int) -> dict:
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from matcher.review.department import department_report
    from matcher.store.db import make_engine
    from matcher.store.tables import Client, FollowUp, Option, Placement
    from matcher.vocab.places import load_place_index

    engine = make_engine(url)
    places = load_place_index()
    out: dict = {"year": year, "repeat": repeat}
    with Session(engine) as session:
        out["rows"] = {name: session.scalar(select(func.count()).select_from(table))
                       for name, table in (("clients", Client), ("options", Option),
                                           ("placements", Placement),
                                           ("followups", FollowUp))}
    timings: dict[str, dict] = {}
    for quarter in (None, 1, 2, 3, 4):
        seconds = []
        for _ in range(repeat):
            with Session(engine) as session:
                started = time.perf_counter()
                report = department_report(session, year, quarter, places=places)
                seconds.append(time.perf_counter() - started)
        key = "year" if quarter is None else f"q{quarter}"
        timings[key] = {"best_s": round(min(seconds), 3),
                        "median_s": round(statistics.median(seconds), 3)}
        if quarter is None:
            year_report = report
            out["year_figures"] = report.total["values"]
            out["year_rows"] = {"groups": len(report.by_group), "places": len(report.by_place),
                                "providers": len(report.by_provider)}
    engine.dispose()
    from api.report_xlsx import workbook  # the download's own writer
    from api.web.i18n import Translator

    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        size = len(workbook(year_report, Translator("vi")))
        seconds.append(time.perf_counter() - started)
    timings["year_xlsx_written"] = {"best_s": round(min(seconds), 3),
                                    "median_s": round(statistics.median(seconds), 3),
                                    "bytes": size}
    out["timings"] = timings
    out["target_s"] = TARGET_S
    out["met"] = timings["year"]["median_s"] <= TARGET_S
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="a database holding a world")
    ap.add_argument("--build", choices=sorted(run_all.SCALES), help="build and import a world")
    ap.add_argument("--database", default=run_all.DEFAULT_DB.replace("+psycopg", ""))
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/matcher-bench-department"))
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    if not (a.url or a.build):
        ap.error("give --url or --build")
    doc: dict = {"command": "python bench/bench_department.py " + " ".join(sys.argv[1:]),
                 "machine": run_all.machine(a.url or a.database)}
    if a.build:
        started = time.perf_counter()
        a.url = build(a.build, a.database, a.workdir)
        doc["build_and_import_s"] = round(time.perf_counter() - started, 1)
    doc.update(measure(a.url, a.year, a.repeat))
    print(json.dumps(doc, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
