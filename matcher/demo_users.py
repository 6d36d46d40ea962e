"""Demo accounts for the demo world (synthetic data only): one of each role, and caseloads.

The password is the same for every demo account and printed in the README: these
accounts are for trying the product on the synthetic world, never for real data.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matcher.accounts import add_user
from matcher.store.tables import Client, Option, User

DEMO_PASSWORD = "demo-matcher-2026"
SOCIAL_WORKERS = ("ctv.halong", "ctv.uongbi", "ctv.campha")


def add_demo_users(session: Session) -> list[str]:
    """Create the demo accounts that do not exist yet; split the clients into caseloads."""
    made: list[str] = []
    wanted: list[tuple[str, str, str | None]] = [
        (name, "social_worker", None) for name in SOCIAL_WORKERS]
    wanted += [("canbo.chuongtrinh", "programme_staff", None), ("quantri", "admin", None)]
    for kind, name in (("training", "truong.nghe"), ("job", "doanh.nghiep")):
        provider = session.scalar(select(Option.provider_id).where(Option.kind == kind)
                                  .order_by(Option.provider_id).limit(1))
        if provider:
            wanted.append((name, "provider", provider))
    existing = set(session.scalars(select(User.username)))
    for username, role, provider in wanted:
        if username not in existing:
            add_user(session, username, DEMO_PASSWORD, role, provider)
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
