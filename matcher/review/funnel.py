"""The programme's funnel: referred → accepted → started → completed → earning at 6 months.

One function, :func:`funnel`, gives the counts at each step and the median days between
consecutive steps, for the whole programme and by provider, option kind, client group and
area (the option's former district, as the dashboard's success by place). The dashboard
shows it; group figures are for programme staff only, and a row with fewer than
``MIN_CELL`` referrals is suppressed (its counts withheld, ``suppressed`` true), so no
small group of people can be picked out.

How each step is known, from the most direct evidence first:

- referred: every placement (the day: when it was made, or its start if earlier, as an
  imported placement is made when it is imported).
- accepted: the provider's answer; a placement never answered counts as accepted once it
  started (placements made before providers answered).
- started: a provider's or social worker's report (started, attending, dropped out,
  completed, hired), or the social worker's record (completed; dropped out after the start
  date; a follow-up with an outcome). The day: the earliest such report, else the start date.
- completed: a completed report or the placement completed.
- earning at 6 months: the verified outcome, the social worker's 6-month follow-up
  (success true); the provider's reports never make this step (they are not verified).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.store.tables import (
    Client,
    Option,
    Placement,
    PlacementCheck,
    PlacementReport,
    ReferralAnswer,
)
from matcher.vocab.places import PlaceIndex, load_place_index

STEPS: tuple[str, ...] = ("referred", "accepted", "started", "completed", "earning_6m")
DIMENSIONS: tuple[str, ...] = ("all", "provider", "kind", "group", "place")
#: A row with fewer referrals than this has its figures withheld.
MIN_CELL = 10
#: Reports that say the client started.
STARTED_REPORTS = ("started", "attending_1m", "attending_3m", "dropped", "completed", "hired")


def area_of(places: PlaceIndex, place_id: str) -> str:
    """The former district of a current unit (the first one listed when it was formed from
    wards of two), the 13 areas staff know; the id itself when unknown."""
    if place_id not in places:
        return place_id
    district = places.get(place_id).former_district
    return district.split(";")[0].strip() or place_id


def _days(values) -> pd.Series:
    """Dates or timestamps as datetime64 days (timestamps in Viet Nam's time), NaT for none."""
    series = pd.Series(values, dtype=object)
    if series.empty:
        return pd.Series([], dtype="datetime64[ns]")
    stamps = pd.to_datetime(series, utc=True, errors="coerce")
    first = next((v for v in values if v is not None and not pd.isna(v)), None)
    if isinstance(first, datetime):  # a timestamp (stored in UTC): its day in Viet Nam
        stamps = stamps.dt.tz_convert("Asia/Ho_Chi_Minh")
    return stamps.dt.tz_localize(None).dt.normalize()


def _table(session: Session, statement, columns: list[str]) -> pd.DataFrame:
    """A query's rows as a frame, through the connection (no ORM row handling: 100,000 rows
    cost a second more through the session's result)."""
    rows = session.connection().execute(statement).fetchall()
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def _frame(session: Session, places: PlaceIndex, today: date) -> pd.DataFrame:
    """One row per placement: its dimensions, whether it reached each step and on which day
    (vectorised: the national store has 100,000 placements and more)."""
    p = _table(session, select(
        Placement.placement_id, Placement.created_at, Placement.start_date, Placement.status,
        Placement.success, Placement.followed_up_on, Option.provider_id, Option.kind,
        Option.place_id, Client.group_code)
        .join(Option, Option.option_id == Placement.option_id)
        .join(Client, Client.client_id == Placement.client_id),
        ["placement_id", "created_at", "start_date", "status", "success", "followed_up_on",
         "provider", "kind", "place_id", "group"])
    if p.empty:
        return p
    answers = _table(session, select(ReferralAnswer.placement_id, ReferralAnswer.answer,
                                     ReferralAnswer.answered_at),
                     ["placement_id", "answer", "answered_at"])
    reports = _table(session, select(PlacementReport.placement_id, PlacementReport.kind,
                                     func.min(PlacementReport.reported_on))
                     .group_by(PlacementReport.placement_id, PlacementReport.kind),
                     ["placement_id", "kind", "on"])
    six = _table(session, select(PlacementCheck.placement_id, PlacementCheck.followed_up_on)
                 .where(PlacementCheck.months == 6), ["placement_id", "six_on"])
    p = p.merge(answers, on="placement_id", how="left").merge(six, on="placement_id",
                                                              how="left")
    reports["on"] = _days(reports["on"].tolist()).to_numpy()
    by_kind = reports.pivot_table(index="placement_id", columns="kind", values="on",
                                  aggfunc="min")
    p = p.join(by_kind, on="placement_id")
    for kind in STARTED_REPORTS:
        if kind not in p:
            p[kind] = pd.NaT
    start = _days(p["start_date"].tolist())
    made = _days(p["created_at"].tolist())
    reported_start = p[list(STARTED_REPORTS)].min(axis=1)
    status, success = p["status"], p["success"]
    followed = _days(p["followed_up_on"].tolist()).fillna(pd.Timestamp(today))
    started = (reported_start.notna() | status.eq("completed") | success.notna()
               | (status.eq("dropped") & (start <= followed)))
    answer = p["answer"]
    earning = success.eq(True)
    out = pd.DataFrame({
        "provider": p["provider"], "kind": p["kind"], "group": p["group"],
        "place": p["place_id"].map({x: area_of(places, x) for x in p["place_id"].unique()}),
        "all": "all",
        "referred": True,
        "accepted": answer.eq("accepted") | (answer.isna() & started),
        "started": started,
        "completed": p["completed"].notna() | status.eq("completed"),
        "earning_6m": earning,
        "referred_on": pd.concat([made, start], axis=1).min(axis=1),
        "accepted_on": _days(p["answered_at"].tolist()).where(answer.eq("accepted")),
        "started_on": reported_start.fillna(start.where(started)),
        "completed_on": p["completed"],
        "earning_6m_on": _days(p["six_on"].tolist()).fillna(
            _days(p["followed_up_on"].tolist())).where(earning),
    })
    for first, then in zip(STEPS, STEPS[1:], strict=False):
        gap = (out[f"{then}_on"] - out[f"{first}_on"]).dt.days
        out[f"{first}_{then}"] = gap.clip(lower=0)
    return out


def _rows(frame: pd.DataFrame, dim: str, min_cell: int) -> list[dict[str, Any]]:
    grouped = frame.groupby(dim, sort=True)
    counts = grouped[list(STEPS)].sum()
    gaps = [f"{a}_{b}" for a, b in zip(STEPS, STEPS[1:], strict=False)]
    medians = grouped[gaps].median()
    rows = []
    for key, c in counts.iterrows():
        n = int(c["referred"])
        if n < min_cell:
            rows.append({"key": str(key), "suppressed": True, "counts": None, "days": None,
                         "_n": n})
            continue
        rows.append({"key": str(key), "suppressed": False, "_n": n,
                     "counts": {s: int(c[s]) for s in STEPS},
                     "days": {g: None if pd.isna(medians.at[key, g])
                              else float(medians.at[key, g]) for g in gaps}})
    # Suppressed rows last, by key: their order would hint at their sizes.
    rows.sort(key=lambda r: (r["suppressed"], 0 if r["suppressed"] else -r["_n"], r["key"]))
    return [{k: v for k, v in r.items() if k != "_n"} for r in rows]


def funnel(session: Session, dimensions: tuple[str, ...] = DIMENSIONS, *,
           places: PlaceIndex | None = None, today: date | None = None,
           min_cell: int = MIN_CELL) -> dict[str, list[dict[str, Any]]]:
    """The funnel by each of ``dimensions`` ("all", "provider", "kind", "group", "place"):
    ``{dimension: [{"key", "suppressed", "counts": {step: n}, "days": {"referred_accepted":
    median days, ...}}]}``, rows with the most referrals first (suppressed ones last);
    ``counts`` and ``days`` are None in a suppressed row, a median None where no pair of
    days is known."""
    unknown = set(dimensions) - set(DIMENSIONS)
    if unknown:
        raise ValueError(f"unknown funnel dimensions: {sorted(unknown)}")
    frame = _frame(session, places or load_place_index(), today or date.today())
    return {dim: [] if frame.empty else _rows(frame, dim, min_cell) for dim in dimensions}
