"""The outcome model: training, validation, the card, safe loading, the prior."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score
from sqlalchemy.orm import Session

from matcher.ingest.seed import seed
from matcher.outcomes import (
    CURRENT,
    ModelError,
    NoHistory,
    OutcomeModel,
    PriorModel,
    current_model,
    fit_model,
    load_model,
    load_training_set,
    outcome_labels,
    save_model,
    train,
    train_on,
)
from matcher.outcomes import store as store_module
from matcher.outcomes.calibration import calibration_table, fit_platt, wilson
from matcher.outcomes.features import FEATURES, MONOTONIC
from matcher.store.db import make_engine, upgrade
from matcher.synth import build_world, write_world

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
# Few providers, so that their quality can be learnt from 3,000 placements.
WORLD = {"seed": 3, "n_clients": 1000, "n_trainers": 30, "n_employers": 30,
         "n_livelihood": 6, "n_placements": 3000}


@pytest.fixture(scope="module")
def world_engine(tmp_path_factory):
    directory = tmp_path_factory.mktemp("world")
    write_world(build_world(**WORLD), directory)
    engine = make_engine(f"sqlite:///{directory / 'matcher.sqlite3'}")
    upgrade(engine)
    seed(engine, directory)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def data(world_engine):
    with Session(world_engine) as session:
        return load_training_set(session)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data):
    """(in-memory model, model dir) of a model trained and saved once for the module."""
    model_dir = tmp_path_factory.mktemp("models")
    model = fit_model(data, now=NOW)
    save_model(model, model_dir)
    return model, model_dir


@pytest.fixture
def model_copy(trained, tmp_path) -> Path:
    """A copy of the trained model's directory that a test may damage."""
    target = tmp_path / "models"
    shutil.copytree(trained[1], target)
    return target


# --- the training rows -------------------------------------------------------------------------


def test_outcome_labels_drop_unknown_and_count_dropped_as_failure():
    placements = pd.DataFrame({
        "status": ["completed", "completed", "dropped", "ongoing", "ongoing", "completed"],
        "success": [True, False, None, None, True, None],
    })
    mask, y = outcome_labels(placements)
    assert mask.tolist() == [True, True, True, False, True, False]
    assert y.tolist() == [1, 0, 0, 1]


def test_training_set_has_every_feature_and_a_row_per_known_outcome(data):
    assert list(data.features.columns) == FEATURES
    assert len(data) == len(data.y) > 2000
    assert set(np.unique(data.y)) == {0, 1}
    assert data.features["provider_rate_shrunk"].isna().all()  # filled out of fold by the fit
    assert data.data_hash() == data.data_hash()


# --- the trained model and its card --------------------------------------------------------------


def test_card_has_every_field(trained):
    model, model_dir = trained
    card = json.loads((model_dir / f"model-{model.version}.json").read_text())
    for key in ("version", "trained_at", "data_hash", "rows", "n_clients", "features",
                "libraries", "validation", "calibration", "artefact_sha256", "context",
                "model", "calibration_params"):
        assert card[key] not in (None, "", [], {}), key
    assert card["features"] == FEATURES
    assert set(card["libraries"]) >= {"python", "scikit-learn", "numpy", "pandas", "joblib"}
    v = card["validation"]
    assert v["folds"] == 5 and "client-grouped" in v["scheme"]
    assert 0.5 < v["roc_auc"] <= 1 and 0 < v["brier"] < v["baseline"]["brier"]
    assert v["brier_skill"] > 0
    assert "roc_auc" in v["time_holdout"]
    assert card["model"]["monotonic"] == MONOTONIC
    assert card["context"]["shrinkage_m"] == 10.0
    assert card["version"].startswith("20261001T120000Z-")
    assert json.loads((model_dir / CURRENT).read_text())["version"] == card["version"]


def test_calibration_table_sums_to_the_rows(trained):
    model, _ = trained
    table = model.card.calibration
    assert sum(b["n"] for b in table) == model.card.rows
    assert len(table) == 10
    for b in table:
        assert b["ci_low"] <= b["observed"] <= b["ci_high"]
    means = [b["mean_predicted"] for b in table]
    assert means == sorted(means)


def test_beats_the_base_rate_on_held_out_clients(data, tmp_path):
    clients = pd.unique(data.client_ids)
    held_out = set(np.random.default_rng(1).choice(clients, size=len(clients) // 4,
                                                   replace=False))
    test = np.isin(data.client_ids, list(held_out))
    train_on(data.subset(~test), model_dir=tmp_path, now=NOW)
    model = load_model(tmp_path)
    rows = data.subset(test)
    p = model.predict(rows.features_with(model.context))
    base = np.full(len(p), data.y[~test].mean())
    assert roc_auc_score(rows.y, p) > 0.6
    assert brier_score_loss(rows.y, p) < brier_score_loss(rows.y, base)


def test_train_load_predict_round_trip_is_identical(trained, data):
    model, model_dir = trained
    loaded = load_model(model_dir)
    assert isinstance(loaded, OutcomeModel) and not loaded.is_prior
    assert loaded.version == model.version
    x = data.features_with(model.context).head(500)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.context.summary() == model.context.summary()
    assert ((0 < loaded.predict(x)) & (loaded.predict(x) < 1)).all()


@pytest.mark.parametrize("feature,direction", [
    ("distance_km", -1), ("wish_match", 1), ("skill_match", 1), ("provider_rate_shrunk", 1),
])
def test_predictions_are_monotonic(trained, data, feature, direction):
    model, _ = trained
    base = data.features_with(model.context).sample(40, random_state=0).reset_index(drop=True)
    grid = {
        "distance_km": np.linspace(0, 80, 17),
        "wish_match": np.array([0.0, 0.2, 0.4, 0.6, 0.9, 1.0]),
        "skill_match": np.array([0.0, 0.4, 1.0]),
        "provider_rate_shrunk": np.linspace(0.05, 0.95, 10),
    }[feature]
    curves = []
    for value in grid:
        x = base.copy()
        x[feature] = value
        if feature == "distance_km":  # the km beyond the client's limit follow the distance
            limit = x["max_travel_km"].fillna(30.0)
            x["over_travel_km"] = np.maximum(value - limit, 0.0)
        curves.append(model.predict(x))
    steps = np.diff(np.array(curves), axis=0) * direction
    assert (steps >= -1e-12).all()
    assert (steps.sum(axis=0) > 0).any()  # and the feature does matter


# --- loading refuses -----------------------------------------------------------------------------


def test_load_refuses_a_tampered_artefact(model_copy, trained):
    artefact = model_copy / f"model-{trained[0].version}.joblib"
    raw = bytearray(artefact.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    artefact.write_bytes(bytes(raw))
    with pytest.raises(ModelError, match="sha256"):
        load_model(model_copy)
    with pytest.raises(ModelError, match="sha256"):
        current_model(model_copy)  # a broken current model is an error, not the prior


def test_load_refuses_a_card_with_another_feature_set(model_copy, trained):
    card_file = model_copy / f"model-{trained[0].version}.json"
    card = json.loads(card_file.read_text())
    card["features"] = card["features"][:-1] + ["provider_stars"]
    card_file.write_text(json.dumps(card))
    with pytest.raises(ModelError, match="different feature set: retrain with `matcher train`"):
        load_model(model_copy)


def test_load_refuses_another_scikit_learn(model_copy, trained):
    card_file = model_copy / f"model-{trained[0].version}.json"
    card = json.loads(card_file.read_text())
    card["libraries"]["scikit-learn"] = "0.24.2"
    card_file.write_text(json.dumps(card))
    with pytest.raises(ModelError, match="scikit-learn 0.24.2"):
        load_model(model_copy)


def test_load_refuses_paths_outside_the_model_dir(model_copy, trained, tmp_path):
    version = trained[0].version
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for suffix in (".json", ".joblib"):
        shutil.copy(model_copy / f"model-{version}{suffix}", elsewhere)
    with pytest.raises(ModelError, match="outside the model directory"):
        load_model(model_copy, elsewhere / f"model-{version}.json")
    with pytest.raises(ModelError, match="outside the model directory"):
        load_model(model_copy, str(model_copy / ".." / "elsewhere" / f"model-{version}.json"))
    with pytest.raises(ModelError, match="outside the model directory"):
        load_model(model_copy, "../elsewhere")
    for bad in ("..", "v1/../../x", "current version"):
        with pytest.raises(ModelError, match="not a model version|outside"):
            load_model(model_copy, bad)
    # a symlink inside the directory that points outside it is refused too
    (model_copy / f"model-{version}.joblib").unlink()
    (model_copy / f"model-{version}.joblib").symlink_to(elsewhere / f"model-{version}.joblib")
    with pytest.raises(ModelError, match="outside the model directory"):
        load_model(model_copy)
    # by its own path, inside the directory, it loads
    (model_copy / f"model-{version}.joblib").unlink()
    shutil.copy(elsewhere / f"model-{version}.joblib", model_copy)
    assert load_model(model_copy, model_copy / f"model-{version}.json").version == version
    assert load_model(model_copy, f"model-{version}.joblib").version == version


def test_a_failed_write_leaves_the_model_dir_as_it_was(trained, monkeypatch, tmp_path):
    model, _ = trained

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store_module.joblib, "dump", broken)
    with pytest.raises(OSError, match="disk full"):
        save_model(model, tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert isinstance(current_model(tmp_path), PriorModel)


def test_a_second_version_remembers_the_previous_one(trained, data, model_copy):
    first = trained[0].version
    second = train_on(data, model_dir=model_copy, now=NOW)  # same data, same second
    assert second.version == f"{first}-2"
    record = json.loads((model_copy / CURRENT).read_text())
    assert record["version"] == second.version and record["previous"] == first
    assert load_model(model_copy, first).version == first
    # stored without being promoted: current.json still names the second
    third = train_on(data, model_dir=model_copy, now=NOW, make_current=False)
    assert json.loads((model_copy / CURRENT).read_text())["version"] == second.version
    assert load_model(model_copy, third.version).version == third.version


# --- no history: the prior -----------------------------------------------------------------------


def test_the_prior_is_used_with_no_history(engine, tmp_path):
    model_dir = tmp_path / "models"
    model = current_model(model_dir)
    assert isinstance(model, PriorModel) and model.is_prior and model.version == "prior"
    assert "prior" in model.note["en"] and model.note["vi"]
    with pytest.raises(NoHistory, match="no history: .*transparent prior is used"):
        train(engine, model_dir=model_dir)
    assert not model_dir.exists() or list(model_dir.iterdir()) == []


def test_the_prior_rises_with_the_wish_and_falls_with_distance():
    prior = PriorModel()
    x = pd.DataFrame({"wish_match": [0.0, 1.0, 1.0, 1.0], "distance_km": [0.0, 0.0, 20, 200]})
    p = prior.predict(x)
    assert p.tolist() == pytest.approx([0.35, 0.65, 0.57, 0.45])
    assert "wish_match" in prior.card["formula"]


# --- on a database (SQLite, and PostgreSQL when DATABASE_URL says so) ----------------------------


@pytest.mark.db
def test_train_on_a_database_then_suggest_with_it(engine, tmp_path, capsys):
    directory = tmp_path / "world"
    write_world(build_world(seed=5, n_clients=300, n_placements=600), directory)
    seed(engine, directory)
    card = train(engine, model_dir=tmp_path / "models", progress=True, now=NOW)
    assert "train" in capsys.readouterr().err  # the progress bar, on stderr
    model = current_model(tmp_path / "models")
    assert model.version == card.version and card.rows > 400
    with Session(engine) as session:
        data = load_training_set(session)
    p = model.predict(data.features_with(model.context))
    assert p.shape == (card.rows,) and np.isfinite(p).all()


# --- pieces ------------------------------------------------------------------------------------


def test_platt_keeps_a_backward_score_flat():
    score = np.linspace(-2, 2, 200)
    y = (score < 0).astype(int)  # ranks exactly backwards
    a, b = fit_platt(score, y)
    assert a == 0.0


def test_wilson_interval_and_table():
    low, high = wilson(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-3) and high == pytest.approx(0.7634, abs=1e-3)
    p = np.linspace(0.01, 0.99, 95)
    y = (np.random.default_rng(0).random(95) < p).astype(int)
    table = calibration_table(p, y)
    assert sum(r["n"] for r in table) == 95 and len(table) == 10
