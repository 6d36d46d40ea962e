"""The numbers behind the programme staff's dashboard: plain data, no HTML.

Every function takes a session and returns lists of dicts (ids and codes, never labels: the
page turns codes into words in the reader's language). A placement's outcome is "known" as
in training (:func:`matcher.outcomes.data.outcome_labels`): success 1 or 0 at follow-up, or
dropped out (a failure). Rates carry a 95% Wilson interval.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from matcher.clock import in_vietnam, utcnow
from matcher.outcomes.calibration import wilson
from matcher.outcomes.data import outcome_labels
from matcher.review.data import standing_decisions
from matcher.review.department import current_quarter, department_report
from matcher.review.funnel import DIMENSIONS as FUNNEL_DIMENSIONS
from matcher.review.funnel import MIN_CELL as FUNNEL_MIN_CELL
from matcher.review.funnel import area_of, funnel
from matcher.review.quality import decline_reasons as count_decline_reasons
from matcher.store.tables import Client, ClubReferral, Option, OptionTrade, Placement, Provider
from matcher.vocab import kinds as kind_table
from matcher.vocab.places import PlaceIndex, load_place_index

KINDS = kind_table.PLACEMENT_CODES


def _rate(key: str, successes: int, n: int) -> dict[str, Any]:
    low, high = wilson(successes, n)
    return {"key": key, "n": int(n), "successes": int(successes),
            "rate": successes / n if n else None, "ci_low": float(low), "ci_high": float(high)}


def _outcomes(session: Session) -> pd.DataFrame:
    """Placements with a known outcome, with their client's group and option's provider,
    place and kind: columns placement_id, y, group_code, provider_id, place_id, kind."""
    rows = session.execute(
        select(Placement.placement_id, Placement.status, Placement.success,
               Placement.client_id, Option.provider_id, Option.place_id, Option.kind)
        .join(Option, Option.option_id == Placement.option_id)).all()
    frame = pd.DataFrame(rows, columns=["placement_id", "status", "success", "client_id",
                                        "provider_id", "place_id", "kind"])
    if frame.empty:
        return frame.assign(y=pd.Series(dtype=int), group_code=pd.Series(dtype=object))
    mask, y = outcome_labels(frame)
    known = frame.loc[mask].reset_index(drop=True).assign(y=y)
    groups = dict(session.execute(select(Client.client_id, Client.group_code)).all())
    return known.assign(group_code=known["client_id"].map(groups))


def _rates_by(frame: pd.DataFrame, column: str) -> list[dict[str, Any]]:
    if frame.empty:
        return []
    grouped = frame.groupby(column, sort=True)["y"].agg(["sum", "count"])
    return [_rate(str(k), int(r["sum"]), int(r["count"])) for k, r in grouped.iterrows()]


def placements_by_month(session: Session) -> list[dict[str, Any]]:
    """Placements started each month, by option kind: ``[{"month": "2024-03", "training": n,
    "job": n, "livelihood": n, "total": n}]``, every month from the first to the last."""
    rows = session.execute(
        select(Placement.start_date, Option.kind)
        .join(Option, Option.option_id == Placement.option_id)
        .where(Placement.status != "not_started")).all()  # declined, never came: no start
    if not rows:
        return []
    frame = pd.DataFrame(rows, columns=["start_date", "kind"])
    frame["month"] = pd.to_datetime(frame["start_date"]).dt.to_period("M")
    table = frame.pivot_table(index="month", columns="kind", aggfunc="size", fill_value=0)
    months = pd.period_range(table.index.min(), table.index.max(), freq="M")
    table = table.reindex(months, fill_value=0)
    out = []
    for month, row in table.iterrows():
        counts = {k: int(row[k]) if k in row else 0 for k in KINDS}
        out.append({"month": str(month), **counts, "total": sum(counts.values())})
    return out


def success_by_group(session: Session) -> list[dict[str, Any]]:
    """Success rate of placements with a known outcome, by the client's group (``key``)."""
    return _rates_by(_outcomes(session), "group_code")


def success_by_place(session: Session, places: PlaceIndex | None = None) -> list[dict[str, Any]]:
    """Success rate by the area of the option's place: its former district (``key``), the
    13 areas staff know, rather than the 54 current units (too few placements each). A
    current unit formed from wards of two districts counts in the first one listed."""
    frame = _outcomes(session)
    if frame.empty:
        return []
    places = places or load_place_index()
    return _rates_by(frame.assign(area=frame["place_id"].map(lambda p: area_of(places, p))),
                     "area")


def success_by_provider(session: Session, top: int = 10) -> list[dict[str, Any]]:
    """Success rate of the ``top`` providers with the most placements of known outcome,
    most placements first; each row also has the provider's ``name`` and ``kind``."""
    frame = _outcomes(session)
    if frame.empty:
        return []
    rates = _rates_by(frame, "provider_id")
    rates.sort(key=lambda r: (-r["n"], r["key"]))
    rates = rates[:top]
    names = dict(session.execute(
        select(Provider.provider_id, Provider.name)
        .where(Provider.provider_id.in_([r["key"] for r in rates]))).all())
    return [{**r, "name": names.get(r["key"], r["key"])} for r in rates]


def calibration(review: dict[str, Any] | None) -> dict[str, Any] | None:
    """Predicted against observed success for every placement with a known outcome: the
    review's figure (``calibration.current`` of the stored review, api/reviewing.py), so the
    dashboard and the review give one number for the same data and model; None while no
    review was computed yet.

    The predictions are out of fold (the current model's fitting rerun on the stored history
    in five client-grouped folds, so no placement is scored by a model that saw its
    outcome); scoring the training rows in sample would flatter the model. Returns
    ``{"model_version", "n", "brier", "bins": [{"bin", "n", "mean_predicted", "observed",
    "ci_low", "ci_high", ...}], "predictions"}`` with ``predictions`` the review's coded note
    saying how they were made.
    """
    if review is None:
        return None
    current = review["calibration"]["current"]
    return {"model_version": current["version"], "n": current["n"],
            "brier": current["brier"]["brier"], "bins": current["deciles"],
            "predictions": current["predictions"]}


def decline_reasons(session: Session) -> list[dict[str, Any]]:
    """Standing declines by reason code, most frequent first: ``[{"reason_code", "n",
    "share"}]``, counted as the review counts them (:func:`matcher.review.quality.
    decline_reasons`: the last decision on an entry stands, no reason code is "none")."""
    decisions = standing_decisions(session)
    return count_decline_reasons(decisions.loc[decisions["decision"].eq("declined"),
                                               "reason_code"])


def seats_by_trade(session: Session, top: int = 15) -> list[dict[str, Any]]:
    """Seats filled and empty, by the option's main trade (``key``; "other" gathers the
    trades beyond the ``top`` largest): ``filled`` counts ongoing placements (a seat taken
    now), ``empty`` the seats, openings or slots still free (the options' capacity)."""
    first = (select(OptionTrade.option_id, func.min(OptionTrade.position).label("pos"))
             .group_by(OptionTrade.option_id).subquery())
    main = dict(session.execute(
        select(OptionTrade.option_id, OptionTrade.trade_id)
        .join(first, (first.c.option_id == OptionTrade.option_id)
              & (first.c.pos == OptionTrade.position))).all())
    empty: dict[str, int] = {}
    for option_id, capacity in session.execute(select(Option.option_id, Option.capacity)
                                               .where(Option.kind.in_(KINDS))):
        trade = main.get(option_id, "other")
        empty[trade] = empty.get(trade, 0) + int(capacity or 0)
    filled: dict[str, int] = {}
    for option_id, n in session.execute(
            select(Placement.option_id, func.count()).where(Placement.status == "ongoing")
            .group_by(Placement.option_id)):
        trade = main.get(option_id, "other")
        filled[trade] = filled.get(trade, 0) + int(n)
    rows = [{"key": k, "filled": filled.get(k, 0), "empty": empty.get(k, 0)}
            for k in sorted(set(empty) | set(filled))]
    rows.sort(key=lambda r: (-(r["filled"] + r["empty"]), r["key"]))
    kept = [r for r in rows if r["key"] != "other"][:top]
    rest = [r for r in rows if r not in kept]
    if rest:
        kept.append({"key": "other", "filled": sum(r["filled"] for r in rest),
                     "empty": sum(r["empty"] for r in rest)})
    return kept


def clubs_joined(session: Session) -> dict[str, Any]:
    """The support clubs' referrals: by club and in all, how many were referred, how many
    were checked three months on, and how many of those still attended (clubs are not
    placements, so they are counted here and in no other figure)."""
    checked = func.sum(case((ClubReferral.checked_on.is_not(None), 1), else_=0))
    attending = func.sum(case((ClubReferral.attending_3m.is_(True), 1), else_=0))
    rows = session.execute(
        select(Option.option_id, Option.title, func.count(), checked, attending)
        .join(ClubReferral, ClubReferral.option_id == Option.option_id)
        .group_by(Option.option_id, Option.title).order_by(Option.option_id)).all()
    clubs = [{"option_id": r[0], "title": r[1], "referred": int(r[2]),
              "checked": int(r[3] or 0), "attending": int(r[4] or 0)} for r in rows]
    total = {k: sum(c[k] for c in clubs) for k in ("referred", "checked", "attending")}
    return {"clubs": clubs, "total": total}


def dashboard(session: Session, review: dict[str, Any] | None, *,
              places: PlaceIndex | None = None, today: date | None = None) -> dict[str, Any]:
    """Everything the dashboard shows, in one dict; ``review`` is the stored match-quality
    review without its effects (or None while none was computed), read for calibration.
    ``quarter`` is the Department's report of the quarter holding ``today`` (Vietnam's date
    by default): its headline figures, counted as the report counts them."""
    places = places or load_place_index()
    year, quarter = current_quarter(today or in_vietnam(utcnow()).date())
    return {
        "quarter": department_report(session, year, quarter, places=places),
        "by_month": placements_by_month(session),
        "by_group": success_by_group(session),
        "by_place": success_by_place(session, places),
        "by_provider": success_by_provider(session),
        "calibration": calibration(review),
        "declines": decline_reasons(session),
        "seats": seats_by_trade(session),
        "clubs": clubs_joined(session),
        "funnel": named_funnel(session, places),
        "funnel_min_cell": FUNNEL_MIN_CELL,
    }


def named_funnel(session: Session, places: PlaceIndex,
                 dimensions: tuple[str, ...] = FUNNEL_DIMENSIONS,
                 ) -> dict[str, list[dict[str, Any]]]:
    """The funnel (matcher.review.funnel) with each provider row's ``name``."""
    out = funnel(session, dimensions, places=places)
    if "provider" not in out:
        return out
    ids = [r["key"] for r in out["provider"]]
    names = dict(session.execute(select(Provider.provider_id, Provider.name)
                                 .where(Provider.provider_id.in_(ids))).all()) if ids else {}
    out["provider"] = [{**r, "name": names.get(r["key"], r["key"])} for r in out["provider"]]
    return out
