"""Shared fixtures: a fresh, migrated database per test, on SQLite and on PostgreSQL.

Every database test takes ``db_url`` (or ``engine``) and so runs once per backend: a new
SQLite file, and, when DATABASE_URL points at PostgreSQL, a new schema of its own in that
database (dropped afterwards, so the tests never touch the data already there). With
MATCHER_REQUIRE_POSTGRES=1 (CI), an unreachable PostgreSQL is an error, not a skip.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from urllib.parse import quote

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, create_engine, text

from matcher.settings import Settings, get_settings
from matcher.store.db import make_engine, upgrade

BACKENDS = ["sqlite", "postgresql"]


#: Files whose tests take many seconds each (servers killed mid-write, whole simulated seasons,
#: CLI runs, the schema fuzzing, the review in Chromium): collected first, so that make test's
#: parallel workers start them early and spread them, instead of one worker ending the run
#: alone with them.
HEAVY_FIRST = ("tests/api/test_durability.py", "tests/simulation/", "tests/api/test_schema_fuzz.py",
               "tests/security/test_demo.py", "tests/load/", "tests/web/test_review_page.py",
               "tests/engine/test_cli_engine.py", "tests/importing/test_cli_import.py",
               "tests/test_bench.py", "tests/browser/test_accessibility.py",
               "tests/test_retraining.py", "tests/api/test_concurrency.py",
               "tests/security/test_sign_in_throttle.py", "tests/api/test_review_background.py",
               "tests/security/test_rebuild_storm.py", "tests/review/test_cli_review.py",
               "tests/browser/test_review.py", "tests/review/test_effects.py",
               "tests/api/test_referral_race.py")


#: Modules whose module-scoped fixtures cost seconds (a world seeded and estimated, a server
#: of their own, the demo database made by `matcher demo`): make test (``--dist loadgroup``)
#: runs each on one process, which makes its fixtures once, where spreading its tests over
#: the processes made them once in each. Every other test is handed out on its own.
ONE_PROCESS = ("tests/security/test_demo.py", "tests/security/test_rebuild_storm.py",
               "tests/security/test_imports_costly.py", "tests/test_retraining.py",
               "tests/test_outcomes.py", "tests/test_synth.py",
               "tests/engine/test_backtest_targets.py", "tests/engine/test_cli_engine.py",
               "tests/review/test_effects_degenerate.py", "tests/review/test_effects_public.py",
               "tests/review/test_review_demo.py", "tests/web/test_review_page.py",
               "tests/api/test_schema_fuzz.py")


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` with ONE_PROCESS as the groups. pytest-xdist's own groups (the
    ``xdist_group`` mark) name a test's group by suffixing its node id, which pytest 9 no
    longer lets a plugin change: the marked tests were spread like the others."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class OneProcessModules(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in ONE_PROCESS else nodeid

    return OneProcessModules(config, log)


def pytest_collection_modifyitems(config, items) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(HEAVY_FIRST))  # a stable sort


def _postgres_base_url() -> str | None:
    url = Settings().database_url if os.environ.get("DATABASE_URL") else ""
    return url if url.startswith("postgresql") else None


def _require_postgres() -> bool:
    return os.environ.get("MATCHER_REQUIRE_POSTGRES") == "1"


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path, monkeypatch) -> Iterator[str]:
    """A URL of an empty, migrated database, also set as DATABASE_URL for the CLI and API.

    See :func:`backend_url` (``migrated``) for how each backend's is made.
    """
    url, cleanup = backend_url(request.param, tmp_path, migrated=True)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        yield url
    finally:
        get_settings.cache_clear()
        if cleanup:
            cleanup()


def backend_url(backend: str, tmp_path, *, migrated: bool = False):
    """An empty database of ``backend``: (url, cleanup or None); skips (or, in CI, fails)
    when PostgreSQL is asked for and not configured.

    ``migrated``: with the schema the migrations make. On SQLite a copy of one database
    migrated once per session (the same file the migrations make, in a few milliseconds); on
    PostgreSQL a new schema made by the script of a schema the migrations made once per run
    (tests/templates.py); migrated here when neither can be had (outside a test session,
    no pg_dump).
    """
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'matcher.sqlite3'}"
        if migrated and "tmp" in _SESSION:
            from tests.templates import copy_database

            copy_database(_migrated_sqlite(), "sqlite", (url, None))
        elif migrated:
            _upgrade(url)
        return url, None
    base = _postgres_base_url()
    if base is None:
        if _require_postgres():
            pytest.fail("MATCHER_REQUIRE_POSTGRES=1 but DATABASE_URL is not PostgreSQL")
        pytest.skip("DATABASE_URL does not point at PostgreSQL")
    script = _schema_script(base) if migrated else None
    url, cleanup = _postgres_schema(base, script=script)
    if migrated and not script:
        _upgrade(url)
    return url, cleanup


def _upgrade(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def _schema_script(base: str) -> str | None:
    """The run's migrated schema script (tests/templates.py), made once per run."""
    if "schema_script" not in _SESSION and "tmp" in _SESSION:
        from tests.templates import migrated_schema_script

        def make(directory: Path) -> None:
            script = migrated_schema_script(base, lambda: _postgres_schema(base))
            (directory / "schema.sql").write_text(script or "", encoding="utf-8")

        made = made_once("postgresql-schema-script", make)
        _SESSION["schema_script"] = (made / "schema.sql").read_text(encoding="utf-8")
    return _SESSION.get("schema_script") or None


def _postgres_schema(base: str, *, script: str | None = None):
    schema = f"t_{uuid.uuid4().hex[:12]}"
    # Pinged: a session-long schema (server_pool) drops its schema at the end of the run
    # with this engine, whose pooled connection may have been closed by the server meanwhile.
    admin = create_engine(base, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    try:
        if script:
            from tests.templates import run_schema_script

            run_schema_script(base, script, schema)
        else:
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


# --- the demo world: seeded and trained once per backend per run, copied for each use ---------

#: argon2id at the least cost argon2 allows, for the seeded test accounts (see _seed_demo).
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

_SESSION: dict = {}  # "tmp": the session's tmp_path_factory; "cleanups": templates to drop
_SEEDED: dict[str, str] = {}  # backend -> URL of the seeded template (never given to a test)
_TRAINED: dict[str, Path] = {}  # backend -> model dir trained on that backend's demo world


@pytest.fixture(scope="session", autouse=True)
def _session_templates(tmp_path_factory):
    """Makes nothing by itself: a template is made when a test first needs one."""
    _SESSION.update(tmp=tmp_path_factory, cleanups=[])
    yield
    for cleanup in reversed(_SESSION["cleanups"]):
        cleanup()
    _SESSION.clear()
    _SEEDED.clear()
    _TRAINED.clear()


def _migrated_sqlite() -> str:
    if "migrated" not in _SESSION:
        url = f"sqlite:///{_SESSION['tmp'].mktemp('template-empty') / 'matcher.sqlite3'}"
        _upgrade(url)
        _SESSION["migrated"] = url
    return _SESSION["migrated"]


def _seed_demo(url: str) -> None:
    from sqlalchemy import update

    from matcher.access.demo_users import add_accounts
    from matcher.ingest.seed import seed
    from matcher.store.db import transaction
    from matcher.store.tables import User
    from tests.api.server import TEST_PASSWORD

    engine = make_engine(url)
    upgrade(engine)
    seed(engine)
    with transaction(engine) as session:
        made = add_accounts(session, TEST_PASSWORD)
        # The seeded accounts' hashes are argon2id at the least cost argon2 allows: every
        # sign-in of a test checks one, and at the product's cost (64 MiB, four lanes) each
        # check took 0.1-0.3 s of CPU, about a minute of a run's. The server checks them by
        # the product's own code (verify reads the cost from the hash); the product's cost
        # is tested on accounts made as the product makes them (tests/security/).
        session.execute(update(User).where(User.username.in_(made))
                        .values(password_hash=CHEAP_HASHER.hash(TEST_PASSWORD)))
    engine.dispose()


def made_once(name: str, make: Callable[[Path], None]) -> Path:
    """The directory ``name``, filled by ``make(directory)`` once per test run.

    Under pytest-xdist the run's workers share it: the first to ask makes it while the others
    wait on a lock, so the demo world is imported and trained once per run, not once per
    worker; make test's two steps share it too (MATCHER_TEST_SHARED, a directory the Makefile
    makes for the run and removes after it). A file in it is copied before anything writes
    to it.
    """
    root = _run_dir()
    if root is None:
        target = _SESSION["tmp"].mktemp(name)
        make(target)
        return target
    target = root / name
    with _one_at_a_time(name):
        if not (target / ".made").exists():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()
            make(target)
            (target / ".made").touch()
    return target


def computed_once(name: str, compute: Callable[[], object]) -> object:
    """``compute()``'s value, computed once per test run (by the first process to ask, under
    :func:`made_once`) and read back by the others from its pickle: for what a test only reads
    and takes seconds to compute (a simulated sweep, an estimator's results)."""
    def make(directory: Path) -> None:
        (directory / "value.pickle").write_bytes(pickle.dumps(compute()))

    return pickle.loads((made_once(name, make) / "value.pickle").read_bytes())


def _run_dir() -> Path | None:
    """The directory the run's processes share: make test's MATCHER_TEST_SHARED, else
    pytest-xdist's run directory; None for a run in one process."""
    if os.environ.get("MATCHER_TEST_SHARED"):
        return Path(os.environ["MATCHER_TEST_SHARED"])
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return _SESSION["tmp"].getbasetemp().parent  # each worker's directory is below it
    return None


@contextmanager
def _one_at_a_time(name: str) -> Iterator[None]:
    """Of the run's processes, one at a time holds ``name`` (a file lock)."""
    root = _run_dir()
    if root is None:
        yield
        return
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _seeded_template(backend: str) -> str:
    if backend == "sqlite" and backend not in _SEEDED:
        made = made_once("template-sqlite",
                          lambda d: _seed_demo(f"sqlite:///{d / 'matcher.sqlite3'}"))
        _SEEDED[backend] = f"sqlite:///{made / 'matcher.sqlite3'}"
    if backend not in _SEEDED:  # a PostgreSQL schema per worker, dropped at its end
        url, cleanup = backend_url(backend, _SESSION["tmp"].mktemp(f"template-{backend}"))
        if cleanup:
            _SESSION["cleanups"].append(cleanup)
        _seed_demo(url)
        _SEEDED[backend] = url
    return _SEEDED[backend]


def seeded_database(backend: str, tmp):
    """A migrated database with the demo world's data and the demo usernames, with the test
    password: not marked as the demo database, so it takes imports: (url, cleanup).

    A copy of the run's template for ``backend`` (tests/templates.py): the demo world is
    imported once per backend per run (once per worker on PostgreSQL), and every caller gets
    a database of its own.
    """
    if "tmp" not in _SESSION:  # outside a pytest session: seed it here
        made = backend_url(backend, tmp)
        _seed_demo(made[0])
        return made
    from tests.templates import copy_database

    made = backend_url(backend, tmp)
    copy_database(_seeded_template(backend), backend, made)
    return made


@contextmanager
def own_server(backend: str, tmp: Path, model_dir: Path, *,
               before_start: Callable[[str], object] | None = None,
               seed_at: str | None = None, **start):
    """A server of its own (tests/api/server.py: ``start``, with ``start``'s keywords) on a
    fresh copy of the seeded database, after ``before_start(db_url)`` if given: yields
    (server, what before_start gave); stopped and its database dropped afterwards.
    ``seed_at``: instead, the empty PostgreSQL database at that URL (a private cluster of the
    test's, tests/load/private_postgres.py), seeded here and left to its owner.

    Servers with several workers on the machine's PostgreSQL run one at a time across the
    run's processes: each holds dozens of connections, and two or three at once went past
    the server's max_connections ("too many clients already").
    """
    from tests.api import server as srv

    crowded = backend == "postgresql" and start.get("workers", 1) > 1 and seed_at is None
    with _one_at_a_time("busy-postgresql-server") if crowded else nullcontext():
        if seed_at is not None:
            _seed_demo(seed_at)
            url, cleanup = seed_at, None
        else:
            url, cleanup = seeded_database(backend, tmp)
        try:
            made = before_start(url) if before_start else None
            server = srv.start(url, model_dir, backend, log=tmp / "server.log", **start)
            try:
                yield server, made
            finally:
                server.stop()
        finally:
            if cleanup:
                cleanup()


def trained_models(backend: str) -> Path:
    """The model directory trained once per run on ``backend``'s demo world; copy it
    before anything writes into it."""
    if backend not in _TRAINED:
        def train_into(work: Path) -> None:
            from matcher.outcomes import train

            url, cleanup = seeded_database(backend, work)
            engine = make_engine(url)
            train(engine, model_dir=work / "models")
            engine.dispose()
            if cleanup:
                cleanup()

        _TRAINED[backend] = made_once(f"model-{backend}", train_into) / "models"
    return _TRAINED[backend]


# --- servers: one real uvicorn per backend for the whole session ------------------------------


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory):
    """A model trained once on the demo world (SQLite), shared by every server (a test may
    train into it through the API: a copy, so the session's trained model stays as it was)."""
    from tests.templates import copy_models

    return copy_models(trained_models("sqlite"), tmp_path_factory.mktemp("api-model") / "models")


@pytest.fixture(scope="session")
def server_pool(tmp_path_factory, trained_model_dir):
    """``server_pool(backend)``: the session's server on that backend, started when first asked.

    The API, page and browser tests share it; each test makes the records it changes (its
    own clients, its own seats) and never relies on another test's writes.
    """
    from tests.api import server as srv

    pool: dict[str, tuple] = {}

    def get(backend: str):
        if backend not in pool:
            tmp = tmp_path_factory.mktemp(f"server-{backend}")
            url, cleanup = seeded_database(backend, tmp)
            pool[backend] = (srv.start(url, trained_model_dir, backend,
                                       log=tmp / "server.log"), cleanup)
        return pool[backend][0]

    yield get
    for server, cleanup in pool.values():
        server.stop()
        if cleanup:
            cleanup()


@pytest.fixture(scope="session", params=BACKENDS)
def api(request, server_pool):
    """A running server on a seeded database (SQLite, and PostgreSQL when configured)."""
    return server_pool(request.param)


@pytest.fixture(scope="session")
def web(server_pool):
    """The SQLite server, for the page and browser tests."""
    return server_pool("sqlite")


@pytest.fixture
def db(request):
    """An engine on the database of the server the test uses (``api``, else ``web``)."""
    server = request.getfixturevalue("api" if "api" in request.fixturenames else "web")
    engine = make_engine(server.db_url)
    yield engine
    engine.dispose()


@contextmanager
def last_updated_ago(engine, option_id: str, ago):
    """An option as if its provider last updated it ``ago`` earlier: its update time and the
    provider's own history entries moved back; put back afterwards."""
    from datetime import timedelta

    from sqlalchemy import select, update

    from matcher.store.tables import Option, OptionChange

    with engine.connect() as conn:
        was = conn.scalar(select(Option.updated_at).where(Option.option_id == option_id))
        own = conn.execute(select(OptionChange.change_id, OptionChange.at).where(
            OptionChange.option_id == option_id, OptionChange.cause == "provider")).all()

    def shift(by) -> None:
        with engine.begin() as conn:
            conn.execute(update(Option).where(Option.option_id == option_id)
                         .values(updated_at=was - by))
            for change_id, at in own:
                conn.execute(update(OptionChange).where(OptionChange.change_id == change_id)
                             .values(at=at - by))

    shift(ago)
    try:
        yield
    finally:
        shift(timedelta(0))
