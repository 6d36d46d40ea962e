"""API tests over real HTTP: one uvicorn server per database backend for the whole session.

The server runs on a database seeded with the demo world and the demo accounts, and on a
model trained once from it. Tests share the server, so each test makes the records it
changes (its own clients, its own seats) and never relies on another test's writes.
"""

from __future__ import annotations

# The servers (api, web), the model they serve and the db fixture are in tests/conftest.py;
# busy_server (a multi-worker server of its own, for the races) is here.
import pytest

from tests.conftest import BACKENDS, own_server


@pytest.fixture(params=BACKENDS)
def busy_server(request, tmp_path, trained_model_dir):
    """A server of its own on a freshly seeded database, for the races: 4 uvicorn workers on
    PostgreSQL, one on SQLite (WAL and a busy timeout), as the README recommends."""
    workers = 4 if request.param == "postgresql" else 1
    with own_server(request.param, tmp_path, trained_model_dir, workers=workers) as (server, _):
        yield server
