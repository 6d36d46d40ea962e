"""The compiled scorer gives the fitted pipeline's scores, on every kind of row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher.outcomes.fast import FACTORIZE_FROM, CompiledScorer
from matcher.outcomes.features import client_features


@pytest.fixture(scope="module")
def small_world_model_and_features(matcher, profiles):
    """The trained model and the features of every option for a few dozen clients."""
    rows = np.arange(len(matcher.catalog))
    frames = [client_features(p, matcher.prepared.take(rows),
                              distance_km=matcher.distances_from(p.place_id), wish=matcher.wish)
              for p in list(profiles)[:30]]
    return matcher.model, pd.concat(frames, ignore_index=True)


def test_compiled_scorer_equals_the_pipeline(small_world_model_and_features):
    model, features = small_world_model_and_features
    compiled = CompiledScorer.compile(model.pipeline)
    assert compiled is not None
    expected = model.pipeline.decision_function(features)
    np.testing.assert_allclose(compiled.decision_function(features), expected, rtol=0,
                               atol=1e-9)


def test_unknown_categories_and_missing_numbers_are_scored_as_the_pipeline_does(
        small_world_model_and_features):
    model, features = small_world_model_and_features
    odd = features.head(50).copy()
    odd["trade"] = "a trade never seen"
    odd.loc[odd.index[:10], "group"] = None
    for column in ("provider_rate_shrunk", "max_travel_km", "education"):
        if column in odd:
            odd.loc[odd.index[::3], column] = np.nan
    # Both ways of looking categories up: per row (a suggestion list) and factorised (a
    # cohort's chunk), on the same odd rows.
    many = pd.concat([odd] * (FACTORIZE_FROM // len(odd) + 1), ignore_index=True)
    assert len(odd) <= FACTORIZE_FROM < len(many)
    for rows in (odd, many):
        np.testing.assert_allclose(model.compiled.decision_function(rows),
                                   model.pipeline.decision_function(rows), rtol=0, atol=1e-9)
    p = model.predict(odd)
    assert np.all((p > 0) & (p < 1))


def test_a_model_that_cannot_be_split_says_so_in_the_log(small_world_model_and_features,
                                                          caplog):
    """A pipeline of another shape (here the trained one wrapped in a second Pipeline) is
    scored by whole frames, to the same probabilities, and the log says why it is slower."""
    import logging

    from sklearn.pipeline import Pipeline

    from matcher.outcomes.model import OutcomeModel

    model, features = small_world_model_and_features
    assert model.split is not None
    with caplog.at_level(logging.WARNING, logger="matcher.model"):
        other = OutcomeModel(card=model.card, pipeline=Pipeline([("inner", model.pipeline)]),
                             calibration=model.calibration, context=model.context)
    assert other.split is None
    assert model.version in caplog.text and "whole feature frames" in caplog.text
    rows = features.head(500)
    np.testing.assert_allclose(other.predict(rows), model.predict(rows), rtol=0, atol=1e-9)
