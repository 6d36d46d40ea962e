"""The Department's quarterly report (Sở LĐ-TB&XH): clients served, referred, trained,
employed, livelihood models started, earning six months on and their average daily income,
for the province, by group, by place and by provider; plain data, no words.

One function, :func:`department_report`, makes every figure: the API (JSON and the Excel
file), the /staff/report page and the dashboard's headline all read it.

What each figure counts, in a period (a quarter, or a whole year) of Vietnam's calendar:

* ``served``: distinct clients the period's other figures count, and those registered or
  followed up in it (a placement's follow-up or check, or the follow-up of a client not
  placed);
* ``referred``: distinct clients with a placement recorded in the period. A placement is
  dated by the day it was recorded (an accept, a plan commit), or by its start date when that
  is earlier: imported history is recorded long after it happened;
* ``started_<kind>``: distinct clients whose placement of that kind started in the period
  (a course: "trained"; a job: "employed"; a livelihood model: "started");
* ``completed_training``: distinct clients whose course was completed in the period: a
  completed course ends ``duration_weeks`` after its start, or at the follow-up that recorded
  it when that is earlier or the duration is unknown;
* ``reached_6_months`` / ``earning_6_months``: distinct clients with a placement six months
  after whose start fell in the period and whose outcome is known, as the dashboard and
  training count it (:func:`matcher.outcomes.data.outcome_labels`: success 1 or 0, a dropped
  placement a failure), and those of them earning (success 1);
* ``income_vnd_day``: the mean daily income over those earning placements whose follow-up
  recorded an income above 0 (``income_n`` of them);
* ``clubs_joined``: distinct clients referred to a support club in the period
  (:func:`clubs_joined`; the club referral is dated by the day it was made).

A client's group and place are the client's own (place: the client's home unit and its
former district). Group rows hide small cells (:func:`suppress`); place and provider rows
name no group and are shown whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from matcher.clock import VIETNAM
from matcher.outcomes.data import outcome_labels
from matcher.review.fairness import MIN_N
from matcher.store.tables import (
    Client,
    ClubReferral,
    FollowUp,
    Option,
    Placement,
    PlacementCheck,
    Provider,
)
from matcher.vocab import kinds
from matcher.vocab.domain import Group
from matcher.vocab.places import PlaceIndex, load_place_index

#: A group cell counting 1 to SMALL_CELL - 1 clients is hidden. The review's own minimum for
#: saying anything about one group (matcher.review.fairness.MIN_N: a group with fewer cases
#: is shown, never tested); the report uses the same number, so the two never disagree about
#: what is too few.
SMALL_CELL = MIN_N
#: The kind whose completion the report counts (a course ends; a job or a model goes on).
COURSE = kinds.PLACEMENT_CODES[0]
STARTED = {k: f"started_{k}" for k in kinds.PLACEMENT_CODES}
COMPLETED = f"completed_{COURSE}"
#: Counts of distinct clients, in the report's order.
COUNTS = ("served", "referred", STARTED[COURSE], COMPLETED,
          *(STARTED[k] for k in kinds.PLACEMENT_CODES if k != COURSE),
          "reached_6_months", "earning_6_months")
#: Every figure of a row, in the report's order.
MEASURES = (*COUNTS, "income_vnd_day", "clubs_joined")
#: What a provider's row holds (``served`` is a client's, not a provider's).
PROVIDER_MEASURES = tuple(m for m in MEASURES if m != "served")
#: Placements older than this before the period cannot count in it unless followed up in it.
LOOKBACK = timedelta(days=3 * 366)


@dataclass(frozen=True)
class DepartmentReport:
    """One period's figures. Every row is ``{"values": {measure: number or None}, ...}``;
    a group row also lists the measures it hides (``suppressed``)."""

    year: int
    quarter: int | None
    start: date
    end: date
    small_cell: int
    total: dict[str, Any]
    by_group: list[dict[str, Any]] = field(default_factory=list)
    by_place: list[dict[str, Any]] = field(default_factory=list)
    by_provider: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"year": self.year, "quarter": self.quarter, "start": self.start,
                "end": self.end, "small_cell": self.small_cell, "measures": list(MEASURES),
                "total": self.total, "by_group": self.by_group, "by_place": self.by_place,
                "by_provider": self.by_provider}


def period(year: int, quarter: int | None) -> tuple[date, date]:
    """First and last day of a quarter (1-4) of ``year``, or of the whole year (None)."""
    if quarter is None:
        return date(year, 1, 1), date(year, 12, 31)
    if not 1 <= quarter <= 4:
        raise ValueError(f"quarter {quarter} is not 1 to 4")
    first = date(year, 3 * quarter - 2, 1)
    after = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, after - timedelta(days=1)


def current_quarter(today: date) -> tuple[int, int]:
    return today.year, (today.month - 1) // 3 + 1


def clubs_joined(session: Session, start: date, end: date) -> pd.DataFrame:
    """The clients referred to a support club from ``start`` to ``end`` (both included), a
    row per referral: ``client_id``, the client's ``group_code`` and ``place_id``, and the
    club's ``provider_id``; counted like the other figures (distinct clients, by group,
    place and provider, and among the clients served)."""
    columns = ["client_id", "group_code", "place_id", "provider_id"]
    rows = session.execute(
        select(ClubReferral.client_id, Client.group_code, Client.place_id, Option.provider_id)
        .join(Client, Client.client_id == ClubReferral.client_id)
        .join(Option, Option.option_id == ClubReferral.option_id)
        .where(ClubReferral.referred_on >= start, ClubReferral.referred_on <= end)).all()
    return pd.DataFrame(rows, columns=columns)


def department_report(session: Session, year: int, quarter: int | None = None, *,
                      places: PlaceIndex | None = None) -> DepartmentReport:
    """The report of ``quarter`` (1-4) of ``year``, or of the whole year when None."""
    start, end = period(year, quarter)
    places = places or load_place_index()
    placements = _placements(session, start, end)
    contacts = _contacts(session, start, end)
    clubs = clubs_joined(session, start, end)
    clubs_known = clubs is not None
    tally = _Tally(placements, contacts, clubs, start, end, places)

    total = tally.rows(np.zeros(tally.n_clients, dtype=np.int64), 1, False, clubs_known)[0]
    by_group = suppress([{"group": g.value, **row} for g, row in zip(
        Group, tally.rows(*tally.client_keys(tally.group, [g.value for g in Group]),
                          False, clubs_known), strict=True)])
    by_place = _place_rows(tally, places, clubs_known)
    by_provider = _provider_rows(session, tally, clubs_known)
    return DepartmentReport(year=year, quarter=quarter, start=start, end=end,
                            small_cell=SMALL_CELL, total=total, by_group=by_group,
                            by_place=by_place, by_provider=by_provider)


# --- reading the store: a few set-based queries -------------------------------------------


def _frame(session: Session, query, columns: list[str]) -> pd.DataFrame:
    """A query's rows as a frame, built column by column (building it row by row from
    SQLAlchemy's rows cost seconds at national scale)."""
    rows = session.connection().execute(query).all()  # Core rows: no ORM bookkeeping
    return pd.DataFrame(dict(zip(columns, zip(*rows, strict=True), strict=True))
                        if rows else {c: [] for c in columns}, columns=columns)


def _placements(session: Session, start: date, end: date) -> pd.DataFrame:
    """The placements that can count in the period, with their client's group and place,
    their option's kind, provider and duration, and the dates the figures read
    (referred_on, completed_on, six_months_on, followed)."""
    began = datetime.combine(start, datetime.min.time(), VIETNAM)
    ended = datetime.combine(end + timedelta(days=1), datetime.min.time(), VIETNAM)
    # What can count: started from seven months before the period (its six months then fall
    # in it) to its end; followed up since its start (a completion is dated at or before its
    # follow-up); recorded in it; a completed course with no follow-up, by its length.
    query = (select(Placement.client_id, Client.group_code, Client.place_id,
                    Placement.start_date, Placement.status, Placement.success,
                    Placement.income_vnd_day, Placement.followed_up_on, Placement.created_at,
                    Option.kind, Option.provider_id, Option.duration_weeks)
             .join(Option, Option.option_id == Placement.option_id)
             .join(Client, Client.client_id == Placement.client_id)
             .where(Placement.start_date <= end,
                    or_(Placement.start_date >= start - timedelta(days=7 * 31),
                        Placement.followed_up_on >= start,
                        and_(Placement.created_at >= began, Placement.created_at < ended),
                        and_(Placement.status == "completed",
                             Placement.followed_up_on.is_(None),
                             Placement.start_date >= start - LOOKBACK))))
    columns = ["client_id", "group_code", "place_id", "start_date", "status", "success",
               "income_vnd_day", "followed_up_on", "created_at", "kind", "provider_id",
               "duration_weeks"]
    frame = _frame(session, query, columns)
    started = pd.to_datetime(frame["start_date"])
    recorded = (pd.to_datetime(frame["created_at"], utc=True).dt.tz_convert(VIETNAM)
                .dt.tz_localize(None).dt.normalize())
    frame["start"] = started
    frame["referred_on"] = recorded.where(recorded < started, started)
    followed = pd.to_datetime(frame["followed_up_on"])
    ends = started + pd.to_timedelta(frame["duration_weeks"].astype(float) * 7, unit="D")
    ends = ends.where(ends.isna() | followed.isna() | (ends <= followed), followed)
    frame["completed_on"] = ends.where(ends.notna(), followed)
    frame["six_months_on"] = started + pd.DateOffset(months=6)
    frame["followed"] = followed
    return frame


def _contacts(session: Session, start: date, end: date) -> pd.DataFrame:
    """Clients registered or followed up in the period outside the placements' own dates:
    a registration, the follow-up of a client not placed, a placement's 3- or 6-month check."""
    columns = ["client_id", "group_code", "place_id"]
    who = (Client.client_id, Client.group_code, Client.place_id)
    registered = _frame(session, select(*who).where(Client.registered_on.between(start, end)),
                        columns)
    followed = _frame(session, select(*who).join(FollowUp, FollowUp.client_id == Client.client_id)
                      .where(FollowUp.followed_up_on.between(start, end)), columns)
    checked = _frame(session, select(*who)
                     .join(Placement, Placement.client_id == Client.client_id)
                     .join(PlacementCheck, PlacementCheck.placement_id == Placement.placement_id)
                     .where(PlacementCheck.followed_up_on.between(start, end)), columns)
    return pd.concat([registered, followed, checked], ignore_index=True)


def _between(values: pd.Series, start: date, end: date) -> np.ndarray:
    return values.between(pd.Timestamp(start), pd.Timestamp(end)).to_numpy()


# --- counting: distinct clients per key and measure, on integer codes ----------------------


class _Tally:
    """Every event that counts a client in the period as integer codes (client, provider,
    measure), and the earning placements' incomes; :meth:`rows` counts distinct clients per
    key and measure with one ``np.unique`` and one ``np.bincount``."""

    def __init__(self, placements: pd.DataFrame, contacts: pd.DataFrame,
                 clubs: pd.DataFrame | None, start: date, end: date,
                 places: PlaceIndex) -> None:
        p = placements
        people = ["client_id", "group_code", "place_id"]
        members = clubs if clubs is not None else pd.DataFrame(columns=[*people, "provider_id"])
        if "provider_id" not in members:
            members = members.assign(provider_id=None)
        who = pd.concat([p[people], contacts[people], members[people]], ignore_index=True)
        codes, ids = pd.factorize(who["client_id"])
        self.n_clients = len(ids)
        first = np.full(len(ids), -1, dtype=np.int64)
        first[codes[::-1]] = np.arange(len(codes))[::-1]  # a row of each client
        self.group = who["group_code"].to_numpy()[first]
        self.place = who["place_id"].to_numpy()[first]
        client = codes[:len(p)]
        contacted = codes[len(p):len(p) + len(contacts)]
        member = codes[len(p) + len(contacts):]
        by_provider, self.provider_ids = pd.factorize(pd.concat(
            [p["provider_id"], members["provider_id"]], ignore_index=True))  # none: -1
        provider, club = by_provider[:len(p)], by_provider[len(p):]

        clients, providers, measures = [], [], []

        def add(mask: np.ndarray, measure: str, of=client, by=provider) -> None:
            clients.append(of[mask])
            providers.append(by[mask] if by is not None else np.full(int(mask.sum()), -1))
            measures.append(np.full(int(mask.sum()), MEASURE_INDEX[measure]))

        referred = _between(p["referred_on"], start, end)
        # A referral the provider declined, or that never came, did not start (not_started).
        began = _between(p["start"], start, end) & (p["status"].to_numpy() != "not_started")
        kind = p["kind"].to_numpy()
        completed = (_between(p["completed_on"], start, end) & (kind == COURSE)
                     & (p["status"].to_numpy() == "completed"))
        known, y = outcome_labels(p) if len(p) else (np.zeros(0, bool), np.zeros(0, int))
        earning = np.zeros(len(p), dtype=bool)
        earning[np.flatnonzero(known)] = y == 1
        due = _between(p["six_months_on"], start, end)
        add(referred, "referred")
        for k, measure in STARTED.items():
            add(began & (kind == k), measure)
        add(completed, COMPLETED)
        add(due & known, "reached_6_months")
        add(due & earning, "earning_6_months")
        add(referred | began | completed | (due & known) | _between(p["followed"], start, end),
            "served")
        add(np.ones(len(contacts), dtype=bool), "served", contacted, None)
        add(np.ones(len(members), dtype=bool), "clubs_joined", member, club)
        add(np.ones(len(members), dtype=bool), "served", member, None)
        # Each (measure, client) once, and each (provider, measure, client) once: a client
        # counts once per row whatever the number of their placements.
        who_ = np.concatenate(clients).astype(np.int64)
        what = np.concatenate(measures).astype(np.int64)
        by = np.concatenate(providers).astype(np.int64)
        n, m = max(self.n_clients, 1), len(TALLIED)
        pairs = np.unique(what * n + who_)
        self.measure, self.client = pairs // n, pairs % n
        kept = by >= 0
        triples = np.unique((by[kept] * m + what[kept]) * n + who_[kept])
        self.provider_measure = triples // n  # provider * m + measure

        income = p["income_vnd_day"].to_numpy(dtype=float, na_value=0.0)
        paid = due & earning & (income > 0)
        self.income_client = client[paid].astype(np.int64)
        self.income_provider = provider[paid].astype(np.int64)
        self.income = income[paid]

    def client_keys(self, values: np.ndarray, order: list[str]) -> tuple[np.ndarray, int]:
        """Each client's key code in ``order`` (-1: not in it), and how many keys."""
        return pd.Index(order).get_indexer(values).astype(np.int64), len(order)

    def rows(self, client_key: np.ndarray | None, n_keys: int,
             by_provider: bool, clubs_known: bool) -> list[dict[str, Any]]:
        """A row per key: by the client's key (``client_key[client]``), or by provider."""
        m = len(TALLIED)
        if by_provider:
            cells, income_keys = self.provider_measure, self.income_provider
        else:
            keys = client_key[self.client]
            cells = (keys * m + self.measure)[keys >= 0]
            income_keys = client_key[self.income_client]
        counts = np.bincount(cells, minlength=n_keys * m).reshape(n_keys, m)
        kept = income_keys >= 0
        sums = np.bincount(income_keys[kept], weights=self.income[kept], minlength=n_keys)
        sizes = np.bincount(income_keys[kept], minlength=n_keys)
        out = []
        for k in range(n_keys):
            values: dict[str, Any] = {t: int(counts[k, i]) for i, t in enumerate(TALLIED)}
            if not clubs_known:
                values["clubs_joined"] = None
            values["income_vnd_day"] = round(sums[k] / sizes[k]) if sizes[k] else None
            out.append({"values": {mm: values[mm] for mm in MEASURES},
                        "income_n": int(sizes[k])})
        return out


#: The tallied measures (every count, and clubs), each an index into the tally's matrix.
TALLIED = (*COUNTS, "clubs_joined")
MEASURE_INDEX = {m: i for i, m in enumerate(TALLIED)}


def suppress(rows: list[dict[str, Any]], small: int = SMALL_CELL) -> list[dict[str, Any]]:
    """Group rows with their small cells hidden (value None, measure in ``suppressed``).

    A count of 1 to ``small`` - 1 clients is hidden. Where a column would then hide one cell
    only, the next smallest non-zero cell is hidden too (else the hidden one is the column's
    total less the others); where no other non-zero cell exists, the column's zeros are
    hidden with it. An average income is hidden with the count of earning clients it rests
    on, and whenever it rests on fewer than ``small`` incomes.
    """
    out = [{**r, "values": dict(r["values"]), "suppressed": []} for r in rows]
    for measure in [*COUNTS, "clubs_joined"]:
        values = [r["values"][measure] for r in out]
        if all(v is None for v in values):
            continue
        hidden = {i for i, v in enumerate(values) if v is not None and 0 < v < small}
        if len(hidden) == 1:
            rest = sorted((v, i) for i, v in enumerate(values)
                          if i not in hidden and v is not None and v > 0)
            hidden |= {rest[0][1]} if rest else {i for i, v in enumerate(values) if v == 0}
        for i in hidden:
            out[i]["values"][measure] = None
            out[i]["suppressed"].append(measure)
    for r in out:
        if "earning_6_months" in r["suppressed"] or 0 < r["income_n"] < small:
            r["values"]["income_vnd_day"] = None
            r["suppressed"].append("income_vnd_day")
            r["income_n"] = None
    return out


def _place_rows(tally: _Tally, places: PlaceIndex, clubs_known: bool) -> list[dict[str, Any]]:
    """A row per former district (``level`` "district") followed by its current units
    ("commune"), only places with clients in the period; a unit formed from wards of two
    districts counts in the first one listed (as the dashboard's areas)."""
    def district(place_id: str) -> str:
        if place_id not in places:
            return place_id
        return places.get(place_id).former_district.split(";")[0].strip() or place_id

    units = sorted(pd.unique(tally.place[pd.notna(tally.place)]),
                   key=lambda p: places.get(p).name if p in places else p)
    areas = {u: district(u) for u in units}
    districts = sorted(set(areas.values()))
    unit_rows = tally.rows(*tally.client_keys(tally.place, units), False, clubs_known)
    area_rows = tally.rows(*tally.client_keys(
        pd.Series(tally.place).map(areas).to_numpy(), districts), False, clubs_known)
    unit_of = dict(zip(units, unit_rows, strict=True))
    rows = []
    for area, area_row in zip(districts, area_rows, strict=True):
        rows.append({"level": "district", "place_id": None, "name": area, **area_row})
        for unit in (u for u in units if areas[u] == area):
            rows.append({"level": "commune", "place_id": unit, "district": area,
                         "name": places.get(unit).name if unit in places else unit,
                         **unit_of[unit]})
    return rows


def _provider_rows(session: Session, tally: _Tally, clubs_known: bool) -> list[dict[str, Any]]:
    """A row per provider with a figure in the period, most clients referred first."""
    ids = list(tally.provider_ids)
    # Every provider's name and kind in one read (22,000 rows at national scale): cheaper
    # than a long IN list of the ones with figures.
    names = {r[0]: (r[1], r[2]) for r in session.connection().execute(
        select(Provider.provider_id, Provider.name, Provider.kind))}
    rows = []
    for pid, row in zip(ids, tally.rows(None, len(ids), True, clubs_known),
                        strict=True):
        if not any(row["values"][m] for m in PROVIDER_MEASURES):
            continue
        name, kind = names.get(pid, (pid, None))
        rows.append({"provider_id": pid, "name": name, "kind": kind,
                     "income_n": row["income_n"],
                     "values": {m: row["values"][m] for m in PROVIDER_MEASURES}})
    rows.sort(key=lambda r: (-r["values"]["referred"], r["provider_id"]))
    return rows


__all__ = ["COUNTS", "MEASURES", "PROVIDER_MEASURES", "SMALL_CELL", "DepartmentReport",
           "clubs_joined", "current_quarter", "department_report", "period", "suppress"]
