"""Rebuild storms (issue 14, item 6): a provider alternating a wage edit cannot make a worker
rebuild its matcher on every request, nor make suggestions wait for a rebuild.

A server of its own, with MATCHER_REBUILD_MIN_INTERVAL_S=3 (the shared test servers rebuild
in the request): builds are counted by /metrics (matcher_matcher_rebuilds_total). A Cô Tô
client who cannot travel is offered only the job option this module puts on the island, so
its wage and seats can be read from every suggestion list.
"""

from __future__ import annotations

import math
import re
import time

import pytest
from sqlalchemy import select

from matcher.access.accounts import add_user
from matcher.store.db import transaction
from matcher.store.tables import Option
from tests.api.server import TEST_PASSWORD
from tests.api.test_suggestions import add_option, coto_client
from tests.conftest import own_server

INTERVAL = 3.0
SOCIAL_WORKER, STAFF = "ctv.halong", "canbo.chuongtrinh"
EDITS = 10
PAUSE = 0.4  # the storm outlasts an interval or two


@pytest.fixture(scope="module")
def storm(tmp_path_factory, trained_model_dir):
    tmp = tmp_path_factory.mktemp("rebuild-storm")
    with own_server("sqlite", tmp, trained_model_dir,
                    MATCHER_REBUILD_MIN_INTERVAL_S=str(INTERVAL)) as (server, _):
        yield server


@pytest.fixture(scope="module")
def world(storm):
    """(option id, provider username, client id), once the option is in the matcher."""
    option_id = add_option(storm, capacity=5, kind="job", min_age=15, wage_vnd_day=150_000)
    with transaction(srv_engine(storm)) as s:
        provider = s.scalar(select(Option.provider_id).where(Option.option_id == option_id))
        add_user(s, "cs.storm", TEST_PASSWORD, "provider", provider)
    client_id = coto_client(storm)["client_id"]
    wait_for(lambda: entry(storm, client_id, option_id) is not None)
    return option_id, "cs.storm", client_id


def srv_engine(server):
    from matcher.store.db import make_engine
    return make_engine(server.db_url)


def wait_for(check, timeout: float = 4 * INTERVAL + 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the matcher never caught up"
        time.sleep(0.3)


def entry(server, client_id: str, option_id: str) -> dict | None:
    with server.client(SOCIAL_WORKER) as c:
        r = c.post(f"/v1/clients/{client_id}/suggestions", json={"top": 20})
    assert r.status_code == 201, r.text
    return next((e for e in r.json()["suggestions"] if e["option_id"] == option_id), None)


def rebuilds(server) -> float:
    with server.client(STAFF) as c:
        text = c.get("/metrics").text
    found = re.findall(r'^matcher_matcher_rebuilds_total\{how="\w+"\} ([0-9.e+]+)$', text, re.M)
    return sum(float(v) for v in found) if found else math.nan  # nan: no counter at all


def edit(server, username: str, option_id: str, **fields) -> None:
    with server.client(username) as c:
        version = c.get(f"/v1/my/options/{option_id}").headers["ETag"]
        r = c.patch(f"/v1/my/options/{option_id}", json=fields, headers={"If-Match": version})
    assert r.status_code == 200, r.text


def test_a_wage_storm_rebuilds_at_most_once_per_interval(storm, world):
    option_id, provider, client_id = world
    before, started = rebuilds(storm), time.monotonic()
    stale = 0
    for i in range(EDITS):
        time.sleep(PAUSE)
        wage = 200_000 + 1_000 * i
        edit(storm, provider, option_id, wage_vnd_day=wage)
        shown = entry(storm, client_id, option_id)
        assert shown is not None
        stale += shown["wage_vnd_day"] != wage
    elapsed = time.monotonic() - started
    made = rebuilds(storm) - before
    # The lists were answered at once by the previous matcher, not after a rebuild of
    # their own (which would have shown the new wage).
    assert stale >= EDITS // 2, stale
    assert made <= math.ceil(elapsed / INTERVAL) + 1, (made, elapsed)
    # And once the interval has passed, the last wage is the one suggested.
    wait_for(lambda: entry(storm, client_id, option_id)["wage_vnd_day"] == wage)


def test_a_seats_only_edit_never_rebuilds_and_a_closed_option_never_shows(storm, world):
    option_id, provider, client_id = world
    time.sleep(INTERVAL + 1)  # any rebuild the last test left pending is done
    assert entry(storm, client_id, option_id) is not None
    before = rebuilds(storm)
    edit(storm, provider, option_id, capacity=0)
    assert entry(storm, client_id, option_id) is None  # closed: gone at once
    with storm.client(SOCIAL_WORKER) as c:
        why = c.get(f"/v1/clients/{client_id}/options/{option_id}/explain").json()
    assert why["eligible"] is False
    edit(storm, provider, option_id, capacity=4)
    back = entry(storm, client_id, option_id)
    assert back is not None and back["seats_left"] == 4
    time.sleep(INTERVAL + 1)
    assert entry(storm, client_id, option_id) is not None
    assert rebuilds(storm) == before  # nan (no counter) is never equal
