"""The `matcher` command as a user runs it: a real process, a real database, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from matcher.settings import DEMO_DIR
from tests import preloaded
from tests.importing.helpers import GOOD, snapshot, write_csv

MATCHER = shutil.which("matcher", path=str(Path(sys.executable).parent)) or "matcher"


def run(*args: str, db_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": db_url}
    return preloaded.matcher(*args, env=env)


def test_import_exit_codes_and_messages(db_url, engine, tmp_path):
    ok = run("import", "providers", str(write_csv(tmp_path / "p.csv", GOOD["providers"])),
             db_url=db_url)
    assert ok.returncode == 0, ok.stderr
    assert "providers: 3 rows read, 3 created" in ok.stdout

    bad = [dict(r) for r in GOOD["options"]]
    bad[1]["capacity"] = "-1"
    before = snapshot(engine)
    out = run("import", "options", str(write_csv(tmp_path / "o.csv", bad)), db_url=db_url)
    assert out.returncode == 1
    assert "row 3, column capacity" in out.stderr and "nothing was changed" in out.stderr
    assert snapshot(engine) == before

    as_json = run("import", "options", str(tmp_path / "o.csv"), "--json", db_url=db_url)
    assert as_json.returncode == 1
    body = json.loads(as_json.stdout)
    assert body["ok"] is False
    assert {"row": 3, "column": "capacity"}.items() <= body["problems"][0].items()


@pytest.mark.slow
def test_seed_loads_the_demo_world_through_import(db_url, engine):
    out = run("seed", db_url=db_url)
    assert out.returncode == 0, out.stderr
    for kind in ("providers", "options", "clients", "placements", "followups"):
        rows = sum(1 for _ in (DEMO_DIR / f"{kind}.csv").open(encoding="utf-8")) - 1
        assert f"{kind}: {rows} rows read" in out.stdout
    again = run("seed", db_url=db_url)
    assert again.returncode == 1 and "already holds data" in again.stderr
    assert run("seed", "--if-empty", db_url=db_url).returncode == 0


def test_seed_of_a_broken_demo_leaves_the_database_empty(db_url, engine, tmp_path):
    for kind, rows in GOOD.items():
        write_csv(tmp_path / f"{kind}.csv", rows)
    broken = [dict(r) for r in GOOD["placements"]]
    broken[0]["option_id"] = "OP404"
    write_csv(tmp_path / "placements.csv", broken)
    before = snapshot(engine)
    out = run("seed", "--directory", str(tmp_path), db_url=db_url)
    assert out.returncode == 1 and "unknown option OP404" in out.stderr
    assert snapshot(engine) == before


def test_providers_duplicates_merge_unmerge_and_distinct(db_url, engine, tmp_path):
    near = [{"provider_id": "H1", "name": "Tiệm may Hoa", "kind": "trainer",
             "place": "Hồng Gai", "phone": ""},
            {"provider_id": "H2", "name": "Tiệm may Hòa", "kind": "trainer",
             "place": "Hồng Gai", "phone": ""},
            {"provider_id": "H3", "name": "Tiệm may Hóa", "kind": "trainer",
             "place": "Hồng Gai", "phone": ""}]
    out = run("import", "providers", str(write_csv(tmp_path / "p.csv", near)), db_url=db_url)
    assert out.returncode == 0, out.stderr
    assert "possible duplicates imported as new" in out.stdout
    listed = run("providers", "duplicates", "--json", db_url=db_url)
    pairs = json.loads(listed.stdout)["pairs"]
    assert {(p["a"]["provider_id"], p["b"]["provider_id"]) for p in pairs} == {
        ("H1", "H2"), ("H1", "H3")}

    merged = run("providers", "merge", "H1", "H2", db_url=db_url)
    assert merged.returncode == 0 and "merge 1" in merged.stdout, merged.stderr
    kept_apart = run("providers", "distinct", "H1", "H3", db_url=db_url)
    assert kept_apart.returncode == 0, kept_apart.stderr
    assert "no possible duplicates" in run("providers", "duplicates", db_url=db_url).stdout

    before = snapshot(engine)
    for args, words in ((("merge", "H1", "H1"), "into itself"),
                        (("merge", "H1", "H2"), "no provider H2"),
                        (("unmerge", "7"), "no merge 7")):
        refused = run("providers", *args, db_url=db_url)
        assert refused.returncode == 1 and words in refused.stderr, refused.stderr
        assert "nothing was changed" in refused.stderr
    assert snapshot(engine) == before
    undone = run("providers", "unmerge", "1", db_url=db_url)
    assert undone.returncode == 0 and "undone" in undone.stdout, undone.stderr
