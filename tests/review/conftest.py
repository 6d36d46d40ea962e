"""The demo world, seeded, trained and given a simulated suggestion log, once per backend."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from matcher.outcomes import train
from matcher.review.replay import replay_log
from matcher.store.db import make_engine
from tests.conftest import BACKENDS, seeded_database

REPLAYED = 250


@dataclass
class Demo:
    url: str
    model_dir: Path
    engine: object


def replayed_demo(backend: str, root: Path):
    """The seeded demo world (tests/conftest.py), a model and a simulated log: (url, cleanup)."""
    url, cleanup = seeded_database(backend, root)
    engine = make_engine(url)
    train(engine, model_dir=root / "models")
    replay_log(engine, root / "models", n_clients=REPLAYED, seed=1)
    engine.dispose()
    return url, cleanup


@pytest.fixture(scope="session", params=BACKENDS)
def demo(request, tmp_path_factory):
    """The demo world with a trained model and REPLAYED simulated lists (read only)."""
    root = tmp_path_factory.mktemp(f"review-{request.param}")
    url, cleanup = replayed_demo(request.param, root)
    engine = make_engine(url)
    yield Demo(url, root / "models", engine)
    engine.dispose()
    if cleanup:
        cleanup()


@pytest.fixture(scope="session")
def demo_sqlite(tmp_path_factory):
    """The same demo world on SQLite only (the notebooks and the CLI read it by URL)."""
    root = tmp_path_factory.mktemp("review-nb")
    url, _ = replayed_demo("sqlite", root)
    return Demo(url, root / "models", None)
