"""The review computed in the background (api/reviewing.py), issue 15 item 4.

In the worker's own process, on a real database (both backends) with a real thread: the
first review is waited for, later changes are answered at once with the last review marked
stale and updating, a burst of changes during a computation costs one more computation, two
workers compute once, a failure keeps the last review and logs no message text. Over HTTP:
GET /v1/review's freshness keys, the 202 before the first review, and the pages' "being
computed". The computation is held at a gate where a test needs it to last; what runs
behind the gate is the real review.
"""

from __future__ import annotations

import logging
import threading
import time

import pytest
from sqlalchemy.orm import Session

import matcher.review.snapshots as snapshots
from api.reviewing import RECOMPUTES, ReviewKeeper
from matcher.settings import get_settings
from matcher.store import generations
from matcher.store.db import make_engine
from tests import local_http

WAIT_S = 60  # longest a test waits for a background computation on a busy machine


class Gate:
    """Wraps the real build_review: counts calls, can hold them, can make them fail."""

    def __init__(self, monkeypatch) -> None:
        self.real = snapshots.build_review
        self.open = threading.Event()
        self.open.set()
        self.entered = threading.Event()
        self.calls = 0
        self.fail_with: Exception | None = None
        monkeypatch.setattr(snapshots, "build_review", self)

    def __call__(self, *args, **kwargs):
        self.calls += 1
        self.entered.set()
        assert self.open.wait(WAIT_S), "the gate was never opened"
        if self.fail_with is not None:
            raise self.fail_with
        return self.real(*args, **kwargs)


@pytest.fixture
def world(db_url, tmp_path, monkeypatch):
    """(engine, model_dir, gate) with the intervals of the test servers."""
    monkeypatch.setenv("MATCHER_REVIEW_MIN_INTERVAL_S", "0")
    monkeypatch.setenv("MATCHER_REVIEW_FIRST_WAIT_S", str(WAIT_S))
    get_settings.cache_clear()
    engine = make_engine(db_url)
    yield engine, tmp_path, Gate(monkeypatch)
    engine.dispose()
    get_settings.cache_clear()


def view(keeper: ReviewKeeper, engine, model_dir, *, effects: bool = False):
    with Session(engine) as s:
        return keeper.view(s, model_dir, with_effects=effects)


def change(engine) -> None:
    with Session(engine) as s:
        generations.bump(s, generations.CATALOG)
        s.commit()


def settle(*keepers: ReviewKeeper) -> None:
    deadline = time.monotonic() + WAIT_S
    while not all(k.idle() for k in keepers):
        assert time.monotonic() < deadline, "the review thread never finished"
        time.sleep(0.05)


def test_the_first_review_is_waited_for_then_served_from_the_store(world):
    engine, model_dir, gate = world
    keeper = ReviewKeeper()
    first = view(keeper, engine, model_dir)
    assert first.review is not None and not first.stale and not first.updating
    assert first.computed_at is not None and gate.calls == 1
    settle(keeper)
    again = view(keeper, engine, model_dir)
    assert again.review == first.review and again.computed_at == first.computed_at
    assert gate.calls == 1
    # A full review also answers a quick request once it is current.
    full = view(keeper, engine, model_dir, effects=True)
    assert full.review["effects_note"]["code"] != "review.effects_not_computed"
    assert view(keeper, engine, model_dir).review == full.review


def test_after_a_change_the_last_review_is_shown_while_the_new_one_computes(world):
    engine, model_dir, gate = world
    keeper = ReviewKeeper()
    first = view(keeper, engine, model_dir)
    settle(keeper)
    gate.open.clear()
    gate.entered.clear()
    change(engine)
    during = view(keeper, engine, model_dir)
    assert during.review == first.review and during.computed_at == first.computed_at
    assert during.stale and during.updating
    assert gate.entered.wait(WAIT_S)
    gate.open.set()
    settle(keeper)
    after = view(keeper, engine, model_dir)
    assert not after.stale and not after.updating
    assert after.computed_at > first.computed_at


def test_a_burst_of_changes_during_a_computation_costs_one_more(world):
    engine, model_dir, gate = world
    keeper = ReviewKeeper()
    view(keeper, engine, model_dir)
    settle(keeper)
    before = gate.calls
    gate.open.clear()
    gate.entered.clear()
    change(engine)
    view(keeper, engine, model_dir)
    assert gate.entered.wait(WAIT_S)
    for _ in range(10):  # ten changes, each looked at, while the computation is held
        change(engine)
        assert view(keeper, engine, model_dir).stale
    gate.open.set()
    settle(keeper)
    assert gate.calls - before == 2
    assert not view(keeper, engine, model_dir).stale


def test_two_workers_compute_a_change_once(world):
    engine, model_dir, gate = world
    one, two = ReviewKeeper(), ReviewKeeper()
    view(one, engine, model_dir)
    settle(one)
    before = gate.calls
    gate.open.clear()
    gate.entered.clear()
    change(engine)
    assert view(one, engine, model_dir).updating
    assert gate.entered.wait(WAIT_S)  # the first worker holds the lease and computes
    assert view(two, engine, model_dir).updating  # the second waits for the lease
    time.sleep(0.5)
    gate.open.set()
    settle(one, two)
    assert gate.calls - before == 1
    assert not view(two, engine, model_dir).stale


def test_a_failure_keeps_the_last_review_and_logs_no_message(world, caplog, monkeypatch):
    engine, model_dir, gate = world
    keeper = ReviewKeeper()
    first = view(keeper, engine, model_dir)
    settle(keeper)
    failed_before = RECOMPUTES.labels("quick", "failed")._value.get()
    gate.fail_with = ValueError("client KH00042 group trafficking")
    change(engine)
    with caplog.at_level(logging.INFO, logger="matcher.review"):
        assert view(keeper, engine, model_dir).updating
        settle(keeper)
    monkeypatch.setenv("MATCHER_REVIEW_MIN_INTERVAL_S", "3600")
    get_settings.cache_clear()
    shown = view(keeper, engine, model_dir)
    assert shown.review == first.review and shown.stale
    assert shown.last_failed_at is not None
    assert not shown.updating  # not tried again before the interval has passed
    assert RECOMPUTES.labels("quick", "failed")._value.get() == failed_before + 1
    assert "ValueError" in caplog.text
    assert "trafficking" not in caplog.text and "KH00042" not in caplog.text


def test_with_no_review_yet_and_no_time_to_wait_there_is_none(world, monkeypatch):
    engine, model_dir, gate = world
    monkeypatch.setenv("MATCHER_REVIEW_FIRST_WAIT_S", "0")
    get_settings.cache_clear()
    gate.open.clear()
    keeper = ReviewKeeper()
    shown = view(keeper, engine, model_dir, effects=True)
    assert shown.review is None and shown.updating
    gate.open.set()
    settle(keeper)
    assert view(keeper, engine, model_dir, effects=True).review is not None


# --- over HTTP ----------------------------------------------------------------------------------


def test_get_review_says_when_and_whether_it_is_being_updated(api):
    from tests.api.test_suggestions import coto_client

    with api.client("canbo.chuongtrinh") as c:
        first = c.get("/v1/review?effects=false")
        assert first.status_code == 200, first.text
        body = first.json()
        assert {"computed_at", "stale", "updating", "last_failed_at"} <= body.keys()
        body = fresh(c, body)  # the shared server's earlier tests may have changed the data
        lists = body["data"]["suggestion_lists"]
        client_id = coto_client(api)["client_id"]
        with api.client("ctv.halong") as sw:
            made = sw.post(f"/v1/clients/{client_id}/suggestions", json={"top": 3})
            assert made.status_code == 201, made.text
        after = c.get("/v1/review?effects=false").json()
        assert after["stale"] and after["updating"]
        assert after["data"]["suggestion_lists"] == lists
        after = fresh(c, after)
        assert after["data"]["suggestion_lists"] == lists + 1
        assert after["computed_at"] >= body["computed_at"]


def fresh(c, body: dict) -> dict:
    """GET /v1/review again until it is not stale."""
    deadline = time.monotonic() + WAIT_S
    while body["stale"]:
        assert time.monotonic() < deadline, "the review was never recomputed"
        time.sleep(0.3)
        body = c.get("/v1/review?effects=false").json()
    return body


@pytest.fixture
def empty_server(tmp_path, trained_model_dir):
    """A server on a database with accounts and nothing else, that waits for no review."""
    from matcher.access.demo_users import add_accounts
    from matcher.store.db import transaction, upgrade
    from tests.api import server as srv
    from tests.api.server import TEST_PASSWORD
    from tests.conftest import backend_url

    url, cleanup = backend_url("sqlite", tmp_path)
    engine = make_engine(url)
    upgrade(engine)
    with transaction(engine) as s:
        add_accounts(s, TEST_PASSWORD)
    engine.dispose()
    server = srv.start(url, trained_model_dir, "sqlite", log=tmp_path / "server.log",
                       MATCHER_REVIEW_FIRST_WAIT_S="0")
    yield server
    server.stop()


def test_before_the_first_review_the_api_answers_202_and_the_page_says_so(empty_server):
    from tests.web.signin import login_form

    with empty_server.client("canbo.chuongtrinh") as c:
        first = c.get("/v1/review")
        assert first.status_code == 202, first.text
        assert first.json()["status"] == "computing"
        assert int(first.headers["Retry-After"]) > 0
    with local_http.Client(base_url=empty_server.url, timeout=60) as browser:
        assert login_form(browser, "canbo.chuongtrinh").status_code == 303
        page = browser.get("/review/effects")
        assert page.status_code in (200, 202)
        if page.status_code == 202:
            assert 'id="review-computing"' in page.text
            assert 'http-equiv="refresh"' in page.text
        deadline = time.monotonic() + WAIT_S
        while page.status_code == 202:
            assert time.monotonic() < deadline, "the first review never came"
            time.sleep(0.3)
            page = browser.get("/review/effects")
        assert page.status_code == 200
        assert 'id="review-freshness"' in page.text
    with empty_server.client("canbo.chuongtrinh") as c:
        assert c.get("/v1/review").status_code == 200
