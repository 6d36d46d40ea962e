"""The demo world, seeded, trained and given a simulated suggestion log, once per backend."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from matcher.review.replay import replay_log
from matcher.store.db import make_engine
from tests.conftest import BACKENDS, backend_url, made_once, seeded_database, trained_models
from tests.templates import copy_database, copy_models

REPLAYED = 250


@dataclass
class Demo:
    url: str
    model_dir: Path
    engine: object


def replayed_demo(backend: str, root: Path):
    """A copy of the seeded demo world (tests/conftest.py), a copy of the model trained on it,
    and a simulated log: (url, cleanup)."""
    url, cleanup = seeded_database(backend, root)
    copy_models(trained_models(backend), root / "models")
    engine = make_engine(url)
    replay_log(engine, root / "models", n_clients=REPLAYED, seed=1)
    engine.dispose()
    return url, cleanup


@pytest.fixture(scope="session")
def replayed_sqlite(tmp_path_factory):
    """The SQLite demo with its log, made once per test run (by the first process to ask):
    ``demo[sqlite]`` and ``demo_sqlite`` copy it."""
    root = made_once("review-replayed-sqlite", lambda d: replayed_demo("sqlite", d))
    return Demo(backend_url("sqlite", root)[0], root / "models", None)


def _copy_of_replayed(replayed: Demo, root: Path) -> tuple[str, Path]:
    made = backend_url("sqlite", root)
    copy_database(replayed.url, "sqlite", made)
    return made[0], copy_models(replayed.model_dir, root / "models")


@pytest.fixture(scope="session", params=BACKENDS)
def demo(request, tmp_path_factory, replayed_sqlite):
    """The demo world with a trained model and REPLAYED simulated lists (read only)."""
    root = tmp_path_factory.mktemp(f"review-{request.param}")
    if request.param == "sqlite":
        url, model_dir = _copy_of_replayed(replayed_sqlite, root)
        cleanup = None
    else:
        url, cleanup = replayed_demo(request.param, root)
        model_dir = root / "models"
    engine = make_engine(url)
    yield Demo(url, model_dir, engine)
    engine.dispose()
    if cleanup:
        cleanup()


@pytest.fixture(scope="session")
def demo_sqlite(tmp_path_factory, replayed_sqlite):
    """The same demo world on SQLite only (the notebooks and the CLI read it by URL)."""
    url, model_dir = _copy_of_replayed(replayed_sqlite, tmp_path_factory.mktemp("review-nb"))
    return Demo(url, model_dir, None)
