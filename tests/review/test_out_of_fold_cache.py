"""The review's out-of-fold predictions are cross-fitted once per distinct training set.

The review is recomputed after every change; a change that leaves the rows with an outcome as
they were (a new client, a list, a seat) reuses the last cross-fitting, and a changed outcome
is fitted again.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from sqlalchemy import select, update

from matcher.review import data as review_data
from matcher.review.data import load_review_data
from matcher.review.recent import Recent
from matcher.store.db import make_engine, transaction
from matcher.store.tables import Client, Placement
from tests.conftest import seeded_database, trained_models
from tests.templates import copy_models


def test_the_out_of_fold_predictions_are_fitted_again_only_when_an_outcome_changes(
        tmp_path, monkeypatch):
    url, _ = seeded_database("sqlite", tmp_path)
    model_dir = copy_models(trained_models("sqlite"), tmp_path / "models")
    engine = make_engine(url)
    fits: list[int] = []
    real = review_data.fit_outcome_model
    monkeypatch.setattr(review_data, "_OOF", Recent(kept=2))
    monkeypatch.setattr(review_data, "fit_outcome_model",
                        lambda data, **kw: fits.append(len(data)) or real(data, **kw))
    try:
        first = load_review_data(engine, model_dir)
        assert len(fits) == 1
        with transaction(engine) as s:  # a new client: the training rows are as they were
            s.add(Client(client_id="OOF-NEW", birth_date=date(1999, 1, 1), gender="female",
                         group_code="other", place_id="cur-6658", disability="none",
                         max_travel_km=20))
        again = load_review_data(engine, model_dir)
        assert len(fits) == 1
        np.testing.assert_array_equal(again.placed["p_oof"], first.placed["p_oof"])
        with transaction(engine) as s:  # one outcome turned over: fitted again
            placement_id, success = s.execute(
                select(Placement.placement_id, Placement.success)
                .where(Placement.success.is_not(None), Placement.status != "dropped")
                .order_by(Placement.placement_id)
                .limit(1)).one()
            s.execute(update(Placement).where(Placement.placement_id == placement_id)
                      .values(success=not success))
        turned = load_review_data(engine, model_dir)
        assert len(fits) == 2
        assert not np.array_equal(turned.placed["p_oof"], first.placed["p_oof"])
        assert turned.placed["p_oof"].between(0, 1).all()
    finally:
        engine.dispose()
