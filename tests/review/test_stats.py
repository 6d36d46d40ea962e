"""The review's statistics on hand-made data where the answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.outcomes.calibration import calibration_table
from matcher.review.stats import (
    brier_decomposition,
    cmh_test,
    holm,
    poisson_ratio_ci,
    rate,
    stratified_mean_difference,
    two_proportion_z,
)


def test_wilson_interval_of_five_in_ten():
    r = rate(5, 10)
    assert r["rate"] == 0.5
    assert r["ci_low"] == pytest.approx(0.2366, abs=1e-4)
    assert r["ci_high"] == pytest.approx(0.7634, abs=1e-4)
    assert rate(0, 0)["rate"] is None


def test_perfectly_calibrated_predictor_has_no_reliability_term():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.05, 0.95, 200_000)
    y = (rng.random(len(p)) < p).astype(float)
    d = brier_decomposition(p, y)
    assert d["reliability"] < 0.0005
    assert d["brier"] == pytest.approx(np.mean((p - y) ** 2), abs=1e-4)
    assert d["reliability"] - d["resolution"] + d["uncertainty"] + d["within_bin"] == \
        pytest.approx(d["brier"], abs=2e-4)
    # 95% intervals: one decile in twenty outside by chance.
    assert sum(not row["inside_ci"] for row in calibration_table(p, y)) <= 2


def test_a_miscalibrated_predictor_has_a_large_reliability_term():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.05, 0.95, 50_000)
    y = (rng.random(len(p)) < p).astype(float)
    overconfident = np.clip(0.5 + 1.8 * (p - 0.5), 0.0, 1.0)
    assert brier_decomposition(overconfident, y)["reliability"] > 0.01
    shifted = np.clip(p + 0.2, 0, 1)
    table = calibration_table(shifted, y)
    assert sum(not row["inside_ci"] for row in table) >= 8


def test_holm_adjusts_in_order_and_skips_missing():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    out = holm([0.01, float("nan"), 0.02])
    assert out[0] == pytest.approx(0.02) and out[2] == pytest.approx(0.02)
    assert np.isnan(out[1])


def test_two_proportion_z():
    z, p = two_proportion_z(30, 100, 50, 100)
    assert z < 0 and p == pytest.approx(0.0039, abs=5e-4)
    assert two_proportion_z(50, 100, 50, 100) == (0.0, 1.0)


def test_exact_poisson_interval_of_a_ratio():
    low, high = poisson_ratio_ci(10, 10)
    assert low == pytest.approx(0.4795, abs=1e-3)
    assert high == pytest.approx(1.8390, abs=1e-3)
    assert poisson_ratio_ci(0, 5)[0] == 0.0


def test_cmh_finds_a_planted_difference_within_strata_only():
    # Stratum A: women and men both 80% in the wished trade; stratum B: both 20%. Women are
    # mostly in A, so the crude shares differ, but within a wish they do not.
    same = [np.array([[80, 20], [16, 4]]), np.array([[4, 16], [20, 80]])]
    assert cmh_test(same)["p_value"] > 0.5
    planted = [np.array([[40, 60], [80, 20]]), np.array([[10, 90], [30, 70]])]
    result = cmh_test(planted)
    assert result["p_value"] < 0.001 and result["odds_ratio"] < 1


def test_stratified_mean_difference_recovers_the_within_stratum_gap():
    rng = np.random.default_rng(2)
    strata = np.repeat(["a", "b"], 400)
    women = np.r_[rng.random(400) < 0.8, rng.random(400) < 0.2]
    base = np.where(strata == "a", 100.0, 300.0)
    values = base - 10.0 * women + rng.normal(0, 5, 800)
    result = stratified_mean_difference(values, women, strata)
    assert result["difference"] == pytest.approx(-10, abs=1.5)
    assert result["p_value"] < 0.001
    null = stratified_mean_difference(base + rng.normal(0, 5, 800), women, strata)
    assert null["p_value"] > 0.01


def test_a_wage_comparison_with_no_known_wage_for_one_side_says_none_without_a_warning():
    import warnings

    import pandas as pd

    from matcher.review.fairness import _wage_test

    gender = pd.Series(["female", "female", "male", "male"])
    wage = pd.Series([np.nan, np.nan, 100_000.0, 120_000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = _wage_test(gender, wage, pd.Series(["a", "a", "a", "a"]))
    assert result["women_mean"] is None and result["men_mean"] == 110_000.0
