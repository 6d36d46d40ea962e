"""Referrals made the product's way, for the closed-loop tests: an option of a signed-in
provider, clients of a social worker's caseload, and placements made by accepting."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from matcher.store.db import make_engine
from matcher.store.tables import Option, OptionChange
from tests.api.fixtures import add_clients_with_suggestion, add_open_option


def provider_of(api, username: str) -> str:
    with api.client(username) as c:
        return c.get("/v1/me").json()["provider_id"]


def referred(api, *, n: int = 1, seats: int | None = None, provider: str = "truong.nghe",
             social_worker: str = "ctv.halong", kind: str = "training") -> dict:
    """``n`` clients of ``social_worker`` accepted into a new option of ``provider``'s, which
    had ``seats`` seats (default ``n``): option_id, placement ids, client ids."""
    tag = uuid.uuid4().hex[:8].upper()
    option_id = f"OPL{tag}"
    add_open_option(api.db_url, option_id, seats=n if seats is None else seats, kind=kind,
                    provider_id=provider_of(api, provider))
    suggestion_ids = add_clients_with_suggestion(api.db_url, f"KL{tag}", n, option_id,
                                                 social_worker)
    placements = []
    with api.client(social_worker) as sw:
        for sid in suggestion_ids:
            r = sw.post(f"/v1/suggestions/{sid}/decisions",
                        json={"option_id": option_id, "decision": "accepted"})
            assert r.status_code == 201, r.text
            placements.append(r.json()["placement_id"])
    return {"option_id": option_id, "placements": placements,
            "clients": [f"KL{tag}{i:04d}" for i in range(n)], "tag": tag}


def seats(db_url: str, option_id: str) -> int:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        left = conn.scalar(select(Option.capacity).where(Option.option_id == option_id))
    engine.dispose()
    return int(left)


def seat_chain(db_url: str, option_id: str) -> list[tuple[str, str, str]]:
    """The option's seat history, oldest first: (old, new, cause)."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(select(OptionChange.old_value, OptionChange.new_value,
                                   OptionChange.cause)
                            .where(OptionChange.option_id == option_id,
                                   OptionChange.field == "capacity")
                            .order_by(OptionChange.change_id)).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def assert_unbroken(chain: list[tuple[str, str, str]]) -> None:
    """Each change starts where the previous one ended, and no count is negative."""
    for before, after in zip(chain, chain[1:], strict=False):
        assert after[0] == before[1], chain
    assert all(int(new) >= 0 for _, new, _ in chain), chain
