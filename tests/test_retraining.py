"""The retraining loop end to end: outcomes recorded through the real API feed a retrain; a
worse candidate is kept but not promoted; the previous version comes back with one command
and the API serves it; every suggestion carries the version that made it."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date, timedelta

import numpy as np
import pytest

from matcher.outcomes import fit_model, load_training_set
from matcher.outcomes.retrain import (
    holdout_mask,
    keep_candidate,
    list_versions,
    retrain,
    split_holdout,
)
from matcher.store.db import make_engine
from tests import preloaded
from tests.conftest import own_server

RECORDED = 40  # outcomes recorded through the API before the retrain


def _current(model_dir) -> str:
    return json.loads((model_dir / "current.json").read_text())["version"]


def _cli(env_db: str, model_dir, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": env_db, "MATCHER_MODEL_DIR": str(model_dir)}
    return preloaded.matcher(*args, env=env, timeout=600)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The demo world on SQLite, a model trained by the loop itself, and a running API."""
    tmp = tmp_path_factory.mktemp("retraining")
    model_dir = tmp / "models"

    def first_model(url: str):
        engine = make_engine(url)
        try:
            return retrain(engine, model_dir=model_dir)
        finally:
            engine.dispose()

    with own_server("sqlite", tmp, model_dir, before_start=first_model) as (server, first):
        assert first.promoted and first.current_before is None  # better than the prior
        yield {"url": server.db_url, "models": model_dir, "api": server, "first": first}


def _suggestion_version(api, user: str, client_id: str) -> str:
    with api.client(user) as c:
        r = c.post(f"/v1/clients/{client_id}/suggestions", json={"top": 3})
    assert r.status_code == 201, r.text
    body = r.json()
    with api.client(user) as c:
        stored = c.get(f"/v1/suggestions/{body['suggestion_id']}")
    assert stored.status_code == 200, stored.text
    assert stored.json()["model_version"] == body["model_version"]
    return body["model_version"]


def test_api_outcomes_feed_a_retrain_worse_candidates_wait_restore_brings_back(world):
    api, models, url = world["api"], world["models"], world["url"]
    first = _current(models)
    engine = make_engine(url)
    known_before = len(load_training_set_of(engine))

    # 1. A social worker records outcomes of ongoing placements through the API.
    user = "ctv.halong"
    with api.client(user) as c:
        page = c.get("/v1/placements", params={"status": "ongoing", "limit": 200}).json()
        # Starts at least six months ago, so that a follow-up today is allowed.
        due = [p for p in page["items"]
               if date.fromisoformat(p["start_date"]) <= date.today() - timedelta(days=1)]
        assert len(due) >= RECORDED, f"only {len(due)} ongoing placements to follow up"
        client_of = {p["placement_id"]: p["client_id"] for p in due}
        for k, p in enumerate(due[:RECORDED]):
            r = c.post(f"/v1/placements/{p['placement_id']}/outcome",
                       json={"status": "completed", "success": k % 2 == 0,
                             "income_vnd_day": 150_000 if k % 2 == 0 else 20_000,
                             "followed_up_on": date.today().isoformat()})
            assert r.status_code == 200, r.text
    recorded = load_training_set_of(engine)
    assert len(recorded) == known_before + RECORDED
    assert {p["placement_id"] for p in due[:RECORDED]} <= set(recorded.placement_ids)

    # 2. The admin retrains through the API: the new outcomes are in the candidate's data
    # (its training rows plus the held-out rows are every known outcome).
    with api.client("quantri") as c:
        r = c.post("/v1/model/train", timeout=600)
    assert r.status_code == 200, r.text
    trained = r.json()
    comparison = trained["comparison"]
    held = holdout_mask(recorded.client_ids)
    assert comparison["held_out_placements"] == int(held.sum())
    assert comparison["train_placements"] == int((~held).sum())
    assert comparison["comparable"] is True  # both trained by the loop: same held-out clients
    assert comparison["current"]["version"] == first
    assert trained["promoted"] is True, trained["reason"]
    second = trained["candidate_version"]
    assert trained["version"] == second == _current(models)
    assert trained["previous"] == first

    # A suggestion made now carries the promoted version, and it is stored with it.
    some_client = client_of[due[0]["placement_id"]]
    assert _suggestion_version(api, user, some_client) == second

    # 3. A deliberately worse candidate (trained on shuffled outcomes) is kept, not promoted
    # by the same step as retrain's (keep_candidate).
    split = split_holdout(load_training_set_of(engine))
    split.train.y = np.random.default_rng(0).permutation(split.train.y)
    result = keep_candidate(fit_model(split.train), split, model_dir=models).to_dict()
    assert result["promoted"] is False and "not promoted" in result["reason"]
    assert result["comparison"]["candidate"]["roc_auc"] < \
        result["comparison"]["current"]["roc_auc"]
    assert _current(models) == second
    # The command line says "not promoted" with exit status 3 (here: a candidate must beat
    # the current model's ROC AUC by a whole point, which none can).
    refused = _cli(url, models, "train", "--json", "--tolerance-auc", "-1")
    assert refused.returncode == 3, refused.stderr
    assert json.loads(refused.stdout)["promoted"] is False
    assert _current(models) == second
    listed = {v["version"]: v for v in list_versions(models)}
    assert listed[result["candidate_version"]]["promoted"] is False
    assert listed[second]["current"] and listed[second]["promoted"]
    shown = _cli(url, models, "model", "list")
    assert shown.returncode == 0
    assert any(line.startswith(f"* {second}") for line in shown.stdout.splitlines())

    # 4. One command restores the previous version; the API serves it.
    back = _cli(url, models, "model", "restore")
    assert back.returncode == 0, back.stderr
    assert _current(models) == first
    with api.client("canbo.chuongtrinh") as c:
        assert c.get("/v1/model").json()["version"] == first
    assert _suggestion_version(api, user, some_client) == first
    # ... and a named version by the same command (or over the API).
    again = _cli(url, models, "model", "restore", second)
    assert again.returncode == 0, again.stderr
    assert _suggestion_version(api, user, some_client) == second
    with api.client("quantri") as c:
        r = c.post("/v1/model/restore", json={})
        assert r.status_code == 200, r.text
        assert r.json()["version"] == first
        versions = c.get("/v1/model/versions").json()
    assert {v["version"] for v in versions} >= {first, second, result["candidate_version"]}
    assert [v["version"] for v in versions if v["current"]] == [first]
    engine.dispose()


def test_restore_refuses_an_artefact_that_does_not_match_its_card(world):
    models, url = world["models"], world["url"]
    before = _current(models)
    engine = make_engine(url)
    extra = retrain(engine, model_dir=models, force=True)  # a version to tamper with
    engine.dispose()
    victim = extra.candidate["version"]
    back = _cli(url, models, "model", "restore", before)
    assert back.returncode == 0, back.stderr
    artefact = models / f"model-{victim}.joblib"
    artefact.write_bytes(artefact.read_bytes() + b"\0")
    refused = _cli(url, models, "model", "restore", victim)
    assert refused.returncode == 1
    assert "sha256" in refused.stderr
    assert _current(models) == before
    missing = _cli(url, models, "model", "restore", "no-such-version")
    assert missing.returncode == 1 and _current(models) == before


def load_training_set_of(engine):
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        return load_training_set(session)


def test_the_promotion_policy_on_its_own():
    from matcher.outcomes.retrain import judge

    scheme = {"salt": "holdout", "fraction": 0.2}
    same_loop = {"holdout": scheme}
    better = judge({"roc_auc": 0.80, "brier": 0.20}, {"roc_auc": 0.78, "brier": 0.21},
                   same_loop, scheme, current_is_prior=False)
    assert better.promoted and better.comparable and not better.worse
    within = judge({"roc_auc": 0.776, "brier": 0.214}, {"roc_auc": 0.78, "brier": 0.21},
                   same_loop, scheme, current_is_prior=False)
    assert within.promoted  # inside both tolerances
    worse = judge({"roc_auc": 0.70, "brier": 0.25}, {"roc_auc": 0.78, "brier": 0.21},
                  same_loop, scheme, current_is_prior=False)
    assert not worse.promoted and len(worse.worse) == 2 and "not promoted" in worse.reason
    forced = judge({"roc_auc": 0.70, "brier": 0.25}, {"roc_auc": 0.78, "brier": 0.21},
                   same_loop, scheme, current_is_prior=False, force=True)
    assert forced.promoted and "by force" in forced.reason
    # A current model trained outside the loop saw the held-out clients: its card's
    # cross-validated figures are the reference, and the reason says so.
    other = judge({"roc_auc": 0.75, "brier": 0.22}, {"roc_auc": 0.90, "brier": 0.15},
                  {"validation": {"roc_auc": 0.74, "brier": 0.225}}, scheme,
                  current_is_prior=False)
    assert other.promoted and not other.comparable
    assert other.compared_with["roc_auc"] == 0.74 and "cross-validated" in other.reason
