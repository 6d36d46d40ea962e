"""Records made straight in the database for API tests that need a known starting state."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from matcher.store import generations
from matcher.store.db import make_engine, transaction
from matcher.store.tables import Client, Option, OptionTrade, Provider, Suggestion, User
from tests import local_http

PLACE = "cur-6658"  # Phường Cao Xanh, Hạ Long


def add_open_option(db_url: str, option_id: str, *, seats: int, trade: str = "sewing",
                    place_id: str = PLACE, kind: str = "training",
                    provider_id: str | None = None) -> None:
    """One option anybody adult can take, with ``seats`` seats, of ``provider_id`` (an
    existing provider) or of a new provider of its own."""
    engine = make_engine(db_url)
    with transaction(engine) as s:
        if provider_id is None:
            provider_id = f"P{option_id}"
            s.add(Provider(provider_id=provider_id, name=f"Cơ sở thử nghiệm {option_id}",
                           name_folded=f"co so thu nghiem {option_id.lower()}",
                           kind="trainer" if kind == "training" else "employer",
                           place_id=place_id))
            s.flush()
        s.add(Option(option_id=option_id, provider_id=provider_id, kind=kind,
                     title=f"Khóa thử nghiệm {option_id}", place_id=place_id, capacity=seats,
                     min_age=13, cost_vnd=1_000_000, duration_weeks=8, women_only=False,
                     sign_language=False, accepts_records=True))
        s.flush()
        s.add(OptionTrade(option_id=option_id, trade_id=trade, position=0))
        generations.bump(s, generations.CATALOG)
    engine.dispose()


def add_clients_with_suggestion(db_url: str, prefix: str, n: int, option_id: str,
                                caseworker: str, *, place_id: str = PLACE) -> list[int]:
    """``n`` adult clients of ``caseworker``'s caseload, each with a logged suggestion of the
    option (as if the engine had suggested it): the suggestion ids."""
    engine = make_engine(db_url)
    with transaction(engine) as s:
        user_id = s.scalar(select(User.user_id).where(User.username == caseworker))
        clients = [Client(client_id=f"{prefix}{i:04d}", full_name=None, birth_date=date(1995, 1, 1),
                          gender="female", group_code="other", place_id=place_id,
                          disability="none", max_travel_km=30, caseworker_id=user_id)
                   for i in range(n)]
        s.add_all(clients)
        s.flush()
        entry = {"option_id": option_id, "kind": "training", "score": 0.5, "p_success": 0.5,
                 "reasons": []}
        suggestions = [Suggestion(client_id=c.client_id, user_id=user_id, model_version="test",
                                  entries=[entry]) for c in clients]
        s.add_all(suggestions)
        s.flush()
        ids = [x.suggestion_id for x in suggestions]
    engine.dispose()
    return ids


def seats_and_placements(db_url: str, option_id: str) -> tuple[int, int]:
    from sqlalchemy import func

    from matcher.store.tables import Placement

    engine = make_engine(db_url)
    with engine.connect() as conn:
        seats = conn.scalar(select(Option.capacity).where(Option.option_id == option_id))
        placed = conn.scalar(select(func.count()).select_from(Placement)
                             .where(Placement.option_id == option_id))
    engine.dispose()
    return int(seats), int(placed)


def new_account(api, role: str, password: str, *, provider_id: str | None = None,
                prefix: str = "acct") -> dict:
    """An account made the product's way: the admin creates it (no password), the person
    activates it with the one-time code, and programme staff approve it when it can read
    client records. The admin's answer (user_id, username, ...)."""
    import time


    name = f"{prefix}{time.time_ns()}"
    with api.client("quantri") as admin:
        made = admin.post("/v1/users", json={"username": name, "role": role,
                                             "provider_id": provider_id})
        assert made.status_code == 201, made.text
    body = made.json()
    done = local_http.post(f"{api.url}/v1/auth/activate", timeout=30, json={
        "username": name, "code": body["activation_code"], "new_password": password})
    assert done.status_code == 200, done.text
    if done.json()["status"] == "awaiting_approval":
        with api.client("canbo.chuongtrinh") as staff:
            ok = staff.post(f"/v1/users/{body['user_id']}/approve")
            assert ok.status_code == 200, ok.text
    return body
