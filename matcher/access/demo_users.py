"""Demo accounts for the demo world (synthetic data only): one of each role, and caseloads.

The demo password is the same for every demo account and printed in the README, so it works
only on a database that `matcher demo` marked as the demo database (matcher.demo); the tests
and benchmarks make the same accounts on an unmarked database with a password of their own.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matcher.access.accounts import add_user
from matcher.demo import DEMO_PASSWORD, DemoDatabase, is_demo
from matcher.store.tables import Client, Option, User

__all__ = ["DEMO_PASSWORD", "SOCIAL_WORKERS", "add_accounts", "add_demo_users"]

SOCIAL_WORKERS = ("ctv.halong", "ctv.uongbi", "ctv.campha")


def add_demo_users(session: Session) -> list[str]:
    """The demo accounts with the demo password, on the demo database only."""
    if not is_demo(session):
        raise DemoDatabase("the demo accounts are made only on the demo database "
                           "(`matcher demo`), never on a database of real records")
    return add_accounts(session, DEMO_PASSWORD)


def add_accounts(session: Session, password: str) -> list[str]:
    """Create the demo usernames that do not exist yet, all with ``password``; split the
    clients without a caseworker into the social workers' caseloads."""
    made: list[str] = []
    wanted: list[tuple[str, str, str | None]] = [
        (name, "social_worker", None) for name in SOCIAL_WORKERS]
    wanted += [("canbo.chuongtrinh", "programme_staff", None), ("quantri", "admin", None)]
    for kind, name in (("training", "truong.nghe"), ("job", "doanh.nghiep"),
                       ("club", "cau.lac.bo")):
        provider = session.scalar(select(Option.provider_id).where(Option.kind == kind)
                                  .order_by(Option.provider_id).limit(1))
        if provider:
            wanted.append((name, "provider", provider))
    existing = set(session.scalars(select(User.username)))
    for username, role, provider in wanted:
        if username not in existing:
            add_user(session, username, password, role, provider)
            made.append(username)
    session.flush()
    ids = [session.scalar(select(User.user_id).where(User.username == name))
           for name in SOCIAL_WORKERS]
    clients = list(session.scalars(select(Client.client_id).where(Client.caseworker_id.is_(None))
                                   .order_by(Client.client_id)))
    for k, user_id in enumerate(ids):
        mine = clients[k::len(ids)]
        for start in range(0, len(mine), 500):
            session.execute(update(Client).where(Client.client_id.in_(mine[start:start + 500]))
                            .values(caseworker_id=user_id))
    return made
