"""Shared fixtures: a fresh, migrated database per test, on SQLite and on PostgreSQL.

Every database test takes ``db_url`` (or ``engine``) and so runs once per backend: a new
SQLite file, and, when DATABASE_URL points at PostgreSQL, a new schema of its own in that
database (dropped afterwards, so the tests never touch the data already there). With
MATCHER_REQUIRE_POSTGRES=1 (CI), an unreachable PostgreSQL is an error, not a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, create_engine, text

from matcher.settings import Settings, get_settings
from matcher.store.db import make_engine, upgrade

BACKENDS = ["sqlite", "postgresql"]


def _postgres_base_url() -> str | None:
    url = Settings().database_url if os.environ.get("DATABASE_URL") else ""
    return url if url.startswith("postgresql") else None


def _require_postgres() -> bool:
    return os.environ.get("MATCHER_REQUIRE_POSTGRES") == "1"


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path, monkeypatch) -> Iterator[str]:
    """A URL of an empty, migrated database, also set as DATABASE_URL for the CLI and API."""
    url, cleanup = backend_url(request.param, tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        get_settings.cache_clear()
        if cleanup:
            cleanup()


def backend_url(backend: str, tmp_path):
    """An empty database of ``backend``: (url, cleanup or None); skips (or, in CI, fails)
    when PostgreSQL is asked for and not configured."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'matcher.sqlite3'}", None
    base = _postgres_base_url()
    if base is None:
        if _require_postgres():
            pytest.fail("MATCHER_REQUIRE_POSTGRES=1 but DATABASE_URL is not PostgreSQL")
        pytest.skip("DATABASE_URL does not point at PostgreSQL")
    return _postgres_schema(base)


def _postgres_schema(base: str):
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure
        admin.dispose()
        if _require_postgres():
            pytest.fail(f"PostgreSQL is required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options={quote(f'-csearch_path={schema}')}"

    def cleanup() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url, cleanup


@pytest.fixture
def engine(db_url) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()
