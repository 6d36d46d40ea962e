"""The whole review on the demo world (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session

from matcher.review import REVIEW_KEYS, build_review
from matcher.review.replay import RealLogPresent, replay_log
from matcher.store.db import make_engine
from matcher.store.tables import Suggestion
from tests.review.conftest import REPLAYED

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def review(demo):
    return build_review(demo.engine, demo.model_dir, with_effects=False)


def test_every_part_is_there_and_plain_json(review):
    assert set(REVIEW_KEYS) <= set(review)
    assert json.loads(json.dumps(review)) == review
    assert review["effects"] == [] and review["effects_note"]


def test_suggestion_quality_on_the_simulated_log(review):
    q = review["suggestion_quality"]
    assert 0 < q["n_lists"] <= REPLAYED and q["n_simulated"] == q["n_lists"]
    assert q["note"]["code"] == "quality.simulated" and "SIMULATED" in q["note"]["message"]
    assert q["note"] in review["warnings"]
    o = q["overall"]
    assert 0 < o["acceptance"]["rate"] < 1
    assert sum(o["accepted_rank_counts"].values()) == o["acceptance"]["k"]
    assert o["days_to_placement"]["n"] == o["acceptance"]["k"]
    for part in ("by_social_worker", "by_group", "by_place", "by_kind"):
        assert q[part], part
    assert {r["social_worker"] for r in q["by_social_worker"]} <= {
        "ctv.halong", "ctv.uongbi", "ctv.campha", "unknown"}


def test_calibration_is_out_of_fold_and_adds_up(review):
    cal = review["calibration"]["current"]
    assert cal["predictions"]["code"] == "predictions.out_of_fold"
    assert cal["predictions"]["message"].startswith("out-of-fold")
    assert len(cal["deciles"]) == 10 and sum(d["n"] for d in cal["deciles"]) == cal["n"]
    b = cal["brier"]
    assert b["reliability"] - b["resolution"] + b["uncertainty"] + b["within_bin"] == \
        pytest.approx(b["brier"], abs=1e-3)
    # Scoring its own training rows flatters the model.
    assert cal["brier_in_sample"] < b["brier"]
    assert review["calibration"]["drift"]["checked"]


def test_fairness_and_league_have_their_tests_and_flags(review):
    fair = review["fairness"]
    assert set(fair["dimensions"]) == {"group", "gender", "age_band", "place"}
    assert "Holm" in fair["tests"]["success"]["message"]
    assert set(fair["steering"]["tests"]) == {
        "placed_in_wished_trade", "placed_wage_vnd_day", "suggested_first_in_wished_trade",
        "suggested_mean_wage_vnd_day"}
    league = review["league"]
    flags = league["provider_flags"]
    assert sum(flags.values()) == len(league["providers"])
    assert flags["too few placements to say"] > 0
    for row in league["providers"]:
        if row["flag"] in ("replicate", "review"):
            assert row["n"] >= league["min_n"] and abs(row["z"]) > 3.09
    # Case-mix expected successes add up to the observed ones over the province.
    total_o = sum(r["observed"] for r in league["providers"])
    total_e = sum(r["expected"] for r in league["providers"])
    assert total_e == pytest.approx(total_o, rel=1e-3)
    assert league["livelihood_models"] and league["funnel"]


def test_the_dashboard_gives_the_reviews_answers(demo, review):
    """One question, one answer: the dashboard's calibration (out of fold) and decline
    reasons ("none" for no reason) are the review's, computed separately here."""
    from matcher.review import dashboard

    with Session(demo.engine) as s:
        dash = dashboard.dashboard(s, build_review(s, demo.model_dir, with_effects=False))
    current = review["calibration"]["current"]
    cal = dash["calibration"]
    assert cal["n"] == current["n"] > 1000
    assert cal["brier"] == current["brier"]["brier"]
    assert cal["bins"] == current["deciles"] and cal["predictions"] == current["predictions"]
    assert cal["model_version"] == review["model"]["version"]
    declines = review["suggestion_quality"]["decline_reasons"]
    assert declines and dash["declines"] == declines


def test_a_replay_into_a_real_log_is_refused(db_url, tmp_path):
    engine = make_engine(db_url)
    with Session(engine) as s:
        s.add(Suggestion(client_id=None, model_version="x", entries=[{"option_id": "A"}]))
        s.commit()
    with pytest.raises(RealLogPresent):
        replay_log(engine, tmp_path)
    engine.dispose()
