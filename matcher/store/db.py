"""Engines, sessions and schema migration for SQLite (default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from matcher.settings import get_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str | None = None, *, busy_timeout_ms: int | None = None) -> Engine:
    """An engine for ``url`` (default: the settings'), with SQLite made fit for several users.

    SQLite gets WAL (readers do not block the writer), a busy timeout (a writer waits
    instead of failing at once) and foreign keys, which it leaves off by default.
    """
    settings = get_settings()
    url = url or settings.database_url
    if url.startswith("sqlite"):
        timeout = settings.sqlite_busy_timeout_ms if busy_timeout_ms is None else busy_timeout_ms
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": timeout / 1000})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(timeout)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    # A steady pool: connections above pool_size are closed when given back, and each new
    # PostgreSQL connection forks a server process (milliseconds of CPU), so the pool keeps
    # as many as a worker uses under load (4 workers x 15 stay well within PostgreSQL's default
    # 100). Each checkout is pinged: after a database restart every pooled connection is dead,
    # and without the ping the first request of each worker (and every request that took a
    # connection before the failure was seen) would answer 503. The ping cost 40 us a checkout
    # here (10 -> 50 us, psycopg 3, local server), against a request's milliseconds; requests
    # that hold a connection when the database goes still fail, cleanly, with a 503.
    return create_engine(url, pool_size=12, max_overflow=3, pool_pre_ping=True,
                         pool_recycle=1800)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Create or migrate the schema to the newest revision (idempotent)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def ensure_schema(engine: Engine) -> None:
    """Migrate when the database is behind; cheap when it is already at head."""
    if current_revision(engine) != head_revision():
        upgrade(engine)


def is_empty(engine: Engine) -> bool:
    """True when no provider, option or client is stored yet."""
    from sqlalchemy import func, select

    from matcher.store.tables import Client, Option, Provider

    if "providers" not in inspect(engine).get_table_names():
        return True
    with Session(engine) as s:
        return all(s.scalar(select(func.count()).select_from(t)) == 0
                   for t in (Provider, Option, Client))


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One session in one transaction: committed on success, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session
