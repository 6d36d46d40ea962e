"""Seat prices kept in the database: recomputed when what they rest on changes, read by all.

A run rests on the change counters (catalogue, seats, waiting list) and the model version
it was computed with. :func:`is_current` compares them with the store's; the API recomputes
in the background when they differ (api/matching.py) and ranks by the last stored run in the
meantime, so a suggestion's prices lag the latest change by about one refresh (0.05 s after
an accept at province scale, 9 s at national scale; ``bench/bench_pricing.py``).
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import numpy as np
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from matcher.matching.engine import Matcher
from matcher.matching.seat_prices import NOTES, SHOWN_FROM, SeatPrices
from matcher.notes import note
from matcher.pricing.demand import read_demand
from matcher.pricing.prices import compute_prices
from matcher.settings import get_settings
from matcher.store import generations
from matcher.store.tables import Decision, SeatPrice, SeatPriceRun, Suggestion

#: Prices this small (in expected successes) are stored as 0: they move no ranking.
STORED_FROM = 1e-4
#: The latest lists the status counts as priced or not.
STATUS_LISTS = 1000
#: The status's note per state (NOTES's English; the pages say ``note.pricing.<state>``).
STATUS_NOTES = {
    "off": note("pricing.off", NOTES["off"][1]),
    "no_run": note("pricing.no_run", NOTES["no_run"][1]),
    "no_demand": note("pricing.no_demand", NOTES["no_demand"][1]),
    "priced": note("pricing.priced", NOTES["priced"][1]),
}


def basis_of(counts: dict[str, int], model_version: str) -> str:
    """What a run rests on, as stored: the change counters and the model."""
    names = (generations.CATALOG, generations.CAPACITY, generations.WAITING)
    return ";".join(f"{n}={counts.get(n, 0)}" for n in names) + f";model={model_version}"


def is_current(session: Session, matcher: Matcher, counts: dict[str, int] | None = None, *,
               stored: str | None = None) -> bool:
    """Whether the stored run (or the given ``stored`` basis) rests on the store's current
    state and this matcher's model."""
    counts = counts if counts is not None else generations.read(session)
    if stored is None:
        stored = session.scalar(select(SeatPriceRun.basis)
                                .order_by(SeatPriceRun.run_id.desc()).limit(1))
    return stored == basis_of(counts, str(matcher.model.version))


def refresh_prices(session: Session, matcher: Matcher, *, on: date | None = None) -> SeatPrices:
    """Recompute the prices from the store as it is now, store them, and return them.

    Commits its own transaction. The prices are for ``matcher``'s seats: call it with the
    matcher of the current catalogue (the API's cache keeps it so).
    """
    settings = get_settings()
    on = on or date.today()
    started = time.perf_counter()
    # The counters first, then the demand in a fresh transaction: a change between the two
    # reads makes the run look older than it is (recomputed again), never newer.
    counts = generations.read(session)
    session.rollback()
    demand = read_demand(session, on=on, horizon_days=settings.pricing_horizon_days,
                         waiting_days=settings.pricing_waiting_days,
                         samples=settings.pricing_samples)
    result = compute_prices(matcher, demand, on=on)
    state = "no_demand" if demand.empty else "priced"
    run_id = session.execute(insert(SeatPriceRun).values(
        computed_at=datetime.now(UTC), basis=basis_of(counts, str(matcher.model.version)),
        state=state, n_waiting=result.n_waiting, n_idle=result.n_idle,
        expected_arrivals=result.expected_arrivals,
        seconds=round(time.perf_counter() - started, 4)).returning(SeatPriceRun.run_id)
    ).scalar_one()
    ids = matcher.catalog.options["option_id"].to_numpy(object)
    kept = np.flatnonzero((result.price >= STORED_FROM) | np.isin(ids, list(result.holders)))
    rows = [{"run_id": run_id, "option_id": ids[r], "price": float(result.price[r]),
             "held_price": float(result.held_price[r]),
             "holders": list(result.holders.get(ids[r], ()))} for r in kept]
    if rows:
        session.execute(insert(SeatPrice), rows)
    session.execute(delete(SeatPrice).where(SeatPrice.run_id < run_id))
    session.execute(delete(SeatPriceRun).where(SeatPriceRun.run_id < run_id))
    generations.bump(session, generations.PRICES)
    session.commit()
    return load_prices(session, matcher)


def load_prices(session: Session, matcher: Matcher) -> SeatPrices:
    """The stored run, aligned with ``matcher``'s catalogue (options it does not know are
    left out; options the run does not list cost 0)."""
    n = len(matcher.catalog)
    if not get_settings().seat_pricing:
        return SeatPrices.none(n, "off")
    run = session.execute(select(SeatPriceRun).order_by(SeatPriceRun.run_id.desc()).limit(1)
                          ).scalar_one_or_none()
    if run is None:
        return SeatPrices.none(n)
    price, held_price = np.zeros(n), np.zeros(n)
    holders = {}
    position = matcher.catalog.position
    for option_id, value, held_value, held in session.execute(
            select(SeatPrice.option_id, SeatPrice.price, SeatPrice.held_price,
                   SeatPrice.holders).where(SeatPrice.run_id == run.run_id)):
        row = position.get(option_id)
        if row is not None:
            price[row], held_price[row] = value, held_value
            if held:
                holders[option_id] = frozenset(held)
    return SeatPrices(price, held_price, holders, run.state, run.computed_at, run.n_waiting,
                      run.expected_arrivals, run.basis)


def pricing_status(session: Session) -> dict:
    """Whether suggestions are ranked net of seat prices, and what the last run rests on:
    for the plan page and the review."""
    settings = get_settings()
    run = session.execute(select(SeatPriceRun).order_by(SeatPriceRun.run_id.desc()).limit(1)
                          ).scalar_one_or_none()
    lists = session.execute(select(Suggestion.suggestion_id, Suggestion.pricing).order_by(
        Suggestion.suggestion_id.desc()).limit(STATUS_LISTS)).all()
    priced = sum(1 for _, p in lists if p and p.get("on"))
    # Lists that advised every seat would serve someone else better, and how many of them a
    # social worker still accepted from: whether the advice is heeded, for the review.
    advised = [i for i, p in lists if p and p.get("all_contested")]
    accepted = session.scalar(select(func.count(func.distinct(Decision.suggestion_id))).where(
        Decision.suggestion_id.in_(advised), Decision.decision == "accepted")) if advised else 0
    state = "off" if not settings.seat_pricing else (run.state if run else "no_run")
    out = {"on": settings.seat_pricing, "state": state, "note": dict(STATUS_NOTES[state]),
           "horizon_days": settings.pricing_horizon_days,
           "waiting_days": settings.pricing_waiting_days,
           "recent_lists": len(lists), "recent_lists_priced": priced,
           "recent_lists_advised": len(advised), "advised_accepted": int(accepted or 0)}
    if run is not None:
        contested = session.scalar(select(func.count()).select_from(SeatPrice).where(
            SeatPrice.run_id == run.run_id, SeatPrice.price >= SHOWN_FROM))
        out.update(computed_at=run.computed_at.isoformat(timespec="seconds"),
                   n_waiting=run.n_waiting, n_idle=run.n_idle,
                   expected_arrivals=round(run.expected_arrivals, 1),
                   seconds=run.seconds, contested_options=int(contested or 0))
    return out
