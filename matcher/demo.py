"""The demo database: an explicit mark, and what it allows and forbids.

A database holds the demo world only when `matcher demo` made it so. The mark is a row of
the ``generations`` table (name "demo_world", value 1), so no migration is needed; nothing
in the product removes it. The mark decides three things:

* the demo password (printed in the README) works only on a marked database: accounts
  refuse it everywhere else, when they are made and when somebody signs in;
* every page of a marked database says it holds synthetic data only (a banner);
* a marked database refuses every import, so real records never land beside the demo world.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.orm import Session

from matcher.settings import DEMO_DIR
from matcher.store.tables import Client, Generation, Option, Provider, User

DEMO_PASSWORD = "demo-matcher-2026"
MARK = "demo_world"

IMPORT_REFUSED = ("this is the demo database (synthetic data only): imports are refused so "
                  "that real records never land beside the demo world; import into a "
                  "database of its own (see README, first start)")


class DemoDatabase(Exception):
    """An operation refused because of what the database is (demo, or not empty)."""


def is_demo(bind: Session | Connection | Engine) -> bool:
    """True when the database carries the demo mark."""
    query = select(Generation.value).where(Generation.name == MARK)
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return bool(conn.execute(query).scalar())
    return bool(bind.execute(query).scalar())


def mark_demo(session: Session) -> None:
    """Mark the database as the demo database (in the caller's transaction; idempotent)."""
    if session.get(Generation, MARK) is None:
        session.execute(insert(Generation).values(name=MARK, value=1))


def is_demo_password(password: str) -> bool:
    """Whether ``password`` is the public demo password; constant time, so the check
    itself says nothing about how much of it was right."""
    return hmac.compare_digest(password.encode("utf-8", "surrogatepass"),
                               DEMO_PASSWORD.encode("utf-8"))


def demo_password_refused(session: Session, password: str) -> bool:
    """True when ``password`` is the demo password and the database is not the demo one:
    the caller refuses it before any hashing."""
    return is_demo_password(password) and not is_demo(session)


def refuse_imports(session: Session) -> None:
    """Raise :class:`DemoDatabase` on the demo database: it takes no import."""
    if is_demo(session):
        raise DemoDatabase(IMPORT_REFUSED)


def holds_nothing(session: Session) -> bool:
    """No provider, option, client or account yet: a database `matcher demo` may fill."""
    return all(session.scalar(select(func.count()).select_from(t)) == 0
               for t in (Provider, Option, Client, User))


@dataclass
class DemoResult:
    loaded: list = field(default_factory=list)  # ImportResult of each file, when loaded now
    accounts: list[str] = field(default_factory=list)  # demo accounts created now


def make_demo(engine: Engine, directory: Path = DEMO_DIR) -> DemoResult:
    """Load the demo world, mark the database demo and create the demo accounts, in one
    transaction, on a database that holds nothing; on the demo database, only create the
    demo accounts that are missing. Anything else raises :class:`DemoDatabase`."""
    from matcher.access.demo_users import add_accounts
    from matcher.ingest.seed import seed_into
    from matcher.store.db import ensure_schema, transaction

    ensure_schema(engine)
    result = DemoResult()
    with transaction(engine) as session:
        if not is_demo(session):
            if not holds_nothing(session):
                raise DemoDatabase(
                    "the database already holds data or accounts and is not the demo "
                    "database: nothing was changed. The demo needs an empty database of its "
                    "own (e.g. DATABASE_URL=sqlite:///data/demo.sqlite3, or `make clean-db` "
                    "for the default file)")
            result.loaded = seed_into(session, directory)
            mark_demo(session)
        result.accounts = add_accounts(session, DEMO_PASSWORD)
    return result
