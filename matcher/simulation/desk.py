"""The social worker's desk: each arrival, in turn, through the API's own route functions.

A client walks in; the social worker asks for suggestions (``POST /v1/clients/{id}/suggestions``
with ``top=50``) and accepts one (``POST /v1/suggestions/{id}/decisions``); the seat is gone for
the next client. The route functions are called in-process with a real SQLAlchemy session
and the stage's social worker as the signed-in caller, so every check, log entry, seat
reservation and matcher refresh a real request makes is made here too. An accept refused with
409 (no seat left) moves on to the next suggestion; a client none of whose suggestions has a
seat stays unplaced.

With seat pricing on, the stored seat prices are fresh before each suggestion, as the API keeps
them in the background: the refresh the API starts after an accept is let finish before the
next client walks in (:func:`api_threads_finished`), and when the stored prices are still not
current (the first client, a new model) the simulator refreshes them itself
(``matcher.pricing.refresh_prices``; skipped, and reported, while that function does not exist).

Behaviours (:class:`Behaviour`):

- ``first``: accept the first suggestion that still has a seat;
- ``mixed:f``: with probability ``f`` the same, otherwise the social workers' habit applied
  to the list shown: the suggestion that maximises ``wish_match − 0.03·km``
  (:func:`matcher.simulation.baselines.habit_key`), then the next best, seats permitting;
- ``heed``: as ``first``, except when the list advises that every seat on it would serve
  someone else waiting better (``pricing.all_contested``): then the client waits, unplaced
  for the rest of the run (a later intake or a club, which the simulator does not score).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import func, select

from matcher.simulation.baselines import habit_key
from matcher.simulation.staging import Stage, settings_for, sim_engine

TOP = 50  # the most a list may hold (api/schemas SuggestIn): enough that "first" rarely runs out


@dataclass(frozen=True)
class Behaviour:
    """How the social worker chooses from a list: ``first``, ``mixed:f`` or ``heed``."""

    follow_top: float  # probability of taking the list's order (1.0 = "first")
    heeds_advice: bool = False  # a list that says every seat is contested: the client waits

    @classmethod
    def parse(cls, text: str) -> Behaviour:
        """``first`` or ``mixed:F`` with F in [0, 1]; ValueError with the reason otherwise."""
        word = text.strip()
        if word == "first":
            return cls(1.0)
        if word == "heed":
            return cls(1.0, heeds_advice=True)
        if word.startswith("mixed:"):
            try:
                f = float(word.split(":", 1)[1])
            except ValueError:
                f = float("nan")
            if not 0.0 <= f <= 1.0:
                raise ValueError(f"behaviour {text!r}: the share f of mixed:f must be a number "
                                 "in [0, 1]")
            return cls(f)
        raise ValueError(f"unknown behaviour {text!r}: use first, heed or mixed:F "
                         "(F in [0, 1])")

    @property
    def name(self) -> str:
        if self.heeds_advice:
            return "heed"
        return "first" if self.follow_top == 1.0 else f"mixed:{self.follow_top:g}"

    @property
    def text(self) -> str:
        if self.heeds_advice:
            return ("accept the first suggestion that still has a seat, unless the list says "
                    "every seat on it would serve someone else waiting better: then wait")
        if self.follow_top == 1.0:
            return "accept the first suggestion that still has a seat"
        return (f"with probability {self.follow_top:g} accept the first suggestion with a "
                "seat, otherwise the habit (max wish match − 0.03·km) among the suggestions")


@dataclass
class DeskRun:
    """What a run of arrivals did: the accepted pairs and how it went."""

    accepted: list[tuple[str, str]] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    refused_no_seat: int = 0  # accepts answered 409 "no seat left"
    empty_lists: int = 0
    habit_choices: int = 0
    waited_on_advice: int = 0  # behaviour heed: clients left waiting by the list's advice
    advised: int = 0  # lists that said every seat on them is contested
    #: accepts of a seat priced above the client's P(success): by the prices, the seat was
    #: worth more to the others waiting than to this client
    accepted_over_price: int = 0
    model_version: str = ""
    prior_only: bool = False
    pricing: str = "off"  # off, refreshed, or absent (asked for, no refresh_prices yet)
    seats_check: dict[str, int] = field(default_factory=dict)
    price_refreshes: int = 0  # refreshes the simulator made, the API's own being not done
    seat_changes: int = 0  # providers' seat changes made through their route
    learning_curve: list[dict[str, Any]] = field(default_factory=list)
    trained_versions: list[str] = field(default_factory=list)  # with rounds; vary by run
    seconds: float = 0.0
    ms_per_arrival: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"placed": len(self.accepted), "unplaced": len(self.unplaced),
                "refused_no_seat": self.refused_no_seat, "empty_lists": self.empty_lists,
                "habit_choices": self.habit_choices,
                "advised": self.advised, "waited_on_advice": self.waited_on_advice,
                "accepted_over_price": self.accepted_over_price,
                "model_version": self.model_version,
                "prior_only": self.prior_only, "pricing": self.pricing,
                "price_refreshes": self.price_refreshes,
                "seat_changes": self.seat_changes,
                "seats_check": self.seats_check, "learning_curve": self.learning_curve,
                "trained_versions": self.trained_versions,
                "seconds": round(self.seconds, 2),
                "ms_per_arrival": self.ms_per_arrival}


def run_desk(stage: Stage, order: list[str], *, behaviour: Behaviour, seat_pricing: bool,
             seed: int | str, rounds: int = 0, changes: tuple = ()) -> DeskRun:
    """Every arrival of ``order`` through the API's routes, on a fresh copy of the stage.

    With ``rounds`` (4: quarters), the arrivals come in that many consecutive parts; after
    each part but the last, the outcomes of its placements are drawn from the truth, recorded
    through the API's outcome route, and a model is retrained through the promotion gate
    (:mod:`matcher.simulation.rounds`); ``DeskRun.learning_curve`` says what each part got.
    ``changes`` (:mod:`matcher.simulation.changes`) are made by the providers through their
    own route, each once as many clients as it says have arrived.
    """
    # The API is imported here, not at the top: matcher/ is the library and must load without
    # the web layer, while the simulator's point is to exercise the API's own code path.
    import api.matching
    import matcher.pricing
    from api.deps import Caller
    from matcher.simulation.rounds import learn_from, round_entry
    from matcher.store.db import session_factory

    stage.restore()
    run = DeskRun()
    rng = random.Random(f"{seed}:{behaviour.name}")
    caller = Caller(stage.worker_id, "sim.social_worker", "social_worker", None, "simulation")
    refresh = getattr(matcher.pricing, "refresh_prices", None)
    run.pricing = "off" if not seat_pricing else ("refreshed" if refresh else "absent")
    parts = [list(p) for p in np.array_split(np.asarray(order, dtype=object), max(rounds, 1))]
    serving = "prior" if stage.model["prior"] else "set-up model"
    took: list[float] = []
    began = time.perf_counter()
    with settings_for(**stage.env(seat_pricing=seat_pricing)):
        api.matching.cache.clear()  # another stage's (or run's) matcher must not serve here
        engine = sim_engine(stage.db_path)
        make_session = session_factory(engine)
        try:
            arrived = 0
            for k, part in enumerate(parts):
                placed: list[tuple[str, str, str]] = []
                for client_id in part:
                    t0 = time.perf_counter()
                    if changes:
                        with api_threads_finished(), make_session() as session:
                            run.seat_changes += provider_changes(session, changes, arrived)
                    arrived += 1
                    with api_threads_finished(), make_session() as session:
                        if seat_pricing:
                            _fresh_prices(session, run)
                        got = _arrive(session, caller, client_id, run, behaviour, rng,
                                      start_today=rounds > 0)
                    if got is None:
                        run.unplaced.append(client_id)
                    else:
                        run.accepted.append((client_id, got[0]))
                        placed.append((client_id, *got))
                    took.append(time.perf_counter() - t0)
                if rounds:
                    last = k == len(parts) - 1
                    model = None if last else learn_from(
                        stage, engine, caller, placed, round_no=k + 1, seed=seed)
                    run.learning_curve.append(round_entry(stage.world, k + 1, part, placed,
                                                          serving, model))
                    if model is not None:
                        run.trained_versions.append(model.get("candidate", "none"))
                        if model["promoted"]:
                            serving = f"retrained after round {k + 1}"
            if rounds:
                # The retrained models' versions hash their data, which holds the API's
                # random placement ids: reported apart (trained_versions), as they vary.
                run.model_version = serving
            with make_session() as session:
                run.seats_check = seats_check(session, stage.world.capacity)
        finally:
            api.matching.cache.clear()
            engine.dispose()
    run.seconds = time.perf_counter() - began
    if took:
        ms = np.asarray(took) * 1000
        run.ms_per_arrival = {"median": round(float(np.median(ms)), 1),
                              "p99": round(float(np.percentile(ms, 99)), 1)}
    return run


def provider_changes(session: Any, changes: tuple, arrived: int) -> int:
    """The providers' seat changes due once ``arrived`` clients have come, each made by the
    option's provider through ``PATCH /v1/my/options/{id}`` (the account is created the
    first time, in this run's copy of the database); how many were made."""
    from fastapi import Response
    from sqlalchemy import select

    from api.deps import Caller
    from api.routes.capacity import update_my_option
    from api.schemas.capacity import OptionUpdate
    from matcher.access.accounts import check_new_user
    from matcher.store.tables import Option, User

    made = 0
    for change in changes:
        if change.after != arrived:
            continue
        option = session.get(Option, change.option_id)
        if option is None:
            continue
        name = f"sim.provider.{option.provider_id}".lower()
        user = session.scalar(select(User).where(User.username == name))
        if user is None:
            # An account nobody signs in to: no password, so no argon2 hash (0.13 s each,
            # a provider per changed option and run: most of a sweep with seat changes).
            user = User(username=check_new_user(session, name, "provider", option.provider_id),
                        role="provider", password_hash=None, provider_id=option.provider_id,
                        active=True, status="active", failed_logins=0)
            session.add(user)
            session.commit()
        caller = Caller(user.user_id, name, "provider", option.provider_id, "simulation")
        seats = max(0, option.capacity + change.seats_added)
        update_my_option(change.option_id, OptionUpdate(capacity=seats), Response(), session,
                         caller, if_match=f'"{option.version}"')
        made += 1
    return made


def _fresh_prices(session: Any, run: DeskRun) -> None:
    """Refreshes the stored seat prices, as the API does in the background, when they are not
    current already (they are when the refresh the API started after the last accept has
    finished: :func:`api_threads_finished`)."""
    import api.matching  # lazily, as in run_desk
    import matcher.pricing

    refresh = getattr(matcher.pricing, "refresh_prices", None)
    if refresh is None:  # seat pricing not in this version of the product
        return
    current = getattr(matcher.pricing, "is_current", None)
    matcher_now = api.matching.cache.get(session)
    if current is None or not current(session, matcher_now):
        refresh(session, matcher_now)
        run.price_refreshes += 1
    session.commit()


@contextmanager
def api_threads_finished() -> Iterator[None]:
    """On the way out, wait for the threads the API started meanwhile (the seat-price refresh
    it starts in the background after an accept, api/matching.py).

    A client walks in minutes after the last one and a refresh takes about a second, so the
    next client finds it done; waiting for it here also keeps a run deterministic, and the
    database file quiet before the stage is copied back over it.
    """
    before = set(threading.enumerate())
    try:
        yield
    finally:
        # Until none is left: a thread may start another (the rebuild starts a price refresh).
        while pending := [t for t in threading.enumerate() if t not in before
                          and t is not threading.current_thread() and t.is_alive()]:
            for thread in pending:
                thread.join()


def _arrive(session: Any, caller: Any, client_id: str, run: DeskRun, behaviour: Behaviour,
            rng: random.Random, *, start_today: bool) -> tuple[str, str] | None:
    """One client at the desk: a list, then accepts down the chosen order until one gets a
    seat; (option id, placement id), or None when no suggestion had a seat."""
    import api.matching  # lazily, as in run_desk: the API's own routes
    from api.errors import Problem
    from api.routes.placements import decide
    from api.routes.suggestions import suggest_for_client
    from api.schemas.placements import DecisionIn
    from api.schemas.suggestions import SuggestIn

    out = suggest_for_client(client_id, SuggestIn(top=TOP), session, caller)
    run.model_version, run.prior_only = out.model_version, out.prior_only
    entries = [e.model_dump() for e in out.suggestions]
    if not entries:
        run.empty_lists += 1
    if out.pricing.all_contested:
        run.advised += 1
        if behaviour.heeds_advice:
            run.waited_on_advice += 1
            return None
    if rng.random() < behaviour.follow_top:
        ranked = entries
    else:
        run.habit_choices += 1
        ranked = _by_habit(entries, api.matching.cache.get(session), session, client_id)
    # With rounds the client starts today, so that the follow-up can be recorded today (the
    # outcome route refuses one before the start); otherwise the option's own start date.
    start = date.today() if start_today else None
    for entry in ranked:
        try:
            done = decide(out.suggestion_id, DecisionIn(option_id=entry["option_id"],
                                                        decision="accepted", start_date=start),
                          session, caller)
        except Problem as exc:
            if exc.status == 409 and "no seat left" in exc.detail:
                run.refused_no_seat += 1
                continue
            raise
        # The score's parts are w_success·P and −w_success·price: their sum says P < price
        # whatever the weight.
        parts = entry.get("parts", {})
        if parts.get("success", 0.0) + parts.get("seat", 0.0) < 0:
            run.accepted_over_price += 1
        return entry["option_id"], str(done.placement_id)
    return None


def _by_habit(entries: list[dict[str, Any]], matcher: Any, session: Any,
              client_id: str) -> list[dict[str, Any]]:
    """The list reordered by the social workers' habit: wish match from the matcher's own
    candidates (what the list's ``wish`` part is made of), distance as shown."""
    from matcher.store.profiles import load_profile

    c = matcher.candidates(load_profile(session, client_id))
    ids = matcher.catalog.options["option_id"].to_numpy(object)[c.rows]
    wish = dict(zip(ids, c.wish, strict=True))
    keyed = [(habit_key(wish.get(e["option_id"], 0.0), e["distance_km"]), -k, e)
             for k, e in enumerate(entries)]
    return [e for *_, e in sorted(keyed, key=lambda t: t[:2], reverse=True)]


def seats_check(session: Any, capacity: dict[str, int]) -> dict[str, int]:
    """After a run: options below 0 seats, and options given more placements by the run than
    they had seats (both must be 0: no seat given twice)."""
    from matcher.store.tables import Option, Placement

    negative = session.scalar(select(func.count()).select_from(Option)
                              .where(Option.capacity < 0)) or 0
    given = session.execute(select(Placement.option_id, func.count())
                            .where(Placement.suggestion_id.is_not(None))
                            .group_by(Placement.option_id)).all()
    over = sum(1 for o, n in given if n > capacity.get(o, 0))
    return {"options_below_zero": int(negative), "options_over_capacity": int(over),
            "placements": int(sum(n for _, n in given))}
