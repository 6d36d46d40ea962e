"""`matcher train | suggest | explain | allocate` as a user runs them, and their bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import preloaded


@pytest.fixture(scope="module")
def env(small_world, tmp_path_factory):
    """The small world's database with a model directory of this module's own."""
    model_dir = tmp_path_factory.mktemp("models")
    for f in Path(small_world["model_dir"]).iterdir():
        shutil.copy(f, model_dir / f.name)
    return {**os.environ, "DATABASE_URL": str(small_world["engine"].url),
            "MATCHER_MODEL_DIR": str(model_dir)}


def run(env, *args: str) -> subprocess.CompletedProcess:
    return preloaded.matcher(*args, env=env)


def a_client(small_world) -> str:
    clients = small_world["world"].clients
    return clients.loc[clients["birth_date"] < "2000-01-01", "client_id"].iloc[0]


def test_suggest_json_is_the_contract_shape(env, small_world):
    out = run(env, "suggest", a_client(small_world), "--top", "3", "--json")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["client_id"] == a_client(small_world) and body["model_version"] != "prior"
    assert 0 < len(body["suggestions"]) <= 3
    first = body["suggestions"][0]
    assert {"option_id", "kind", "score", "p_success", "reasons"} <= set(first)
    text = run(env, "suggest", a_client(small_world), "--top", "2")
    assert text.returncode == 0 and "options eligible" in text.stdout


def test_suggest_for_an_unsaved_profile(env, tmp_path):
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps({"birth_date": "1990-01-01", "gender": "male",
                                   "group": "after_prison", "place": "Cẩm Phả",
                                   "interests": "sua xe may"}), encoding="utf-8")
    out = run(env, "suggest", "--profile", str(profile), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["client_id"] is None
    profile.write_text(json.dumps({"birth_date": "2035-01-01"}), encoding="utf-8")
    bad = run(env, "suggest", "--profile", str(profile))
    assert bad.returncode == 1 and "column gender: required" in bad.stderr


def test_unknown_ids_exit_1(env, small_world):
    assert run(env, "suggest", "KH-NOBODY").returncode == 1
    out = run(env, "explain", a_client(small_world), "OP-NOTHING")
    assert out.returncode == 1 and "unknown option OP-NOTHING" in out.stderr


def test_explain(env, small_world):
    options = small_world["world"].options
    out = run(env, "explain", a_client(small_world), options["option_id"].iloc[0], "--json")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["eligible"] or body["failed_rules"]


def test_allocate(env, small_world, tmp_path):
    clients = small_world["world"].clients["client_id"].iloc[:40]
    cohort = tmp_path / "cohort.csv"
    cohort.write_text("client_id\n" + "\n".join(clients) + "\n", encoding="utf-8")
    out = run(env, "allocate", str(cohort), "--json")
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert set(plan) >= {"assignments", "objective", "baselines", "unassigned"}
    assert {"greedy", "status_quo", "random"} <= set(plan["baselines"])
    assert len(plan["assignments"]) + len(plan["unassigned"]) == 40
    for base in plan["baselines"].values():
        assert plan["objective"] >= base["objective"] - 1e-6
    budget = run(env, "allocate", str(cohort), "--budget", "5000000",
                 "--priority", "youth_at_risk=2", "--json")
    assert budget.returncode == 0, budget.stderr
    assert json.loads(budget.stdout)["cost_vnd"] <= 5_000_000


@pytest.mark.parametrize(("content", "args", "words"), [
    ("client_id\n", (), "empty cohort"),
    ("client_id\nKH-NOBODY\n", (), "unknown clients: KH-NOBODY"),
    ("client_id\nX1\nX1\n", (), "duplicate X1"),
    ("name\nAn\n", (), "one column, client_id"),
    (None, ("--budget", "-1"), "0 or more"),
    (None, ("--priority", "pirates=2"), "group=weight"),
])
def test_allocate_bad_input(env, small_world, tmp_path, content, args, words):
    cohort = tmp_path / "cohort.csv"
    cohort.write_text(content or f"client_id\n{a_client(small_world)}\n", encoding="utf-8")
    out = run(env, "allocate", str(cohort), *args)
    assert out.returncode == 1 and words in out.stderr, out.stderr


def test_train_prints_the_card_and_a_tampered_model_is_refused(env, small_world):
    # --force: this is about the card and the artefact check, not the promotion rule
    # (tests/test_retraining.py), so the new version is made current whatever it scores.
    out = run(env, "train", "--json", "--force")
    assert out.returncode == 0, out.stderr
    card = json.loads(out.stdout)
    assert card["promoted"] is True
    for key in ("version", "trained_at", "data_hash", "rows", "features", "libraries",
                "validation", "calibration", "artefact_sha256"):
        assert key in card
    artefact = Path(env["MATCHER_MODEL_DIR"]) / card["artefact"]
    data = bytearray(artefact.read_bytes())
    data[len(data) // 2] ^= 0xFF
    artefact.write_bytes(bytes(data))
    refused = run(env, "suggest", a_client(small_world))
    assert refused.returncode == 1 and "sha256" in refused.stderr
