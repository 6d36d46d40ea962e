"""Sign-in throttling (issue 14, item 5), over HTTP against the real server.

The test server is uvicorn with its default proxy handling: it trusts X-Forwarded-For from
127.0.0.1 (FORWARDED_ALLOW_IPS), so each test speaks from addresses of its own by sending
that header, exactly as a reverse proxy in front of the product would.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from matcher.access.accounts import add_user
from matcher.access.sign_in_gate import Gate
from matcher.access.sign_in_limits import address_group, backoff_s, keys_for
from matcher.store.db import transaction
from matcher.store.tables import SignInFailure
from tests import local_http

RIGHT = "right-password-1"
WRONG = "wrong-password-1"


def _address() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


@pytest.fixture
def account(db) -> str:
    """A fresh social worker's username (made in the database, not through the API)."""
    name = f"thr.{uuid.uuid4().hex[:10]}"
    with transaction(db) as session:
        add_user(session, name, RIGHT, "social_worker")
    return name


def _try(api, username: str, password: str, address: str) -> httpx.Response:
    return local_http.post(f"{api.url}/v1/auth/token", timeout=60,
                      data={"username": username, "password": password},
                      headers={"X-Forwarded-For": address})


def _row(db, key: str):
    with db.connect() as conn:
        return conn.execute(select(SignInFailure).where(SignInFailure.key == key)).first()


def _set_wait(db, key: str, seconds: float, failures: int | None = None) -> None:
    values = {"next_allowed_at": datetime.now(UTC) + timedelta(seconds=seconds)}
    if failures is not None:
        values["failures"] = failures
    with db.begin() as conn:
        conn.execute(update(SignInFailure).where(SignInFailure.key == key).values(**values))


# --- over HTTP --------------------------------------------------------------------------------


def test_a_burst_of_wrong_passwords_checks_at_most_the_free_ones(api, db, account):
    address = _address()
    start = threading.Barrier(30)

    def one(_):
        start.wait()
        return _try(api, account, WRONG, address)

    with ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(one, range(30)))
    codes = [r.status_code for r in answers]
    checked = codes.count(401)
    assert set(codes) <= {401, 429}
    assert 1 <= checked <= 3 and codes.count(429) >= 27, codes
    assert all(int(r.headers["Retry-After"]) >= 1 for r in answers if r.status_code == 429)
    keys = keys_for(account, address)
    assert _row(db, keys.pair).failures == checked
    assert _row(db, keys.account).failures == checked


def test_an_unknown_username_is_answered_exactly_like_a_known_one(api, db, account):
    unknown = f"nobody.{uuid.uuid4().hex[:10]}"
    address = _address()
    known_answers, unknown_answers = [], []
    for _ in range(5):  # interleaved, so that both meet the same waits
        known_answers.append(_try(api, account, WRONG, address))
        unknown_answers.append(_try(api, unknown, WRONG, address))
    known = [(r.status_code, r.json()["detail"]) for r in known_answers]
    # The fourth try is slowed unless its one-second wait ran out during the other name's try
    # (an argon2 check on a loaded machine); the fifth waits two.
    assert [c for c, _ in known][:3] == [401, 401, 401] and 429 in [c for c, _ in known][3:]
    assert known == [(r.status_code, r.json()["detail"]) for r in unknown_answers]
    for name in (account, unknown):
        assert _row(db, keys_for(name, address).pair).failures == [c for c, _ in known].count(401)


def test_a_strangers_failures_from_one_address_do_not_lock_the_owner_out(api, db, account):
    stranger, owner = _address(), _address()
    codes = [_try(api, account, WRONG, stranger).status_code for _ in range(6)]
    assert codes[:3] == [401, 401, 401] and 429 in codes[3:]
    assert _try(api, account, RIGHT, stranger).status_code == 429  # slowed: their address
    r = _try(api, account, RIGHT, owner)
    assert r.status_code == 200, r.text
    # The stranger's address stays slowed for this account; the owner's counters are gone.
    assert _row(db, keys_for(account, stranger).pair).failures >= 3
    assert _row(db, keys_for(account, owner).pair) is None
    assert _row(db, keys_for(account, owner).account) is None


def test_one_address_adds_only_its_free_failures_to_the_accounts_count(api, db, account):
    stranger = _address()
    for _ in range(6):
        _try(api, account, WRONG, stranger)
    _set_wait(db, keys_for(account, stranger).pair, -1)  # as if the stranger had waited
    assert _try(api, account, WRONG, stranger).status_code == 401
    assert _row(db, keys_for(account, stranger).pair).failures >= 4
    assert _row(db, keys_for(account, stranger).account).failures == 3


def test_many_addresses_slow_the_whole_account_but_only_to_the_ceiling(api, db, account):
    strangers = [_address() for _ in range(7)]
    codes = [_try(api, account, WRONG, a).status_code for a in strangers for _ in range(3)]
    account_key = keys_for(account, strangers[0]).account
    assert 20 <= _row(db, account_key).failures <= 21 and codes.count(401) >= 20
    # A botnet has kept the account busy for long: the wait never exceeds the ceiling.
    _set_wait(db, account_key, -1, failures=10_000)
    assert _try(api, account, WRONG, _address()).status_code == 401
    waits = _row(db, account_key).next_allowed_at.replace(tzinfo=UTC) - datetime.now(UTC)
    assert timedelta(seconds=50) < waits <= timedelta(seconds=60)
    # Meanwhile the owner, from an address of their own, is told to wait at most a minute.
    owner = _address()
    r = _try(api, account, RIGHT, owner)
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
    # After the wait the right password gets in, and the account's count starts again.
    _set_wait(db, account_key, -1)
    assert _try(api, account, RIGHT, owner).status_code == 200
    assert _row(db, account_key) is None


def test_the_right_password_after_the_wait_succeeds_and_resets(api, db, account):
    address = _address()
    assert [_try(api, account, WRONG, address).status_code for _ in range(3)] == [401] * 3
    pair = _row(db, keys_for(account, address).pair)
    assert pair.failures == 3
    time.sleep(max(0.0, (pair.next_allowed_at.replace(tzinfo=UTC)
                         - datetime.now(UTC)).total_seconds()) + 0.05)
    assert _try(api, account, RIGHT, address).status_code == 200
    assert _row(db, keys_for(account, address).pair) is None
    # The count starts again: three free failures.
    assert [_try(api, account, WRONG, address).status_code for _ in range(3)] == [401] * 3


def test_counters_idle_for_a_day_are_forgotten(api, db, account):
    address = _address()
    _try(api, account, WRONG, address)
    keys = keys_for(account, address)
    with db.begin() as conn:
        conn.execute(update(SignInFailure).where(SignInFailure.key == keys.pair)
                     .values(updated_at=datetime.now(UTC) - timedelta(days=1, minutes=1)))
    _try(api, f"nobody.{uuid.uuid4().hex[:10]}", WRONG, address)  # adds rows: prunes
    assert _row(db, keys.pair) is None and _row(db, keys.account) is not None


def test_password_checks_in_flight_are_bounded_in_total(api, db):
    names = [f"thr.{uuid.uuid4().hex[:10]}" for _ in range(12)]
    with transaction(db) as session:
        for name in names:
            add_user(session, name, RIGHT, "social_worker")
    start = threading.Barrier(len(names))

    def one(name):
        start.wait()
        return _try(api, name, WRONG, _address())

    with ThreadPoolExecutor(len(names)) as pool:
        answers = list(pool.map(one, names))
    refused = [r for r in answers if r.status_code == 429]
    # Every account and address was fresh: a 429 here is the bound of checks at once.
    assert refused and all(r.headers["Retry-After"] == "1" for r in refused)
    assert {r.status_code for r in answers} == {401, 429}


# --- the pure parts ---------------------------------------------------------------------------


def test_an_unknown_username_costs_one_hash_check_like_a_known_one():
    """The stored hash checked for an unknown name has the hasher's own parameters (the same
    cost as any account's hash), and no password matches it."""
    from matcher.access import accounts

    assert not accounts._hasher.check_needs_rehash(accounts._DUMMY)
    assert accounts.verify_password(None, "not a password of anybody") is False
    assert accounts._hasher.verify(accounts._DUMMY, "not a password of anybody")


def test_backoff_is_free_then_doubles_up_to_the_ceiling():
    assert [backoff_s(n, 3, 300) for n in range(3)] == [0, 0, 0]
    assert [backoff_s(n, 3, 300) for n in range(3, 13)] == [1, 2, 4, 8, 16, 32, 64, 128, 256,
                                                             300]
    assert backoff_s(10**9, 20, 60) == 60


def test_keys_fold_the_username_and_tell_addresses_apart():
    a = keys_for(" Quantri", "10.0.0.1")
    assert a == keys_for("quantri", "10.0.0.1")
    assert a.pair != keys_for("quantri", "10.0.0.2").pair
    assert a.account == keys_for("quantri", "10.0.0.2").account
    assert a.pair != keys_for("quantri2", "10.0.0.1").pair
    # An IPv6 client holds a /64: one address for the counters.
    assert address_group("2001:db8::1") == address_group("2001:db8::ffff:1") == "2001:db8::/64"
    assert address_group("::ffff:10.0.0.1") == "10.0.0.1"


def test_the_gate_bounds_checks_per_account_per_address_and_in_total():
    gate = Gate()
    with gate.slot("a", "x", 2) as one:
        with gate.slot("a", "y", 2) as same_account:
            assert one and not same_account
        with gate.slot("b", "x", 2) as two, gate.slot("c", "x", 2) as third_of_address:
            assert two and not third_of_address
        with gate.slot("b", "y", 2) as two, gate.slot("c", "z", 2) as third_in_total:
            assert two and not third_in_total
    with gate.slot("a", "x", 2) as again:
        assert again
