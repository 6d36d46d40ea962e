"""Issue 14, item 1: the demo accounts and the demo world never reach a real database.

A fresh server (`matcher serve` on an empty, migrated database, as a first start runs it) has
no demo account and serves an empty product; the public demo password is refused on any
database not marked as the demo database, even for an account whose stored hash is that
password (an old database the old `serve` filled). The demo database, made only by
`matcher demo`, says so on every page, lets the demo accounts in and refuses every import.
SQLite and PostgreSQL, over real HTTP.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from matcher.access.accounts import AccountError, add_user
from matcher.access.demo_users import add_demo_users
from matcher.demo import DEMO_PASSWORD, DemoDatabase, is_demo
from matcher.ingest import import_file
from matcher.store.db import make_engine, transaction
from matcher.store.tables import Provider, User
from tests import local_http, preloaded
from tests.api import server as srv
from tests.conftest import BACKENDS, backend_url
from tests.importing.helpers import GOOD, write_csv

DEMO_USERS = ("ctv.halong", "ctv.uongbi", "ctv.campha", "canbo.chuongtrinh", "quantri",
              "truong.nghe", "doanh.nghiep")
BANNER = {"vi": "Cơ sở dữ liệu thử nghiệm: dữ liệu tổng hợp, không nhập hồ sơ thật",
          "en": "Demo database: synthetic data, do not enter real records"}
EMPTY_VI = "Cơ sở dữ liệu chưa có dữ liệu"
BOSS, BOSS_PASSWORD = "boss", "boss-own-password-2026"


def matcher(*args: str, db_url: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The `matcher` command as a person runs it, on ``db_url``."""
    return preloaded.matcher(*args, input=stdin, env={**os.environ, "DATABASE_URL": db_url})


def empty_database(backend: str, tmp: Path):
    return backend_url(backend, tmp, migrated=True)


def serve(db_url: str, tmp: Path, backend: str) -> tuple[srv.Server, Path]:
    """`matcher serve` (not bare uvicorn: what serve does on an empty database is the point)."""
    port, log = srv.free_port(), tmp / "serve.log"
    (tmp / "models").mkdir(exist_ok=True)
    log.write_bytes(b"")
    proc = preloaded.start("matcher.cli", ["serve", "--port", str(port)],
                           env=srv.server_env(db_url, tmp / "models"), out=log)
    server = srv.Server(f"http://127.0.0.1:{port}", db_url, backend, tmp / "models", proc)
    deadline = time.monotonic() + 180
    while True:
        try:
            if local_http.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                return server, log
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            server.stop()
            pytest.fail(f"matcher serve did not start:\n{log.read_text()}")
        time.sleep(0.3)


def sign_in(server: srv.Server, username: str, password: str) -> httpx.Response:
    return local_http.post(f"{server.url}/v1/auth/token", timeout=30,
                      data={"username": username, "password": password})


@contextmanager
def signed_in(server: srv.Server, username: str, password: str) -> Iterator[httpx.Client]:
    """A client with the pages' session cookie (set by the token route) and the bearer."""
    with local_http.Client(base_url=server.url, timeout=60) as client:
        r = client.post("/v1/auth/token", data={"username": username, "password": password})
        assert r.status_code == 200, (username, r.text)
        client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        yield client


# --- a first start: db upgrade, serve (and users add boss --role admin) -----------------------


@pytest.fixture(scope="module", params=BACKENDS)
def fresh(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"fresh-{request.param}")
    url, cleanup = empty_database(request.param, tmp)
    server, log = serve(url, tmp, request.param)
    yield server, log
    server.stop()
    if cleanup:
        cleanup()


def test_a_fresh_server_has_no_demo_account_and_says_how_to_start(fresh):
    server, log = fresh
    for name in DEMO_USERS:
        r = sign_in(server, name, DEMO_PASSWORD)
        assert r.status_code == 401, (name, r.status_code)
    engine = make_engine(server.db_url)
    try:
        with transaction(engine) as s:
            assert s.scalar(select(func.count()).select_from(Provider)) == 0
            assert not is_demo(s)
    finally:
        engine.dispose()
    printed = log.read_text()
    assert "matcher users add NAME --role admin" in printed and "matcher demo" in printed


def test_after_the_first_admin_the_demo_password_still_fails_and_the_product_is_empty(fresh):
    server, _ = fresh
    made = matcher("users", "add", BOSS, "--role", "admin", "--password-stdin",
                   db_url=server.db_url, stdin=BOSS_PASSWORD + "\n")
    assert made.returncode == 0 or "is taken" in made.stderr, made.stderr
    for name in (*DEMO_USERS, BOSS):
        assert sign_in(server, name, DEMO_PASSWORD).status_code == 401, name
    with signed_in(server, BOSS, BOSS_PASSWORD) as boss:
        assert boss.get("/v1/providers").json()["total"] == 0
        assert boss.get("/v1/options").json()["total"] == 0
        page = boss.get("/admin")
        assert page.status_code == 200
        assert EMPTY_VI in page.text and "matcher users add" in page.text
        assert "matcher demo" in page.text and BANNER["vi"] not in page.text


def test_a_stored_demo_password_hash_is_refused_on_a_real_database(fresh):
    """An account whose hash is the demo password (the old `serve` made such accounts on
    real databases) cannot sign in with it: the mark is checked before the hash."""
    server, _ = fresh
    engine = make_engine(server.db_url)
    try:
        with transaction(engine) as s:
            if s.scalar(select(User).where(User.username == "old.quantri")) is None:
                s.add(User(username="old.quantri", role="admin", active=True, failed_logins=0,
                           password_hash=PasswordHasher().hash(DEMO_PASSWORD)))
    finally:
        engine.dispose()
    assert sign_in(server, "old.quantri", DEMO_PASSWORD).status_code == 401


def test_the_demo_password_is_refused_for_a_new_account_on_a_real_database(fresh):
    server, _ = fresh
    engine = make_engine(server.db_url)
    try:
        with pytest.raises(AccountError, match="demo password"), transaction(engine) as s:
            add_user(s, "worker.one", DEMO_PASSWORD, "social_worker")
        with pytest.raises(DemoDatabase), transaction(engine) as s:
            add_demo_users(s)
        with transaction(engine) as s:
            assert s.scalar(select(User).where(User.username.in_(
                ("worker.one", *DEMO_USERS)))) is None
    finally:
        engine.dispose()
    out = matcher("users", "add", "worker.two", "--role", "social_worker", "--password-stdin",
                  db_url=server.db_url, stdin=DEMO_PASSWORD + "\n")
    assert out.returncode == 1 and "demo password" in out.stderr


# --- the demo database, made by `matcher demo` ------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"demo-{request.param}")
    url, cleanup = empty_database(request.param, tmp)
    made = matcher("demo", db_url=url)
    assert made.returncode == 0, made.stderr
    (tmp / "models").mkdir()
    server = srv.start(url, tmp / "models", request.param, log=tmp / "server.log")
    yield server
    server.stop()
    if cleanup:
        cleanup()


def test_the_demo_database_says_so_on_every_page(demo):
    login = local_http.get(f"{demo.url}/login", timeout=30)
    assert login.status_code == 200 and BANNER["vi"] in login.text
    english = local_http.get(f"{demo.url}/login", cookies={"lang": "en"}, timeout=30)
    assert BANNER["en"] in english.text
    pages = {"ctv.halong": ["/clients", "/clients/new"],
             "canbo.chuongtrinh": ["/dashboard", "/cohort", "/audit"],
             "truong.nghe": ["/my/options", "/my/referrals"], "quantri": ["/admin"]}
    for name, paths in pages.items():
        with signed_in(demo, name, DEMO_PASSWORD) as client:
            for path in paths:
                page = client.get(path)
                assert page.status_code == 200, (name, path, page.status_code)
                assert BANNER["vi"] in page.text, (name, path)


def test_the_demo_accounts_sign_in_on_the_demo_database(demo):
    for name in DEMO_USERS:
        assert sign_in(demo, name, DEMO_PASSWORD).status_code == 200, name


def test_the_demo_database_refuses_every_import(demo, tmp_path):
    engine = make_engine(demo.db_url)
    try:
        with transaction(engine) as s:
            before = s.scalar(select(func.count()).select_from(Provider))
        csv = write_csv(tmp_path / "providers.csv", GOOD["providers"])
        for name in ("canbo.chuongtrinh", "quantri"):
            with signed_in(demo, name, DEMO_PASSWORD) as client:
                r = client.post("/v1/imports/providers",
                                files={"file": ("providers.csv", csv.read_bytes(), "text/csv")})
            assert r.status_code == 409, (name, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert "demo database" in r.json()["detail"]
        out = matcher("import", "providers", str(csv), db_url=demo.db_url)
        assert out.returncode == 2 and "demo database" in out.stderr
        with pytest.raises(DemoDatabase):
            import_file(engine, "providers", csv)
        with transaction(engine) as s:
            assert s.scalar(select(func.count()).select_from(Provider)) == before
    finally:
        engine.dispose()


# --- `matcher demo` takes only an empty database (or the demo one) ----------------------------


@pytest.mark.parametrize("holds", ["data", "an account"])
def test_matcher_demo_refuses_a_database_that_is_not_empty(db_url, engine, tmp_path, holds):
    if holds == "data":
        import_file(engine, "providers", write_csv(tmp_path / "p.csv", GOOD["providers"]))
    else:
        with transaction(engine) as s:
            add_user(s, BOSS, BOSS_PASSWORD, "admin")
    out = matcher("demo", db_url=db_url)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "not the demo database" in out.stderr and "nothing was changed" in out.stderr
    with transaction(engine) as s:
        assert not is_demo(s)
        assert s.scalar(select(func.count()).select_from(User).where(
            User.username.in_(DEMO_USERS))) == 0
    kept = matcher("demo", "--if-empty", db_url=db_url)  # as `make run` calls it
    assert kept.returncode == 0 and "left as it is" in kept.stdout


@pytest.mark.slow
def test_matcher_seed_of_the_demo_world_marks_it_so_imports_are_refused(db_url, engine,
                                                                         tmp_path):
    """`matcher seed` loads the same demo world: it is marked too (no accounts), so real
    records cannot be imported beside it either."""
    assert matcher("seed", db_url=db_url).returncode == 0
    with transaction(engine) as s:
        assert is_demo(s)
        assert s.scalar(select(func.count()).select_from(User)) == 0
    csv = write_csv(tmp_path / "p.csv", GOOD["providers"])
    out = matcher("import", "providers", str(csv), db_url=db_url)
    assert out.returncode == 2 and "demo database" in out.stderr
    accounts = matcher("demo", db_url=db_url)
    assert accounts.returncode == 0 and "quantri" in accounts.stdout
