"""Sign-in throttling: failures counted per account-and-address and per account, atomically.

Two counters slow password guessing down (OWASP Authentication Cheat Sheet, "Protect
against automated attacks": exponential back-off rather than a hard lock-out, which would
let anyone lock any account):

* per account and address: ``login_free_failures`` (3) free tries, then waits of 1, 2, 4 ...
  s up to ``login_max_wait_s`` (300 s) - a guesser on one address gets ~12 tries an hour;
* per account: ``login_account_free_failures`` (20), then waits capped at
  ``login_account_max_wait_s`` (60 s). One address adds at most its free tries to this count
  (later tries from it are already slowed by its own counter), so one stranger slows only
  their own address, and only many addresses together slow the account - to one try a
  minute at worst, never to a lock-out.

Each attempt is *claimed* before the password is checked, by a conditional UPDATE (compare
and set on the count read, and only when the wait is over), both counters in one
transaction: of 30 simultaneous tries only the free ones get through, on SQLite and
PostgreSQL, across workers. The claim counts the try as a failure in advance; a success
deletes both rows. The keys hash the typed username, whether or not such an account
exists, so an unknown username gets exactly the answers a known one gets.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from matcher.clock import as_utc
from matcher.store.tables import SignInFailure

# A claim lost to a concurrent one is retried with the new count; beyond this many losses
# (a burst on one account) the try is refused with a 1 s wait instead.
_CLAIM_ROUNDS = 8
# A counter untouched this long is dropped: a day without tries is worth a fresh start
# (the longest wait is minutes), and the table stays as small as the recent guessing.
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Limits:
    """The throttling numbers (matcher/settings.py documents each)."""

    free_failures: int = 3
    max_wait_s: int = 300
    account_free_failures: int = 20
    account_max_wait_s: int = 60

    @classmethod
    def from_settings(cls, settings) -> Limits:
        return cls(settings.login_free_failures, settings.login_max_wait_s,
                   settings.login_account_free_failures, settings.login_account_max_wait_s)


@dataclass(frozen=True)
class Keys:
    """The two counters of one attempt."""

    pair: str
    account: str


def backoff_s(failures: int, free: int, longest: int) -> int:
    """Seconds before the next try after ``failures`` in a row: 0 while within the free
    ones, then 1, 2, 4 ... s, never more than ``longest``."""
    if failures < free:
        return 0
    step = failures - free
    return longest if step >= 31 else min(longest, 2**step)


def normal_username(username: str) -> str:
    """The username as counted: "Quantri " and "quantri" share their counters, so that
    changing case or spacing buys no extra tries."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


def address_group(address: str | None) -> str:
    """The client address as counted: an IPv6 client usually holds a whole /64, so the /64
    is one address; anything unparsable is counted as itself."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def keys_for(username: str, address: str | None) -> Keys:
    name = normal_username(username)
    return Keys(pair=_digest("pair", name, address_group(address)),
                account=_digest("account", name))



def _forget_idle(engine: Engine, now: datetime) -> None:
    """Drop long-idle counters where rows are added (the index on updated_at keeps this
    cheap), so that guessed usernames do not pile up."""
    try:
        with engine.begin() as conn:
            conn.execute(delete(SignInFailure).where(
                SignInFailure.updated_at < now - FORGET_AFTER))
    except OperationalError:
        pass  # two prunes deadlocked, or the lock was busy: the next row added prunes


def _ensure_rows(engine: Engine, keys: Keys, now: datetime) -> None:
    """Create the missing counters; a row created meanwhile by another request is fine."""
    for key in (keys.pair, keys.account):
        with engine.connect() as conn:
            if conn.scalar(select(SignInFailure.key).where(SignInFailure.key == key)):
                continue
        _forget_idle(engine, now)
        try:
            with engine.begin() as conn:
                conn.execute(insert(SignInFailure).values(
                    key=key, failures=0, next_allowed_at=now, updated_at=now))
        except IntegrityError:
            pass  # the primary key: a concurrent first try made it


class _Lost(Exception):
    """A concurrent try changed a counter between the read and the update."""


def claim(engine: Engine, keys: Keys, limits: Limits, now: datetime | None = None) -> int:
    """Take one try for ``keys``: 0 when granted (counted as a failure until :func:`reset`),
    else the seconds to wait. Nothing is counted when the try is refused."""
    now = now or datetime.now(UTC)
    for _ in range(_CLAIM_ROUNDS):
        _ensure_rows(engine, keys, now)
        try:
            with engine.begin() as conn:
                return _claim_once(conn, keys, limits, now)
        except _Lost:
            continue
    return 1


def _claim_once(conn, keys: Keys, limits: Limits, now: datetime) -> int:
    rows = {r.key: r for r in conn.execute(select(SignInFailure).where(
        SignInFailure.key.in_([keys.pair, keys.account])))}
    if len(rows) < 2:
        raise _Lost  # deleted by a success meanwhile: made again on the next round
    pair, account = rows[keys.pair], rows[keys.account]
    left = max((as_utc(r.next_allowed_at) - now).total_seconds() for r in (pair, account))
    if left > 0:
        return max(1, math.ceil(left))
    # One address adds only its free tries to the account's count (the module docstring).
    account_failures = account.failures + (1 if pair.failures < limits.free_failures else 0)
    for key, was, failures, wait in (
            (keys.pair, pair.failures, pair.failures + 1,
             backoff_s(pair.failures + 1, limits.free_failures, limits.max_wait_s)),
            (keys.account, account.failures, account_failures,
             backoff_s(account_failures, limits.account_free_failures,
                       limits.account_max_wait_s))):
        done = conn.execute(
            update(SignInFailure)
            .where(SignInFailure.key == key, SignInFailure.failures == was,
                   SignInFailure.next_allowed_at <= now)
            .values(failures=failures, next_allowed_at=now + timedelta(seconds=wait),
                    updated_at=now))
        if done.rowcount != 1:
            raise _Lost  # rolls the first update back with the transaction
    return 0


def reset(engine: Engine, keys: Keys) -> None:
    """A successful sign-in: both counters start again from nothing."""
    with engine.begin() as conn:
        conn.execute(delete(SignInFailure).where(
            SignInFailure.key.in_([keys.pair, keys.account])))
