"""The outcome model's estimator: a sign-constrained logistic regression reading category codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from matcher.outcomes.linear import CategoryCodes, PairTerms, SignedLogisticRegression
from matcher.outcomes.pipeline import MODEL_CATEGORICAL, MODEL_NUMERIC, leading_signs


def _data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    trade = rng.integers(0, 4, n)
    logit = 0.8 * x[:, 0] - 0.5 * x[:, 1] + np.array([0.0, 0.6, -0.4, 0.2])[trade]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return x, trade, y


def test_category_codes_read_as_one_hot_columns():
    """The same objective as scikit-learn's LogisticRegression on one-hot columns."""
    x, trade, y = _data()
    one_hot = np.eye(4)[trade]
    reference = LogisticRegression(C=0.5, tol=1e-10, max_iter=10_000).fit(
        np.hstack([x, one_hot]), y)
    ours = SignedLogisticRegression(C=0.5, categorical_features=[3]).fit(
        np.column_stack([x, trade.astype(float)]), y)
    np.testing.assert_allclose(ours.coef_[0], reference.coef_[0, :3], atol=1e-4)
    np.testing.assert_allclose(ours.category_coef_[0], reference.coef_[0, 3:], atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, atol=1e-4)
    probe = np.column_stack([x[:5], trade[:5].astype(float)])
    np.testing.assert_allclose(ours.predict_proba(probe),
                               reference.predict_proba(np.hstack([x[:5], one_hot[:5]])),
                               atol=1e-6)


def test_an_unknown_category_counts_as_none():
    x, trade, y = _data()
    clf = SignedLogisticRegression(C=1.0, categorical_features=[3]).fit(
        np.column_stack([x, trade.astype(float)]), y)
    row = np.array([[0.1, 0.2, 0.3, np.nan], [0.1, 0.2, 0.3, 9.0]])
    expected = row[0, :3] @ clf.coef_[0] + clf.intercept_[0]
    np.testing.assert_allclose(clf.decision_function(row), [expected, expected])


def test_signs_hold_even_when_the_data_say_otherwise():
    x, _, y = _data()
    free = SignedLogisticRegression(C=1.0).fit(x, y)
    assert free.coef_[0, 0] > 0.3 and free.coef_[0, 1] < -0.2
    held = SignedLogisticRegression(C=1.0, monotonic_cst=[-1, 1]).fit(x, y)
    assert held.coef_[0, 0] == 0.0 and held.coef_[0, 1] == 0.0  # both at their bound
    named = SignedLogisticRegression(C=1.0, monotonic_cst={"a": 1, "b": -1}).fit(
        pd.DataFrame(x, columns=["a", "b", "c"]), y)
    np.testing.assert_allclose(named.coef_, free.coef_, atol=1e-6)  # already the right signs


@pytest.mark.parametrize("kwargs,message", [
    ({"C": 0.0}, "C must be positive"),
    ({"monotonic_cst": {"km": -1}}, "fit on a DataFrame"),
    ({"monotonic_cst": [1, 1, 1, 1]}, "4 signs for 3 columns"),
    ({"monotonic_cst": [2]}, "not -1, 0 or 1"),
    ({"categorical_features": [3]}, "out of range"),
])
def test_bad_settings_are_refused(kwargs, message):
    x, _, y = _data(50)
    with pytest.raises(ValueError, match=message):
        SignedLogisticRegression(**kwargs).fit(x, y)


def test_category_codes_leave_rare_and_unknown_categories_out():
    frame = pd.DataFrame({"trade": ["a"] * 5 + ["b"] * 2 + [None]})
    codes = CategoryCodes(min_count=3).fit(frame)
    out = codes.transform(pd.DataFrame({"trade": ["a", "b", "zzz", None]}))
    assert out[0, 0] == 0.0 and np.isnan(out[1:, 0]).all()


def test_pair_terms_and_the_design_matrix_order():
    frame = pd.DataFrame({
        "distance_km": [4.0, 4.0], "age": [16.0, 30.0], "max_travel_km": [8.0, np.nan],
        "kind": ["job", "training"], "group": ["after_prison", "youth_at_risk"],
        "wish_match": [1.0, 0.4], "education": [2.0, np.nan], "record_accepted": [1.0, 0.0],
        "household_poor": [1.0, 1.0],
    })
    terms = PairTerms().transform(frame)
    assert terms["distance_young"].tolist() == [4.0, 0.0]
    assert terms["distance_short_limit"].tolist() == [4.0, 0.0]  # no limit: 30 km assumed
    assert terms["wish_exact"].tolist() == [1.0, 0.0]
    assert terms["records_job"].tolist() == [1.0, 0.0]
    assert terms["group_kind"].tolist() == ["after_prison|job", "youth_at_risk|training"]
    signs = leading_signs()
    assert len(signs) == len(MODEL_CATEGORICAL) + len(MODEL_NUMERIC)
    position = len(MODEL_CATEGORICAL) + MODEL_NUMERIC.index("distance_young")
    assert signs[position] == -1 and not any(signs[:len(MODEL_CATEGORICAL)])
