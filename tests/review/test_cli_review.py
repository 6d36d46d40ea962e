"""`matcher review [--json]` as a user runs it, on the demo world."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from matcher.review import REVIEW_KEYS
from tests import preloaded

EFFECT_KEYS = {"scope", "outcome", "naive", "adjusted", "ci_low", "ci_high", "n_placed",
               "n_compared"}


def run(demo, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": demo.url, "MATCHER_MODEL_DIR": str(demo.model_dir)}
    return preloaded.matcher("review", *args, env=env, timeout=900)


@pytest.mark.slow
def test_review_json_has_every_part_and_the_effects(demo_sqlite):
    done = run(demo_sqlite, "--json")
    assert done.returncode == 0, done.stderr
    review = json.loads(done.stdout)
    assert set(REVIEW_KEYS) <= set(review)
    assert review["data"]["simulated_lists"] > 0
    assert review["suggestion_quality"]["overall"]["decided"] > 0
    assert review["calibration"]["current"]["deciles"]
    assert review["fairness"]["steering"]["tests"]
    assert review["league"]["providers"]
    effects = review["effects"]
    assert effects, review.get("effects_note")
    for e in effects:
        assert EFFECT_KEYS <= set(e)
        assert e["outcome"] in ("success", "income_vnd_day")
    assert {e["scope"] for e in effects} >= {"overall"}


def test_review_summary_is_short_and_says_what_is_simulated(demo_sqlite):
    done = run(demo_sqlite, "--no-effects")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for words in ("Suggestions:", "Calibration", "Brier", "Fairness:", "Providers:",
                  "SIMULATED", "too few placements to say"):
        assert words in out
    assert len(out.splitlines()) < 40


def test_a_simulated_log_is_refused_where_real_lists_exist(db_url, tmp_path):
    from sqlalchemy.orm import Session

    from matcher.store.db import make_engine
    from matcher.store.tables import Suggestion

    engine = make_engine(db_url)
    with Session(engine) as s:
        s.add(Suggestion(client_id=None, model_version="x", entries=[{"option_id": "A"}]))
        s.commit()
    engine.dispose()
    env = {**os.environ, "DATABASE_URL": db_url, "MATCHER_MODEL_DIR": str(tmp_path)}
    done = preloaded.matcher("review", "--simulate-log", "5", "--no-effects", env=env)
    assert done.returncode == 1 and "demo world only" in done.stderr
