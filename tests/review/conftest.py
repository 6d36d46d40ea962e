"""The demo world, seeded, trained and given a simulated suggestion log, once per backend."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from matcher.demo_users import add_demo_users
from matcher.ingest.seed import seed
from matcher.outcomes import train
from matcher.review.replay import replay_log
from matcher.store.db import make_engine, upgrade
from tests.conftest import BACKENDS, backend_url

REPLAYED = 250


@dataclass
class Demo:
    url: str
    model_dir: Path
    engine: object


@pytest.fixture(scope="session", params=BACKENDS)
def demo(request, tmp_path_factory):
    """The demo world with a trained model and REPLAYED simulated lists (read only)."""
    root = tmp_path_factory.mktemp(f"review-{request.param}")
    url, cleanup = backend_url(request.param, root)
    engine = make_engine(url)
    upgrade(engine)
    seed(engine)
    with Session(engine) as session:
        add_demo_users(session)
        session.commit()
    train(engine, model_dir=root / "models")
    replay_log(engine, root / "models", n_clients=REPLAYED, seed=1)
    yield Demo(url, root / "models", engine)
    engine.dispose()
    if cleanup:
        cleanup()


@pytest.fixture(scope="session")
def demo_sqlite(tmp_path_factory):
    """The same demo world on SQLite only (the notebooks and the CLI read it by URL)."""
    root = tmp_path_factory.mktemp("review-nb")
    url = f"sqlite:///{root / 'demo.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    seed(engine)
    with Session(engine) as session:
        add_demo_users(session)
        session.commit()
    train(engine, model_dir=root / "models")
    replay_log(engine, root / "models", n_clients=REPLAYED, seed=1)
    engine.dispose()
    return Demo(url, root / "models", None)
