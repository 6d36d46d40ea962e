"""A small synthetic world in a SQLite database, shared by the engine tests of a module."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from matcher.ingest.seed import seed
from matcher.matching.engine import Matcher
from matcher.outcomes import PriorModel, train
from matcher.store.db import make_engine
from matcher.store.profiles import load_profile
from matcher.synth import build_world, write_world
from tests.conftest import made_once
from tests.templates import copy_database, copy_models

ON = date(2026, 10, 1)  # the synthetic world's as_of date


@pytest.fixture(scope="session")
def small_world(tmp_path_factory):
    """A 400-client world written as contract files, seeded into a SQLite file and trained on:
    seeded and trained once per test run (the first process to ask), copied for each process."""
    world = build_world(seed=7, n_clients=400, n_trainers=60, n_employers=60, n_livelihood=8,
                        n_placements=1200)

    def make(directory):
        write_world(world, directory / "csv")
        engine = make_engine(f"sqlite:///{directory / 'world.sqlite3'}")
        seed(engine, directory / "csv")
        train(engine, model_dir=directory / "models")
        engine.dispose()

    made = made_once("engine-small-world", make)
    root = tmp_path_factory.mktemp("world")
    url = f"sqlite:///{root / 'world.sqlite3'}"
    copy_database(f"sqlite:///{made / 'world.sqlite3'}", "sqlite", (url, None))
    model_dir = copy_models(made / "models", root / "models")
    engine = make_engine(url)
    yield {"world": world, "engine": engine, "dir": root, "model_dir": model_dir}
    engine.dispose()


@pytest.fixture(scope="session")
def matcher(small_world) -> Matcher:
    with Session(small_world["engine"]) as session:
        return Matcher.build(session, model_dir=small_world["model_dir"])


@pytest.fixture(scope="session")
def prior_matcher(small_world) -> Matcher:
    with Session(small_world["engine"]) as session:
        return Matcher.build(session, model=PriorModel())


@pytest.fixture(scope="session")
def profiles(small_world):
    with Session(small_world["engine"]) as session:
        ids = list(small_world["world"].clients["client_id"])
        return [load_profile(session, cid) for cid in ids]
