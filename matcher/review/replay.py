"""A simulated suggestion log for the demo world, clearly marked as simulated.

The demo world holds 3,000 historical placements but no logged suggestion lists, so the
suggestion-quality part of the review would have nothing to show. :func:`replay_log` asks
the real matcher for suggestions for some demo clients, logs them as the API does, and
records what a simulated social worker decided. Every entry carries ``"simulated": true``,
every decline the reason text ``"simulated"``, every placement an id starting ``SIM-``;
the review counts and names them. Seats are not taken (a replay must not change the
catalogue) and the placements it makes have no outcome (they are ``ongoing``).

How the simulated worker decides (written down so that the figures it gives can be read):
going down the list, the client accepts an entry with probability
``clip(0.08 + 0.45·wish + 0.30·P(success) − 0.20·min(km/30, 1), 0.02, 0.85)``; after each
decline the worker stops with probability 0.15 (the rest stay undecided). A decline's
reason is ``too_far`` (more than 15 km, 60%), ``not_interested`` (wish below 0.5, 70%),
otherwise one of ``not_interested``, ``unreachable``, ``no_capacity``, ``other``.
Gender and group play no part in it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from matcher.clock import as_utc, utcnow
from matcher.matching.engine import Matcher
from matcher.store.frames import load_clients
from matcher.store.profiles import ClientProfile
from matcher.store.tables import Client, Decision, Placement, Suggestion

SIMULATED = "simulated"
OTHER_REASONS = ["not_interested", "unreachable", "no_capacity", "other"]
OTHER_WEIGHTS = [0.4, 0.25, 0.2, 0.15]


class RealLogPresent(RuntimeError):
    """The store already holds suggestions that were not simulated: no replay into it."""


def real_log_size(session: Session) -> int:
    """Logged lists that are not simulated (read from their entries)."""
    n = 0
    for entries in session.scalars(select(Suggestion.entries)):
        if not any(isinstance(e, dict) and e.get(SIMULATED) for e in entries or []):
            n += 1
    return n


def replay_log(engine: Engine, model_dir: Path, *, n_clients: int = 300, top: int = 5,
               seed: int = 0, days: int = 180, now: datetime | None = None,
               allow_with_real_log: bool = False) -> dict[str, Any]:
    """Log ``n_clients`` simulated suggestion lists with decisions (see the module docstring).

    Raises
    ------
    RealLogPresent
        When the store holds real (not simulated) suggestion lists, unless
        ``allow_with_real_log``: simulated decisions must not mix with real ones unnoticed.
    """
    rng = np.random.default_rng(seed)
    now = as_utc(now or utcnow())
    with Session(engine) as session:
        if not allow_with_real_log and real_log_size(session):
            raise RealLogPresent("the database holds real suggestion lists: a simulated log "
                                 "is for the demo world only")
        matcher = Matcher.build(session, model_dir=model_dir)
        clients = load_clients(session)
        caseworker = dict(session.execute(select(Client.client_id, Client.caseworker_id)).all())
        first = session.scalar(select(func.max(Suggestion.suggestion_id))) or 0
        chosen = rng.choice(len(clients), size=min(n_clients, len(clients)), replace=False)
        counts = {"lists": 0, "entries": 0, "accepted": 0, "declined": 0, "undecided": 0}
        for i in sorted(chosen):
            record = clients.iloc[int(i)].to_dict()
            profile = ClientProfile.from_record(record)
            created = now - timedelta(days=float(rng.uniform(7, days)))
            answer = matcher.suggest(profile, top=top, on=created.date())
            entries = answer["suggestions"]
            if not entries:
                continue
            logged = [{"option_id": e["option_id"], "kind": e["kind"], "score": e["score"],
                       "p_success": e["p_success"], "reasons": [], SIMULATED: True}
                      for e in entries]
            user = caseworker.get(record["client_id"])
            suggestion = Suggestion(client_id=record["client_id"], user_id=user,
                                    model_version=answer["model_version"], created_at=created,
                                    entries=logged)
            session.add(suggestion)
            session.flush()
            counts["lists"] += 1
            counts["entries"] += len(entries)
            _decide(session, rng, suggestion, entries, user, created, counts)
        session.commit()
    counts["first_suggestion_id"] = first + 1
    return counts


def _decide(session: Session, rng: np.random.Generator, suggestion: Suggestion,
            entries: list[dict[str, Any]], user: int | None, created: datetime,
            counts: dict[str, int]) -> None:
    at = created
    for k, e in enumerate(entries):
        wish = float(e.get("parts", {}).get("wish", 0.0)) / max(_wish_weight(), 1e-9)
        km = float(e.get("distance_km") or 0.0)
        p = np.clip(0.08 + 0.45 * wish + 0.30 * float(e["p_success"])
                    - 0.20 * min(km / 30.0, 1.0), 0.02, 0.85)
        at = at + timedelta(hours=float(rng.uniform(1, 72)))
        if rng.random() < p:
            session.add(Decision(suggestion_id=suggestion.suggestion_id,
                                 option_id=e["option_id"], decision="accepted",
                                 user_id=user, created_at=at))
            start = (at + timedelta(days=float(rng.uniform(3, 45)))).date()
            session.add(Placement(placement_id=f"SIM-{suggestion.suggestion_id}",
                                  client_id=suggestion.client_id, option_id=e["option_id"],
                                  start_date=start, status="ongoing",
                                  suggestion_id=suggestion.suggestion_id, created_by=user,
                                  created_at=at))
            counts["accepted"] += 1
            counts["undecided"] += len(entries) - k - 1
            return
        reason = _reason(rng, wish, km)
        session.add(Decision(suggestion_id=suggestion.suggestion_id, option_id=e["option_id"],
                             decision="declined", reason_code=reason,
                             reason_text=SIMULATED, user_id=user, created_at=at))
        counts["declined"] += 1
        if rng.random() < 0.15:
            counts["undecided"] += len(entries) - k - 1
            return


def _reason(rng: np.random.Generator, wish: float, km: float) -> str:
    if km > 15 and rng.random() < 0.6:
        return "too_far"
    if wish < 0.5 and rng.random() < 0.7:
        return "not_interested"
    return str(rng.choice(OTHER_REASONS, p=OTHER_WEIGHTS))


def _wish_weight() -> float:
    from matcher.matching.ranking import Weights
    return float(Weights.from_settings().wish)
