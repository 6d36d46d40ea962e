"""matcher.logistic: the one sigmoid and the one Newton logistic fit the code base uses."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from matcher.logistic import CLIP, fit_logistic, sigmoid


def test_sigmoid_is_the_written_out_formula_bit_for_bit():
    """The models and the demo world were made with 1/(1+exp(-x)); expit differs by an ulp
    on some inputs, so the helper must be this formula exactly inside the clip."""
    x = np.random.default_rng(0).normal(scale=8, size=100_000)
    x = x[np.abs(x) <= CLIP]
    assert np.array_equal(sigmoid(x), 1.0 / (1.0 + np.exp(-x)))


def test_sigmoid_clips_without_overflow_and_is_symmetric():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would be a RuntimeWarning
        far = sigmoid(np.array([-1e6, -CLIP, 0.0, CLIP, 1e6]))
    assert far[0] == far[1] > 0 and far[-1] == far[-2] < 1 and far[2] == 0.5
    x = np.linspace(-30, 30, 61)
    assert np.allclose(sigmoid(x) + sigmoid(-x), 1.0, atol=1e-15)


def test_fit_logistic_is_the_maximum_likelihood_fit():
    """Against scikit-learn's unpenalised logistic regression on the same sample."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=20_000)
    y = (rng.random(len(x)) < sigmoid(1.7 * x - 0.4)).astype(float)
    a, b = fit_logistic(x, y)
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=1000).fit(x[:, None], y)
    assert a == pytest.approx(ref.coef_[0, 0], abs=1e-6)
    assert b == pytest.approx(ref.intercept_[0], abs=1e-6)
    assert a == pytest.approx(1.7, abs=0.1) and b == pytest.approx(-0.4, abs=0.1)


def test_fit_logistic_takes_smoothed_targets_and_a_constant_covariate():
    x = np.r_[np.zeros(50), np.ones(50)]
    t = np.r_[np.full(50, 0.2), np.full(50, 0.8)]  # fractional targets (Platt's)
    a, b = fit_logistic(x, t)
    assert sigmoid(b) == pytest.approx(0.2) and sigmoid(a + b) == pytest.approx(0.8)
    # x constant: only the intercept is identified; the ridge keeps the step finite.
    a, b = fit_logistic(np.ones(40), np.r_[np.ones(10), np.zeros(30)], start=(0.0, 0.0))
    assert np.isfinite(a) and sigmoid(a + b) == pytest.approx(0.25)


def test_a_separable_sample_stops_at_the_iteration_limit_with_finite_values():
    x = np.r_[-np.ones(20), np.ones(20)]
    y = np.r_[np.zeros(20), np.ones(20)]
    a, b = fit_logistic(x, y, iterations=30)
    assert np.isfinite(a) and np.isfinite(b) and a > 5
