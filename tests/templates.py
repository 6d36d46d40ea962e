"""Databases made once per backend per test session, and a fresh copy for each test that asks.

Seeding the demo world goes through the import path (every row checked): seconds on each
backend, and a model trained on it a few more. A test that changes the data still needs a
database of its own; a copy of one seeded once gives it that in a fraction of the time:

- SQLite: the template file copied with SQLite's backup API (a consistent copy, WAL or not);
- PostgreSQL: a new schema built by the migrations, as every test schema is, then filled
  with the template schema's rows (``INSERT … SELECT``, parents before children) and its
  sequences moved past the copied ids.

So each copy is independent of every other and of the order tests run in; the template
itself is never handed to a test.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine, create_engine, inspect, make_url, text

from matcher.store.db import make_engine, upgrade

# (url, cleanup or None), as tests.conftest.backend_url gives.
Made = tuple[str, Callable[[], None] | None]


def copy_database(template_url: str, backend: str, new: Made) -> None:
    """Fill the empty database ``new`` (just made by backend_url) with the template's data."""
    url, _ = new
    if backend == "sqlite":
        _copy_sqlite(Path(make_url(template_url).database), Path(make_url(url).database))
    else:
        _copy_postgres(template_url, url)


def copy_models(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def _copy_sqlite(source: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):  # the empty database backend_url named, if made
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _schema_of(engine: Engine) -> str:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT current_schema()"))


def _copy_postgres(template_url: str, url: str) -> None:
    from matcher.store.tables import Base

    engine = make_engine(url)
    try:
        upgrade(engine)
        source_engine = create_engine(template_url)
        source = _schema_of(source_engine)
        source_engine.dispose()
        tables = [t.name for t in Base.metadata.sorted_tables]
        with engine.begin() as conn:
            target = conn.scalar(text("SELECT current_schema()"))
            # Rows a migration may have written (counters) give way to the template's.
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
            for table in tables:
                columns = ", ".join(f'"{c["name"]}"'
                                    for c in inspect(conn).get_columns(table, schema=target))
                conn.execute(text(f'INSERT INTO "{target}"."{table}" ({columns}) '
                                  f'SELECT {columns} FROM "{source}"."{table}"'))
            for table in tables:
                for pk in Base.metadata.tables[table].primary_key.columns:
                    sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                           {"t": f'"{target}"."{table}"', "c": pk.name})
                    if sequence:
                        conn.execute(text(
                            f'SELECT setval(:s, COALESCE(MAX("{pk.name}"), 1), '
                            f'MAX("{pk.name}") IS NOT NULL) FROM "{target}"."{table}"'),
                            {"s": sequence})
    finally:
        engine.dispose()


# --- a migrated PostgreSQL schema in one round trip --------------------------------------------

#: Stands for the schema's name in the script (a name no table or column has).
SCHEMA_MARK = "matcher_schema_placeholder"


def migrated_schema_script(base_url: str, make_schema: Callable[[], Made]) -> str | None:
    """The SQL that makes a schema as the migrations leave it (tables, constraints, indexes,
    sequences and the rows the migrations write), with SCHEMA_MARK for its name: a schema
    migrated by Alembic, read back with ``pg_dump`` (``--inserts``), then dropped. None when
    there is no pg_dump. Running it takes one round trip where the migrations take dozens
    (0.08 s a schema instead of 0.4 s, for each PostgreSQL database test)."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        return None
    url, cleanup = make_schema()
    try:
        engine = make_engine(url)
        upgrade(engine)
        schema = _schema_of(engine)
        engine.dispose()
        parts = make_url(base_url)
        done = subprocess.run(
            [pg_dump, "--inserts", "--no-owner",
             "--no-privileges", "--no-comments", "-n", schema,
             "-h", parts.host or "localhost", "-p", str(parts.port or 5432),
             "-U", parts.username or "postgres", parts.database or "postgres"],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, **({"PGPASSWORD": parts.password} if parts.password else {})})
        if done.returncode != 0:
            return None
    finally:
        if cleanup:
            cleanup()
    script = "\n".join(line for line in done.stdout.splitlines()
                       # psql's own commands (\restrict) and the session's settings
                       if not line.startswith(("\\", "SET ", "SELECT pg_catalog.set_config")))
    assert SCHEMA_MARK not in script
    return script.replace(schema, SCHEMA_MARK)


def run_schema_script(base_url: str, script: str, schema: str) -> None:
    """Make ``schema`` by ``script`` (migrated_schema_script's), in one transaction."""
    engine = create_engine(base_url)
    try:
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cursor:  # no parameters: the script's % signs stay as they are
                cursor.execute(script.replace(SCHEMA_MARK, schema))
            raw.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()
