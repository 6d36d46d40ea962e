"""Client × option pair features for the outcome model.

See docs/design.md, "The outcome model and the score".

One row describes one pair: how well the option's trades fit what the client wishes for and
knows, how far it is, who the client is (age, education, group, access needs, household),
what the option is (kind, trade, cost, wage, length) and how the provider's past placements
went (shrunk toward the mean, out of fold while training), and how placements in the option's
sector went in the pair's *area*: the former district whose labour market the client will
work in (:func:`area_keys`).

Everything is vectorised so that one client against the whole catalogue is a handful of
numpy operations: :func:`prepare_options` computes the option side once per catalogue, and
:func:`client_features` broadcasts one client over it. :func:`pair_features` is the
row-aligned form used for training (one client row and one option row per pair).
The provider and area statistics live in :class:`matcher.outcomes.provider_stats.FeatureContext`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from matcher.outcomes.provider_stats import SHRINK_M, FeatureContext
from matcher.store.profiles import DEFAULT_TRAVEL_KM, ClientProfile
from matcher.vocab import kinds as kind_table
from matcher.vocab.domain import GROUPS_WITH_RECORD
from matcher.vocab.places import load_place_index
from matcher.vocab.wishes import SECTOR_CREDIT, WishIndex

__all__ = [
    "CATEGORICAL", "CLIENT_SIDE", "FEATURES", "MONOTONIC", "NUMERIC", "OPTION_SIDE",
    "PAIR_SIDE", "SECTOR_CREDIT", "SHRINK_M", "EDUCATION_LEVEL", "ClientSide", "FeatureContext",
    "PreparedOptions", "WishIndex", "area_keys", "client_features", "describe_client",
    "describe_clients",
    "monotonic_cst", "pair_features", "pair_side", "prepare_options",
]

CATEGORICAL: list[str] = ["gender", "group", "disability", "kind", "primary_trade", "sector"]
NUMERIC: list[str] = [
    # the pair
    "wish_match",          # best similarity of the client's wishes (interests and skills)
    "skill_match",         # the same from the skills alone: knowing a trade is not wanting it
    "distance_km",
    "over_travel_km",      # km beyond the client's travel limit (0 for eligible options)
    "deaf_sign_language",  # deaf client: +1 taught in sign language, -1 not; 0 otherwise
    "women_only_match",    # a client who needs a women-only place, in one
    "record_accepted",     # a client with a record, where records are accepted
    "hazard_disability",   # a blind or physically disabled client in a hazardous trade
    # the client
    "wish_stated", "age", "education", "max_travel_km", "needs_women_only", "household_poor",
    "ethnic_minority", "married", "prior_income_vnd_month",
    # the option and its provider
    "cost_vnd", "wage_vnd_day", "duration_weeks", "women_only", "sign_language",
    "accepts_records", "hazardous", "provider_rate_shrunk", "provider_n_log",
    # the area: where the client will work (the job's place; home for courses and livelihoods)
    "area_rural",          # a rural commune (xã)
    "area_rate_shrunk",    # past success in the option's sector there (shrunk, out of fold)
]
FEATURES: list[str] = CATEGORICAL + NUMERIC
#: What each feature describes. A linear score is then a sum of a client's part, an option's
#: part and the pair's part, which a cohort computes once per client, once per option and
#: only the last per pair (matcher.outcomes.split).
CLIENT_SIDE: list[str] = [
    "gender", "group", "disability", "wish_stated", "age", "education", "max_travel_km",
    "needs_women_only", "household_poor", "ethnic_minority", "married",
    "prior_income_vnd_month",
]
OPTION_SIDE: list[str] = [
    "kind", "primary_trade", "sector", "cost_vnd", "wage_vnd_day", "duration_weeks",
    "women_only", "sign_language", "accepts_records", "hazardous", "provider_rate_shrunk",
    "provider_n_log",
]
PAIR_SIDE: list[str] = [
    "wish_match", "skill_match", "distance_km", "over_travel_km", "deaf_sign_language",
    "women_only_match", "record_accepted", "hazard_disability", "area_rural",
    "area_rate_shrunk",
]
_CATEGORICAL = frozenset(CATEGORICAL)

#: What is known before any data (docs/design.md, "The outcome model and the score"):
#: success does not rise with distance nor fall with a better match, and a provider whose
#: placements went better is not worse. +1 means P(success) never decreases as the feature
#: grows, -1 never increases; others are free.
MONOTONIC: dict[str, int] = {
    "wish_match": 1,
    "skill_match": 1,
    "distance_km": -1,
    "over_travel_km": -1,
    "provider_rate_shrunk": 1,
    "area_rate_shrunk": 1,
}

#: Education as years of schooling would say it: an order, not a set of labels.
EDUCATION_LEVEL: dict[str, float] = {
    "none": 0.0, "primary": 1.0, "lower_secondary": 2.0, "upper_secondary": 3.0,
    "vocational": 4.0, "college": 5.0,
}
_HAZARD_DISABILITIES = ("blind", "physical")
_RECORD_GROUPS = tuple(str(g) for g in GROUPS_WITH_RECORD)
_DAYS_PER_YEAR = 365.2425
#: Up to this many rows, plain Python beats pandas' per-call set-up (one suggestion's client).
_FEW = 16
#: Kinds whose area features are the workplace's (a job's), not the client's home.
WORKPLACE_AREA_KINDS = [k.code for k in kind_table.KINDS if k.area_is_workplace]


def monotonic_cst(columns: Sequence[str]) -> list[int]:
    """The monotonic constraint of each column, in order (0 for unconstrained ones)."""
    return [MONOTONIC.get(c, 0) for c in columns]


# --- the option side ------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedOptions:
    """The option half of the features, computed once per catalogue (and context).

    ``trade_rows`` is the padded matrix of trade positions :meth:`WishIndex.trade_rows`
    gives; ``columns`` holds the option columns of :data:`FEATURES`, one value per option.
    The area columns depend on the client for courses and livelihood models (the area is the
    client's home district): ``area_rate[d]`` holds each option's area rate for a client of
    district code ``d`` (:func:`district_codes`; the last code is an unknown district), the
    same in every row for a job.
    """

    columns: dict[str, np.ndarray]
    trade_rows: np.ndarray
    hazardous: np.ndarray
    women_only: np.ndarray
    sign_language: np.ndarray
    accepts_records: np.ndarray
    area_at_workplace: np.ndarray
    district: np.ndarray  # code of the option's own district
    rural: np.ndarray  # the option's own place is a rural commune
    sector: np.ndarray
    area_rate: np.ndarray  # (districts + 1) × options

    def __len__(self) -> int:
        return len(self.trade_rows)

    def take(self, rows: np.ndarray) -> PreparedOptions:
        """The prepared options at positions ``rows`` (repeats allowed)."""
        return PreparedOptions(
            columns={k: v[rows] for k, v in self.columns.items()},
            trade_rows=self.trade_rows[rows],
            hazardous=self.hazardous[rows],
            women_only=self.women_only[rows],
            sign_language=self.sign_language[rows],
            accepts_records=self.accepts_records[rows],
            area_at_workplace=self.area_at_workplace[rows],
            district=self.district[rows],
            rural=self.rural[rows],
            sector=self.sector[rows],
            area_rate=self.area_rate[:, rows],
        )

    def area(self, client_district: np.ndarray | int,
             client_rural: np.ndarray | float) -> dict[str, np.ndarray]:
        """The area columns for one client (scalars) or one client per row (arrays)."""
        if np.ndim(client_district) == 0:
            rate = self.area_rate[int(client_district)]
        else:
            rate = self.area_rate[np.asarray(client_district), np.arange(len(self))]
        return {"area_rural": np.where(self.area_at_workplace, self.rural,
                                       client_rural).astype(float),
                "area_rate_shrunk": rate}

    def area_keys(self, client_district: np.ndarray) -> np.ndarray:
        """The ``"district|sector"`` key of each row's area (one client district per row)."""
        names = np.append(_place_table().districts.to_numpy(object), "")
        district = np.where(self.area_at_workplace, self.district, np.asarray(client_district))
        return pasted(names[district], self.sector)


@dataclass(frozen=True)
class _PlaceTable:
    index: pd.Index  # place ids
    district: np.ndarray  # code of each place's former district
    rural: np.ndarray  # float: 1 for a rural commune (xã)
    districts: pd.Index  # the district names, in code order
    by_id: dict[str, tuple[int, float]]  # the same by place id, for a few look-ups


@lru_cache(maxsize=1)
def _place_table() -> _PlaceTable:
    places = load_place_index().places()
    names = [p.former_district or "" for p in places]
    districts = pd.Index(sorted(set(names) - {""}), dtype=object)
    codes = districts.get_indexer(pd.Index(names, dtype=object))
    district = np.where(codes < 0, len(districts), codes)
    rural = np.array([p.level == "xã" for p in places], dtype=float)
    return _PlaceTable(
        index=pd.Index([p.place_id for p in places], dtype=object),
        district=district, rural=rural, districts=districts,
        by_id={p.place_id: (int(d), float(r))
               for p, d, r in zip(places, district, rural, strict=True)},
    )


def district_codes(place_ids: Any) -> tuple[np.ndarray, np.ndarray]:
    """(district code, rural flag) of each place id; an unknown place: the last code, 0."""
    table = _place_table()
    if isinstance(place_ids, list | tuple) and len(place_ids) <= _FEW:
        found = [table.by_id.get(p, (len(table.districts), 0.0)) for p in place_ids]
        return (np.array([f[0] for f in found], dtype=np.intp),
                np.array([f[1] for f in found], dtype=float))
    pos = table.index.get_indexer(pd.Index(np.asarray(place_ids, dtype=object).reshape(-1)))
    known = pos >= 0
    district = np.full(len(pos), len(table.districts), dtype=np.intp)
    district[known] = table.district[pos[known]]
    rural = np.zeros(len(pos))
    rural[known] = table.rural[pos[known]]
    return district, rural


def area_keys(prepared: PreparedOptions, client_place_ids: Any) -> np.ndarray:
    """``"district|sector"`` of the area of each pair (``prepared`` row i, client place i).

    The area is the former district whose labour market decides the outcome: the job's own
    place for a job, the client's home for a course or a livelihood model.
    """
    district, _ = district_codes(client_place_ids)
    return prepared.area_keys(district)


def prepare_options(options: pd.DataFrame, *, wish: WishIndex,
                    context: FeatureContext) -> PreparedOptions:
    """The option side of the features for every row of a catalogue options frame.

    Parameters
    ----------
    options : DataFrame
        Rows of :attr:`matcher.store.catalog.Catalog.options` (with ``trade_ids``,
        ``primary_trade``, ``sector``, ``hazardous``).
    wish : WishIndex
        Gives each trade id its position in the wish vectors.
    context : FeatureContext
        Provider statistics from the placement history.

    Returns
    -------
    PreparedOptions
    """
    rate, n = context.provider_features(options["provider_id"].to_numpy(object))
    flags = {c: _bool(options[c]) for c in ("hazardous", "women_only", "sign_language",
                                            "accepts_records")}
    area_at_workplace = np.isin(_text(options["kind"]), WORKPLACE_AREA_KINDS)
    district, rural = district_codes(options["place_id"])
    sector = _text(options["sector"])
    area_rate = _area_table(context, area_at_workplace, district, sector)
    columns = {
        "kind": _text(options["kind"]),
        "primary_trade": _text(options["primary_trade"]),
        "sector": _text(options["sector"]),
        "cost_vnd": _number(options["cost_vnd"]),
        "wage_vnd_day": _number(options["wage_vnd_day"]),
        "duration_weeks": _number(options["duration_weeks"]),
        **{c: v.astype(float) for c, v in flags.items()},
        "provider_rate_shrunk": rate,
        "provider_n_log": np.log1p(n),
    }
    return PreparedOptions(columns=columns, trade_rows=wish.trade_rows(options["trade_ids"]),
                           area_at_workplace=area_at_workplace, district=district,
                           rural=rural, sector=sector,
                           area_rate=area_rate, **flags)


def _area_table(context: FeatureContext, area_at_workplace: np.ndarray, district: np.ndarray,
                sector: np.ndarray) -> np.ndarray:
    """Each option's area rate for a client of each district code (a row per code)."""
    names = np.append(_place_table().districts.to_numpy(object), "")
    rate = np.empty((len(names), len(sector)))
    for code in range(len(names)):
        area = np.where(area_at_workplace, district, code)
        rate[code], _ = context.area_features(pasted(names[area], sector))
    return rate


# --- one client against many options -------------------------------------------------------


def client_features(client: ClientProfile, prepared: PreparedOptions, *,
                    distance_km: np.ndarray, wish: WishIndex,
                    on: date | None = None) -> pd.DataFrame:
    """Features of one client against every prepared option, in :data:`FEATURES` order: a
    cohort of one for :func:`pair_features`.

    Only a model that cannot be split into per-client, per-option and per-pair parts is
    scored from these frames (the engine's whole-frame path; :mod:`matcher.outcomes.split`
    scores the others without building them), and the explanations read them.

    Parameters
    ----------
    client : ClientProfile
    prepared : PreparedOptions
        From :func:`prepare_options`.
    distance_km : ndarray of shape (n_options,)
        Distance from the client's place to each option's place.
    wish : WishIndex
    on : date, optional
        The day the age is counted on (today by default).

    Returns
    -------
    DataFrame of shape (n_options, len(FEATURES))
    """
    return _features(describe_client(client, wish), prepared,
                     np.zeros(len(prepared), dtype=np.intp), distance_km, on or date.today())


def describe_client(client: ClientProfile, wish: WishIndex) -> ClientSide:
    """One client's :class:`ClientSide` (one row): :func:`describe_clients`'s encoding, read
    straight from the profile (a one-row frame would cost pandas' set-up, about a
    millisecond, on every suggestion)."""
    def one(value: Any, dtype: Any) -> np.ndarray:
        return np.array([value], dtype=dtype)

    return _describe(ClientColumns(
        interests=one(client.interests or "", object), skills=one(client.skills or "", object),
        gender=one(client.gender, object), group=one(client.group, object),
        disability=one(client.disability or "none", object),
        education=one(client.education or "", object),
        max_travel_km=one(np.nan if client.max_travel_km is None else client.max_travel_km,
                          float),
        prior_income_vnd_month=one(np.nan if client.prior_income_vnd_month is None
                                   else client.prior_income_vnd_month, float),
        needs_women_only=one(bool(client.needs_women_only), bool),
        household_poor=one(bool(client.household_poor), bool),
        ethnic_minority=one(bool(client.ethnic_minority), bool),
        married=one(bool(client.married), bool),
        born=one(client.birth_date, "datetime64[D]"), place_ids=[client.place_id]), wish)


# --- row-aligned pairs (training) ----------------------------------------------------------


def pair_features(clients: pd.DataFrame, options: pd.DataFrame | PreparedOptions, *,
                  distance_km: np.ndarray, wish: WishIndex, context: FeatureContext | None = None,
                  on: date | Iterable[Any], client_rows: np.ndarray | None = None) -> pd.DataFrame:
    """Features of aligned pairs: row i is ``clients`` row i with ``options`` row i.

    Parameters
    ----------
    clients : DataFrame
        Client rows with the columns of :data:`matcher.store.frames.CLIENT_COLUMNS`.
    options : DataFrame or PreparedOptions
        Catalogue option rows (then ``context`` is required), or options already prepared
        and taken in the pairs' order.
    distance_km : ndarray of shape (n_pairs,)
    wish : WishIndex
    context : FeatureContext, optional
        Provider and area statistics; needed when ``options`` is a DataFrame.
    on : date or sequence of dates
        The day each client's age is counted on: one date, or one per pair (the placement's
        start date while training).
    client_rows : ndarray of int, optional
        For a cohort: pair i is ``clients`` row ``client_rows[i]`` (each client once in
        ``clients``) with ``options`` row i. What describes a client alone is then computed
        once per client, not once per pair.

    Returns
    -------
    DataFrame of shape (n_pairs, len(FEATURES))
    """
    if isinstance(options, pd.DataFrame):
        if context is None:
            raise ValueError("pair_features needs a context to describe option frames")
        options = prepare_options(options, wish=wish, context=context)
    if client_rows is None:
        n = len(clients)
        rows = np.arange(n)
    else:
        rows = np.asarray(client_rows, dtype=np.intp)
        n = len(rows)
    if len(options) != n:
        raise ValueError(f"{n} clients but {len(options)} options: pairs must be aligned")
    return _features(describe_clients(clients, wish), options, rows, distance_km, on)


def _features(side: ClientSide, options: PreparedOptions, rows: np.ndarray,
              distance_km: np.ndarray, on: date | Iterable[Any]) -> pd.DataFrame:
    """The one assembly of the feature frame: pair i is client ``rows[i]`` of ``side`` with
    option i of ``options``."""
    n = len(rows)
    client_side = {k: v[rows] for k, v in side.columns.items()}
    client_side["age"] = _age_years(side.born[rows], on, n)
    pair = side.pair_columns(rows, options.trade_rows, distance_km,
                             sign_language=options.sign_language,
                             women_only=options.women_only,
                             accepts_records=options.accepts_records,
                             hazardous=options.hazardous)
    area = options.area(side.district[rows], side.rural[rows])
    return _frame({**client_side, **options.columns, **pair, **area}, n)


# --- a cohort: each client described once, the pairs from the un-taken options ---------------


@dataclass(frozen=True)
class ClientSide:
    """What the features need of each client, one row per client (not per pair).

    ``columns`` holds the client columns of :data:`FEATURES` but the age (which depends on
    the day it is counted on); the rest are what the pair columns are built from.
    """

    columns: dict[str, np.ndarray]
    born: np.ndarray  # datetime64[D]
    both: np.ndarray  # credited wish vectors from interests and skills
    skills: np.ndarray  # credited wish vectors from the skills alone
    travel_limit: np.ndarray
    deaf: np.ndarray
    needs_women_only: np.ndarray
    has_record: np.ndarray
    hazard_prone: np.ndarray
    district: np.ndarray
    rural: np.ndarray

    def ages(self, on: date) -> np.ndarray:
        return _age_years(self.born, on, len(self.born))

    def pair_columns(self, client_rows: np.ndarray, trade_rows: np.ndarray,
                     distance_km: np.ndarray, *, sign_language: np.ndarray,
                     women_only: np.ndarray, accepts_records: np.ndarray,
                     hazardous: np.ndarray) -> dict[str, np.ndarray]:
        """The pair columns of :data:`PAIR_SIDE` but the area's: pair i is client
        ``client_rows[i]`` with the option whose values are at position i of the others."""
        return _pair_columns(
            wish_match=_best(self.both, trade_rows, client_rows),
            skill_match=_best(self.skills, trade_rows, client_rows),
            distance=np.asarray(distance_km, dtype=float).reshape(len(client_rows)),
            travel_limit=self.travel_limit[client_rows], deaf=self.deaf[client_rows],
            needs_women_only=self.needs_women_only[client_rows],
            has_record=self.has_record[client_rows],
            hazard_prone=self.hazard_prone[client_rows], sign_language=sign_language,
            women_only=women_only, accepts_records=accepts_records, hazardous=hazardous)


@dataclass(frozen=True)
class ClientColumns:
    """A client's (or each client's) recorded values, cleaned: text with its default, numbers
    with NaN for missing, flags as booleans. What :func:`_describe` encodes."""

    interests: np.ndarray
    skills: np.ndarray
    gender: np.ndarray
    group: np.ndarray
    disability: np.ndarray
    education: np.ndarray
    max_travel_km: np.ndarray
    prior_income_vnd_month: np.ndarray
    needs_women_only: np.ndarray
    household_poor: np.ndarray
    ethnic_minority: np.ndarray
    married: np.ndarray
    born: np.ndarray  # datetime64[D]
    place_ids: Any


def describe_clients(clients: pd.DataFrame, wish: WishIndex) -> ClientSide:
    """Each client of a frame with :data:`matcher.store.frames.CLIENT_COLUMNS`, described
    once."""
    return _describe(ClientColumns(
        interests=_text(clients["interests"]), skills=_text(clients["skills"]),
        gender=_text(clients["gender"]), group=_text(clients["group_code"]),
        disability=_text(clients["disability"], default="none"),
        education=_text(clients["education"]),
        max_travel_km=_number(clients["max_travel_km"]),
        prior_income_vnd_month=_number(clients["prior_income_vnd_month"]),
        needs_women_only=_bool(clients["needs_women_only"]),
        household_poor=_bool(clients["household_poor"]),
        ethnic_minority=_bool(clients["ethnic_minority"]), married=_bool(clients["married"]),
        born=pd.to_datetime(pd.Series(clients["birth_date"])).to_numpy("datetime64[D]"),
        place_ids=clients["place_id"]), wish)


def _describe(c: ClientColumns, wish: WishIndex) -> ClientSide:
    """The one encoding of clients, for one client's suggestions and a cohort's plan alike."""
    interests = _text_vectors(wish, c.interests)
    skills = _text_vectors(wish, c.skills)
    both = np.maximum(interests, skills)
    district, rural = district_codes(c.place_ids)
    columns = {
        "gender": c.gender, "group": c.group, "disability": c.disability,
        "education": _education_levels(c.education),
        "max_travel_km": c.max_travel_km,
        "needs_women_only": c.needs_women_only.astype(float),
        "household_poor": c.household_poor.astype(float),
        "ethnic_minority": c.ethnic_minority.astype(float),
        "married": c.married.astype(float),
        "prior_income_vnd_month": c.prior_income_vnd_month,
        "wish_stated": (both[:, :-1].max(axis=1) > 0).astype(float),
    }
    travel = c.max_travel_km
    return ClientSide(
        columns=columns, born=c.born, both=both, skills=skills,
        travel_limit=np.where(np.isnan(travel), DEFAULT_TRAVEL_KM, travel),
        deaf=c.disability == "deaf", needs_women_only=c.needs_women_only,
        has_record=np.isin(c.group, _RECORD_GROUPS),
        hazard_prone=np.isin(c.disability, _HAZARD_DISABILITIES),
        district=district, rural=rural)


def _education_levels(education: np.ndarray) -> np.ndarray:
    if len(education) <= _FEW:
        return np.array([EDUCATION_LEVEL.get(e, np.nan) for e in education], dtype=float)
    return pd.Series(education).map(EDUCATION_LEVEL).to_numpy(float)


def pair_side(side: ClientSide, prepared: PreparedOptions, option_rows: np.ndarray,
              client_rows: np.ndarray, distance_km: np.ndarray) -> dict[str, np.ndarray]:
    """Every :data:`PAIR_SIDE` column of the pairs (client ``client_rows[i]``, catalogue
    option ``option_rows[i]``), read from the un-taken options: the pair's side of a cohort's
    score without gathering each option's own columns for every pair."""
    pair = side.pair_columns(
        client_rows, prepared.trade_rows[option_rows], distance_km,
        sign_language=prepared.sign_language[option_rows],
        women_only=prepared.women_only[option_rows],
        accepts_records=prepared.accepts_records[option_rows],
        hazardous=prepared.hazardous[option_rows])
    area_at_workplace = prepared.area_at_workplace[option_rows]
    pair["area_rural"] = np.where(area_at_workplace, prepared.rural[option_rows],
                                  side.rural[client_rows]).astype(float)
    pair["area_rate_shrunk"] = prepared.area_rate[side.district[client_rows], option_rows]
    return pair


# --- shared pieces ---------------------------------------------------------------------------


def _pair_columns(*, wish_match: np.ndarray, skill_match: np.ndarray, distance: np.ndarray,
                  travel_limit: np.ndarray, deaf: np.ndarray, needs_women_only: np.ndarray,
                  has_record: np.ndarray, hazard_prone: np.ndarray, sign_language: np.ndarray,
                  women_only: np.ndarray, accepts_records: np.ndarray,
                  hazardous: np.ndarray) -> dict[str, np.ndarray]:
    """The pair columns from the client's and the option's values, aligned by pair."""
    sign = np.where(sign_language, 1.0, -1.0)
    return {
        "wish_match": wish_match,
        "skill_match": skill_match,
        "distance_km": distance,
        "over_travel_km": np.maximum(distance - travel_limit, 0.0),
        "deaf_sign_language": np.where(deaf, sign, 0.0),
        "women_only_match": (needs_women_only & women_only).astype(float),
        "record_accepted": (has_record & accepts_records).astype(float),
        "hazard_disability": (hazard_prone & hazardous).astype(float),
    }


def _frame(data: dict[str, Any], n: int) -> pd.DataFrame:
    # Categories go in as object Series: pandas would otherwise infer its string dtype and
    # copy every value, which costs more than the whole rest of the features.
    columns = {c: pd.Series(data[c], dtype=object, copy=False) if c in _CATEGORICAL
               else np.asarray(data[c], dtype=float) for c in FEATURES}
    return pd.DataFrame(columns, index=pd.RangeIndex(n), copy=False)


def _best(credited: np.ndarray, trade_rows: np.ndarray,
          rows: np.ndarray | None = None) -> np.ndarray:
    """Per row of ``trade_rows``, the best of ``credited``: one client's row, or the row
    ``rows[i]`` of a matrix for pair i (row i when ``rows`` is None)."""
    # Options list one to three trades: a max over columns one at a time is several times
    # faster than ndarray.max(axis=1) over such a narrow axis.
    if credited.ndim == 1:
        out = credited[trade_rows[:, 0]]
        for j in range(1, trade_rows.shape[1]):
            np.maximum(out, credited[trade_rows[:, j]], out=out)
        return out
    if rows is None:
        rows = np.arange(len(credited))
    out = credited[rows, trade_rows[:, 0]]
    for j in range(1, trade_rows.shape[1]):
        np.maximum(out, credited[rows, trade_rows[:, j]], out=out)
    return out


def pasted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a|b`` for each row, built once per distinct pair (a missing value as "")."""
    if len(a) <= _FEW:  # a suggestion's few rows: pandas' set-up would cost more
        return np.array([f"{_blank(x)}|{_blank(y)}" for x, y in zip(a, b, strict=True)],
                        dtype=object).reshape(len(a))
    codes_a, uniques_a = pd.factorize(pd.Series(a, dtype=object).fillna(""), sort=False)
    codes_b, uniques_b = pd.factorize(pd.Series(b, dtype=object).fillna(""), sort=False)
    if not len(codes_a):
        return np.empty(0, dtype=object)
    table = np.array([[f"{x}|{y}" for y in uniques_b] for x in uniques_a], dtype=object)
    return table[codes_a, codes_b]


def _blank(value: Any) -> Any:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else value


def _text_vectors(wish: WishIndex, texts: np.ndarray) -> np.ndarray:
    """Credited wish vectors of cleaned texts; many clients share a phrase: one per distinct."""
    if len(texts) == 1:
        return wish.credited(wish.vectors([texts[0]]))
    codes, uniques = pd.factorize(pd.Series(texts, dtype=object), sort=False)
    return wish.credited(wish.vectors(list(uniques)))[codes]


def _text(values: Any, default: str = "") -> np.ndarray:
    series = pd.Series(values, dtype=object)
    return series.where(series.notna(), default).astype(str).to_numpy(object)


def _number(values: Any) -> np.ndarray:
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)


def _bool(values: Any) -> np.ndarray:
    series = pd.Series(values)
    return series.where(series.notna(), False).astype(bool).to_numpy()


def _age_years(born: np.ndarray, on: date | Iterable[Any], n: int) -> np.ndarray:
    if isinstance(on, date):
        day = np.full(n, np.datetime64(on, "D"))
    elif isinstance(on, np.ndarray) and np.issubdtype(on.dtype, np.datetime64):
        day = on.astype("datetime64[D]")
    else:
        day = pd.to_datetime(pd.Series(list(on))).to_numpy("datetime64[D]")
    # Years as a real number: the model wants a smooth age; whole years are for the rules.
    return (day - born).astype(float) / _DAYS_PER_YEAR
