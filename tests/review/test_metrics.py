"""Calibration, fairness, league and quality figures on planted hand-made data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.review.calibration import band_check, drift
from matcher.review.fairness import calibration_levels, compare_levels, steering
from matcher.review.league import AS_EXPECTED, REPLICATE, REVIEW, TOO_FEW, league_table
from matcher.review.quality import per_list, suggestion_quality


def _draw(rng, p):
    return (rng.random(len(p)) < p).astype(float)


def test_a_group_served_worse_is_flagged_and_an_equal_one_is_not():
    rng = np.random.default_rng(3)
    keys = np.repeat(["worse", "equal_a", "equal_b", "tiny"], [400, 400, 400, 12])
    p = np.where(keys == "worse", 0.35, 0.55)
    p[keys == "tiny"] = 0.0
    rows = {r["level"]: r for r in compare_levels(keys, _draw(rng, p))}
    assert rows["worse"]["served_worse"] and rows["worse"]["p_holm"] < 0.05
    assert not rows["equal_a"]["served_worse"] and not rows["equal_b"]["served_worse"]
    assert not rows["tiny"]["tested"] and not rows["tiny"]["served_worse"]


def test_equal_groups_are_rarely_flagged():
    flagged = 0
    for seed in range(40):
        rng = np.random.default_rng(100 + seed)
        keys = np.repeat(list("abcd"), 150)
        flagged += any(r["served_worse"] for r in compare_levels(keys, _draw(rng, np.full(600,
                                                                                   0.5))))
    assert flagged <= 4  # 5% family-wise, Holm


def test_calibration_by_group_flags_an_overpredicted_group():
    rng = np.random.default_rng(4)
    keys = np.repeat(["over", "fine"], 500)
    p = np.full(1000, 0.6)
    truth = np.where(keys == "over", 0.4, 0.6)
    rows = {r["level"]: r for r in calibration_levels(keys, p, _draw(rng, truth))}
    assert rows["over"]["overpredicted"] and rows["over"]["o_over_e"] < 0.8
    assert not rows["fine"]["overpredicted"]


def test_drift_warns_only_when_recent_outcomes_leave_the_band():
    rng = np.random.default_rng(5)
    n = 2000
    p = rng.uniform(0.2, 0.8, n)
    start = np.datetime64("2020-01-01") + np.arange(n).astype("timedelta64[D]")
    calm = pd.DataFrame({"p_oof": p, "y": _draw(rng, p), "start_date": start})
    assert drift(calm)["warning"] is None
    y = _draw(rng, p)
    recent = np.arange(n) >= n * 0.85
    y[recent] = _draw(rng, np.clip(p[recent] - 0.2, 0, 1))
    drifted = drift(pd.DataFrame({"p_oof": p, "y": y, "start_date": start}))
    assert drifted["drifted"] and drifted["warning"]["code"] == "calibration.drift_fewer"
    assert "drifted" in drifted["warning"]["message"]
    assert drifted["warning"]["params"]["n"] == drifted["n"] == 300
    assert band_check(np.full(100, 0.5), np.r_[np.ones(50), np.zeros(50)])["z"] == 0


def test_planted_excess_success_gets_replicate_only_with_enough_placements():
    rng = np.random.default_rng(6)
    rows, keys, expected = [], [], []
    for name, n, true_rate in (("big_good", 200, 0.8), ("small_good", 20, 0.8),
                               ("big_bad", 200, 0.25), ("big_average", 200, 0.5)):
        keys += [name] * n
        expected += [0.5] * n
        rows.append(_draw(rng, np.full(n, true_rate)))
    table = {r["key"]: r for r in league_table(np.array(keys), np.concatenate(rows),
                                               np.array(expected))}
    assert table["big_good"]["flag"] == REPLICATE
    assert table["small_good"]["flag"] == TOO_FEW
    assert table["big_bad"]["flag"] == REVIEW
    assert table["big_average"]["flag"] == AS_EXPECTED
    good = table["big_good"]
    assert good["ci_low"] > 1 and good["o_over_e"] > good["limit998"][1]


def test_modest_excess_inside_the_funnel_is_not_flagged():
    keys = np.repeat(["p"], 60)
    y = np.r_[np.ones(36), np.zeros(24)]  # 60% against an expected 50%: inside 99.8%
    assert league_table(keys, y, np.full(60, 0.5))[0]["flag"] == AS_EXPECTED


def _entries(rows):
    cols = ["suggestion_id", "rank", "option_id", "kind", "decision", "reason_code",
            "created_at", "decided_at", "placement_start", "social_worker", "group", "place",
            "gender", "age_band", "simulated", "model_version"]
    return pd.DataFrame(rows, columns=cols)


def test_suggestion_quality_counts_on_a_hand_made_log():
    t0 = pd.Timestamp("2026-01-01T08:00:00Z")
    t1 = pd.Timestamp("2026-01-02T08:00:00Z")
    common = ["sw1", "g", "p", "female", "18-24", False, "v1"]
    rows = [
        (1, 1, "A", "job", "accepted", None, t0, t1, "2026-01-11", *common),
        (1, 2, "B", "training", None, None, t0, None, None, *common),
        (2, 1, "A", "job", "declined", "too_far", t0, t1, None, *common),
        (2, 2, "C", "training", "accepted", None, t0, t1, "2026-01-21", *common),
        (3, 1, "B", "training", "declined", "not_interested", t0, t1, None, *common),
        (3, 2, "C", "training", "declined", "too_far", t0, t1, None, *common),
        (4, 1, "D", "livelihood", None, None, t0, None, None, *common),
    ]
    entries = _entries(rows)
    lists = per_list(entries)
    assert lists["decided"].tolist() == [True, True, True, False]
    q = suggestion_quality(entries, pd.DataFrame({"model_version": ["v1"]}))
    o = q["overall"]
    assert (o["decided"], o["undecided"], o["acceptance"]["k"]) == (3, 1, 2)
    assert o["accepted_rank_counts"] == {"1": 1, "2": 1}
    assert o["followed_top"]["k"] == 1
    assert o["overridden"]["lower_entry_accepted"] == 1
    assert o["overridden"]["all_declined"] == 1
    assert o["days_to_placement"]["median"] == 15.0
    reasons = {r["reason_code"]: r["n"] for r in q["decline_reasons"]}
    assert reasons == {"too_far": 2, "not_interested": 1}
    assert o["small_n"] and q["note"]["code"] == "quality.few_lists"
    assert "only 4 lists" in q["note"]["message"]
    kinds = {k["kind"]: k for k in q["by_kind"]}
    assert kinds["training"]["entry_acceptance"]["k"] == 1
    assert kinds["training"]["decided"] == 3


def test_steering_is_flagged_when_women_get_lower_wages_for_the_same_wish():
    rng = np.random.default_rng(7)
    n = 1200
    wish = rng.choice(["hairdressing", "welding", "tailoring"], n)
    gender = rng.choice(["female", "male"], n)
    base = pd.Series(wish).map({"hairdressing": 180_000, "welding": 300_000,
                                "tailoring": 200_000}).to_numpy(float)
    placed = pd.DataFrame({"gender": gender, "wished_trade": wish, "primary_trade": wish,
                           "wage_vnd_day": base + rng.normal(0, 20_000, n)})
    empty = pd.DataFrame(columns=["rank", "gender", "wished_trade", "suggestion_id"])
    fair = steering(placed, empty)
    assert not fair["steered"]
    placed.loc[placed["gender"] == "female", "wage_vnd_day"] -= 15_000
    unfair = steering(placed, empty)
    assert unfair["steered"] and "placed_wage_vnd_day" in unfair["flagged"]
    assert unfair["tests"]["placed_wage_vnd_day"]["difference"] < -10_000
