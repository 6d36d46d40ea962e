"""API tests over real HTTP: one uvicorn server per database backend for the whole session.

The server runs on a database seeded with the demo world and the demo accounts, and on a
model trained once from it. Tests share the server, so each test makes the records it
changes (its own clients, its own seats) and never relies on another test's writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from matcher.demo_users import add_demo_users
from matcher.ingest.seed import seed
from matcher.outcomes import train
from matcher.store.db import make_engine, transaction, upgrade
from tests.api import server as srv
from tests.conftest import BACKENDS, backend_url


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory) -> Path:
    """A model trained once on the demo world (SQLite), shared by every API server."""
    work = tmp_path_factory.mktemp("api-model")
    engine = make_engine(f"sqlite:///{work / 'train.sqlite3'}")
    upgrade(engine)
    seed(engine)
    train(engine, model_dir=work / "models")
    engine.dispose()
    return work / "models"


def seeded_database(backend: str, tmp: Path):
    """A migrated database with the demo world and demo accounts: (url, cleanup)."""
    url, cleanup = backend_url(backend, tmp)
    engine = make_engine(url)
    upgrade(engine)
    seed(engine)
    with transaction(engine) as session:
        add_demo_users(session)
    engine.dispose()
    return url, cleanup


@pytest.fixture(scope="session", params=BACKENDS)
def api(request, tmp_path_factory, trained_model_dir) -> Iterator[srv.Server]:
    """A running API server on a seeded database (SQLite, and PostgreSQL when configured)."""
    tmp = tmp_path_factory.mktemp(f"api-{request.param}")
    url, cleanup = seeded_database(request.param, tmp)
    server = srv.start(url, trained_model_dir, request.param, log=tmp / "server.log")
    try:
        yield server
    finally:
        server.stop()
        if cleanup:
            cleanup()


@pytest.fixture
def db(api):
    """An engine on the server's own database, to check what was (not) written."""
    engine = make_engine(api.db_url)
    yield engine
    engine.dispose()
