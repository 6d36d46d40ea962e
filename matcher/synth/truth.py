"""The ground truth of the synthetic world: P(success at 6 months | client, option).

Success is a logistic function of a sum of terms, most of which depend on the PAIR::

    logit P(success | i, o) = intercept
        + ability·a_i                                  client's latent ability (unobserved)
        + wish_exact·[trade(o) ∈ wishes(i)] + wish_sector·[same sector, not same trade]
        + skill·[trade(o) ∈ skills(i)]
        − s_i·d(i,o)/10 − over_limit·max(0, d − max_travel_km_i)/10
              s_i = distance_per_10km·(1 + distance_youth·[age<18])
                                     ·(1 + distance_low_limit·[max_travel_km_i < low_limit_km])
        + provider_quality·q_p(o)                      provider's latent quality (random effect)
        + trade_demand·demand[area, trade(o)]          area = option's place for jobs, the
                                                       client's place for training/livelihood
        − age_curve·min(((age − age_peak)/10)², 4)
        + education·(edu − 2) + education_training·(edu − 2)·[training]
        + group_kind[group_i, kind_o]
        + handheld_young·[hand-held course]·[youth_at_risk or after_reform_school]
        + grant_trafficking·[trafficking_returnee]·[livelihood]·min(cost_vnd/10,000,000, 2)
        + records_job·[group with a record]·[job]·[accepts_records]
        + survivor_safe·[needs_women_only]·[women_only]
        + sign_language_deaf·[deaf]·(+1 if sign_language else −1)
        + hazard_physical·[blind or physical disability]·[hazardous trade]
        + disability_other·[intellectual or psychosocial disability]
        + household_poor·[poor] + poor_livelihood·[poor]·[livelihood]

A client who is never placed earns a stable living (the follow-up's ``earning``) with::

    logit P(earning | i, not placed) = u_intercept + u_ability·a_i
        − age_curve·min(((age − age_peak)/10)², 4) + education·(edu − 2)
        + household_poor·[poor] + u_prior_income·[prior income > 0] + u_group[group_i]

Everything observable is read from the contract frames (birth date, gender, group, education,
disability, travel limit, needs, poverty; option kind, cost, women-only, sign language,
records); everything latent comes from the ``truth`` dict, keyed by id: client ability, the
client's place and wished/skilled trades, the option's place, trades and hand-held flag,
provider quality and the trade × place demand. :func:`true_success_probability` recomputes the
truth for any pair, so a backtest can score suggestions nobody ever tried.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from matcher.logistic import sigmoid

GROUPS = (
    "youth_at_risk", "trafficking_returnee", "after_rehab", "after_prison",
    "after_reform_school", "sex_worker_exiting", "gbv_survivor", "disabled", "other",
)
KINDS = ("training", "job", "livelihood")
RECORD_GROUPS = ("after_rehab", "after_prison", "after_reform_school")
YOUNG_GROUPS = ("youth_at_risk", "after_reform_school")
EDUCATION_LEVEL = {
    "none": 0.0, "primary": 1.0, "lower_secondary": 2.0, "upper_secondary": 3.0,
    "vocational": 4.0, "college": 4.5,
}
DEFAULT_EDUCATION = 2.0  # unknown education counts as lower secondary, the most common level
DEFAULT_TRAVEL_KM = 15.0  # unknown travel limit

# Coefficients of the success logit (see the module docstring). The intercept is set when the
# world is built so that the history's success rate hits its target (build_world's
# ``success_rate``). The figures behind them are in data/sources/SYNTH.md.
COEFFICIENTS: dict[str, float] = {
    "intercept": 0.0,
    "ability": 1.0,
    "wish_exact": 1.0,
    "wish_sector": 0.35,
    "skill": 0.45,
    "distance_per_10km": 0.30,
    "distance_youth": 1.0,
    "distance_low_limit": 0.8,
    "low_limit_km": 10.0,
    "over_limit_per_10km": 0.6,
    "provider_quality": 1.0,
    "trade_demand": 0.45,
    "age_curve": 0.15,
    "age_peak": 28.0,
    "education": 0.15,
    "education_training": 0.10,
    "handheld_young": 0.60,
    "grant_trafficking": 0.35,
    "records_job": 0.50,
    "survivor_safe": 0.40,
    "sign_language_deaf": 0.70,
    "hazard_physical": -0.90,
    "disability_other": -0.25,
    "household_poor": -0.30,
    "poor_livelihood": 0.35,
}

# group × kind main effects on the success logit.
GROUP_KIND: dict[str, dict[str, float]] = {
    "youth_at_risk":        {"training": 0.30, "job": -0.30, "livelihood": -0.60},
    "trafficking_returnee": {"training": -0.10, "job": -0.20, "livelihood": 0.40},
    "after_rehab":          {"training": -0.30, "job": 0.20, "livelihood": -0.10},
    "after_prison":         {"training": -0.10, "job": 0.30, "livelihood": 0.00},
    "after_reform_school":  {"training": 0.30, "job": 0.00, "livelihood": -0.30},
    "sex_worker_exiting":   {"training": 0.00, "job": -0.10, "livelihood": 0.30},
    "gbv_survivor":         {"training": 0.10, "job": 0.00, "livelihood": 0.30},
    "disabled":             {"training": 0.10, "job": -0.30, "livelihood": 0.20},
    "other":                {"training": 0.00, "job": 0.10, "livelihood": 0.00},
}

# The not-placed baseline. u_intercept is set so that the average effect of placement on the
# placed equals build_world's ``placement_effect``.
UNPLACED: dict[str, Any] = {
    "intercept": -1.0,
    "ability": 0.8,
    "prior_income": 0.5,
    "group": {
        "youth_at_risk": -0.8, "trafficking_returnee": -0.3, "after_rehab": -0.5,
        "after_prison": -0.4, "after_reform_school": -0.6, "sex_worker_exiting": -0.2,
        "gbv_survivor": -0.3, "disabled": -0.6, "other": 0.0,
    },
}

# Income at follow-up: around the option's wage when successful, casual work otherwise.
INCOME: dict[str, float] = {
    "ability": 0.08,           # log-income per unit of ability
    "sigma": 0.20,             # log-normal spread around the wage
    "casual_share": 0.30,      # share of the unsuccessful who do casual work
    "casual_fraction": 0.40,   # casual income as a fraction of the wage
    "casual_sigma": 0.30,
    "unplaced_base_vnd_day": 150_000.0,  # typical unskilled day income in the province
    "working_days_month": 26.0,
}


def model_text() -> dict[str, str]:
    """The two formulas of the module docstring, for the truth dict."""
    doc = __doc__ or ""
    head, _, rest = doc.partition("A client who is never placed")
    unplaced, _, _ = rest.partition("Everything observable")
    return {"success": head.strip(),
            "unplaced": ("A client who is never placed" + unplaced).strip()}


# --- reading the frames ------------------------------------------------------------------------


def _text(series: pd.Series) -> np.ndarray:
    return series.astype(object).where(series.notna(), "").astype(str).str.strip().to_numpy()


def _number(series: pd.Series) -> np.ndarray:
    text = pd.Series(_text(series))
    return pd.to_numeric(text.where(text != "", None), errors="coerce").to_numpy(dtype=float)


_TRUE = {"1", "true", "có", "co", "yes", "x", "y", "1.0"}


def _flag(series: pd.Series) -> np.ndarray:
    return np.isin(np.char.lower(_text(series).astype(str)), list(_TRUE))


def _dates(values: Any, n: int) -> np.ndarray:
    """Dates as datetime64[D]: one value for all rows, or one per row."""
    if isinstance(values, str | pd.Timestamp | np.datetime64) or not np.ndim(values):
        return np.full(n, np.datetime64(pd.Timestamp(values).date(), "D"))
    parsed = pd.to_datetime(pd.Series(values).astype(str), format="%Y-%m-%d", errors="coerce")
    return parsed.to_numpy().astype("datetime64[D]")


def _masks(rows: np.ndarray, items: np.ndarray, n: int, width: int) -> np.ndarray:
    """Bit sets of small integers (trade or sector indices), ``width`` 64-bit words per row:
    item ``items[k]`` is set in row ``rows[k]``."""
    out = np.zeros((n, width), dtype=np.uint64)
    ok = items >= 0
    rows, items = rows[ok], items[ok].astype(np.uint64)
    np.bitwise_or.at(out, (rows, (items >> np.uint64(6)).astype(np.int64)),
                     np.uint64(1) << (items & np.uint64(63)))
    return out


def _flat(lists: pd.Series, index: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """(row, position in ``index``) for every item of a Series of lists; -1 if unknown."""
    sizes = lists.map(len).to_numpy()
    rows = np.repeat(np.arange(len(lists)), sizes)
    items = [x for v in lists for x in v]
    return rows, index.get_indexer(pd.Index(items, dtype=object)) if items else np.zeros(0, int)


def _overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return ((a & b) != 0).any(axis=1)


@dataclass(frozen=True)
class _Catalogue:
    """The truth's fixed lists: place order, distances, trades, sectors, demand."""

    places: pd.Index
    trades: pd.Index
    trade_sector: np.ndarray
    hazardous: np.ndarray
    n_sectors: int
    distance: np.ndarray  # km, places × places
    demand: np.ndarray  # places × trades

    @property
    def words(self) -> int:
        return (len(self.trades) + 63) // 64


@lru_cache(maxsize=4)
def _distance_matrix(place_ids: tuple[str, ...]) -> np.ndarray:
    from matcher.vocab.places import load_place_index

    ids = list(place_ids)
    return np.asarray(load_place_index().distance_matrix(ids, ids), dtype=float)


def catalogue(truth: dict) -> _Catalogue:
    places = pd.Index(truth["places"])
    trades = pd.Index(truth["trades"]["ids"])
    sectors = pd.Index(sorted(set(truth["trades"]["sector"])))
    demand = np.zeros((len(places), len(trades)))
    for p, row in truth["trade_demand"].items():
        demand[places.get_loc(p)] = [row.get(t, 0.0) for t in trades]
    return _Catalogue(
        places=places,
        trades=trades,
        trade_sector=sectors.get_indexer(truth["trades"]["sector"]),
        hazardous=np.asarray(truth["trades"]["hazardous"], dtype=bool),
        n_sectors=len(sectors),
        distance=_distance_matrix(tuple(places)),
        demand=demand,
    )


def _latent(truth_part: dict, ids: Sequence[str], what: str) -> pd.Series:
    values = pd.Series(truth_part).reindex(ids)
    missing = values.index[values.isna()]
    if len(missing):
        raise KeyError(f"no {what} in the truth for {list(missing[:5])}: not of this world")
    return values


@dataclass(frozen=True)
class ClientArrays:
    """What the truth needs of clients, one row per client id in ``ids``."""

    ids: pd.Index
    birth: np.ndarray
    group: np.ndarray  # index into GROUPS
    education: np.ndarray
    disability: np.ndarray  # text codes
    travel_km: np.ndarray
    needs_women_only: np.ndarray
    poor: np.ndarray
    prior_income: np.ndarray
    ability: np.ndarray
    place: np.ndarray  # index into the truth's places
    wish: np.ndarray  # trade bit sets
    wish_sector: np.ndarray  # sector bit sets
    skill: np.ndarray

    @classmethod
    def build(cls, truth: dict, clients: pd.DataFrame, cat: _Catalogue) -> ClientArrays:
        ids = pd.Index(_text(clients["client_id"]))
        t = truth["clients"]
        ability = _latent(t["ability"], ids, "ability").to_numpy(dtype=float)
        place = cat.places.get_indexer(_latent(t["place_id"], ids, "place").to_numpy())
        wish_rows, wish = _flat(_latent(t["wish"], ids, "wishes"), cat.trades)
        skills = pd.Series(t["skills"], dtype=object).reindex(ids)
        skill_rows, skill = _flat(skills.map(lambda v: v if isinstance(v, list) else []),
                                  cat.trades)
        sector = np.where(wish >= 0, cat.trade_sector[np.maximum(wish, 0)], -1)
        edu = pd.Series(_text(clients["education"])).map(EDUCATION_LEVEL).to_numpy(dtype=float)
        travel = _number(clients["max_travel_km"])
        group = pd.Index(GROUPS).get_indexer(_text(clients["group"]))
        return cls(
            ids=ids,
            birth=_dates(_text(clients["birth_date"]), len(ids)),
            group=np.where(group < 0, GROUPS.index("other"), group),
            education=np.where(np.isnan(edu), DEFAULT_EDUCATION, edu),
            disability=_text(clients["disability"]),
            travel_km=np.where(np.isnan(travel), DEFAULT_TRAVEL_KM, travel),
            needs_women_only=_flag(clients["needs_women_only"]),
            poor=_flag(clients["household_poor"]),
            prior_income=np.nan_to_num(_number(clients["prior_income_vnd_month"])),
            ability=ability,
            place=place,
            wish=_masks(wish_rows, wish, len(ids), cat.words),
            wish_sector=_masks(wish_rows, sector, len(ids), 1),
            skill=_masks(skill_rows, skill, len(ids), cat.words),
        )


@dataclass(frozen=True)
class OptionArrays:
    """What the truth needs of options, one row per option id in ``ids``."""

    ids: pd.Index
    kind: np.ndarray  # index into KINDS
    quality: np.ndarray
    place: np.ndarray
    primary_trade: np.ndarray
    trades: np.ndarray  # trade bit sets
    sectors: np.ndarray  # sector bit sets
    hazardous: np.ndarray
    handheld: np.ndarray
    cost: np.ndarray
    wage: np.ndarray
    women_only: np.ndarray
    sign_language: np.ndarray
    accepts_records: np.ndarray

    @classmethod
    def build(cls, truth: dict, options: pd.DataFrame, cat: _Catalogue) -> OptionArrays:
        ids = pd.Index(_text(options["option_id"]))
        t = truth["options"]
        providers = _text(options["provider_id"])
        quality = _latent(truth["provider_quality"], providers, "provider quality")
        rows, trades = _flat(_latent(t["trades"], ids, "trades"), cat.trades)
        first = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.zeros(0, bool)
        primary = np.zeros(len(ids), dtype=int)
        primary[rows[first]] = trades[first]
        hazardous = np.zeros(len(ids), dtype=bool)
        np.logical_or.at(hazardous, rows, cat.hazardous[trades])
        sector = cat.trade_sector[trades]
        return cls(
            ids=ids,
            kind=pd.Index(KINDS).get_indexer(_text(options["kind"])),
            quality=quality.to_numpy(dtype=float),
            place=cat.places.get_indexer(_latent(t["place_id"], ids, "place").to_numpy()),
            primary_trade=primary,
            trades=_masks(rows, trades, len(ids), cat.words),
            sectors=_masks(rows, sector, len(ids), 1),
            hazardous=hazardous,
            handheld=ids.isin(t.get("handheld", [])),
            cost=np.nan_to_num(_number(options["cost_vnd"])),
            wage=_number(options["wage_vnd_day"]),
            women_only=_flag(options["women_only"]),
            sign_language=_flag(options["sign_language"]),
            accepts_records=_flag(options["accepts_records"]),
        )


# --- the terms ---------------------------------------------------------------------------------


def _age_years(birth: np.ndarray, on: np.ndarray) -> np.ndarray:
    return (on - birth).astype(float) / 365.25


def _age_term(age: np.ndarray, c: dict) -> np.ndarray:
    return -c["age_curve"] * np.minimum(((age - c["age_peak"]) / 10.0) ** 2, 4.0)


def pair_terms(
    truth: dict,
    cat: _Catalogue,
    ca: ClientArrays,
    oa: OptionArrays,
    ci: np.ndarray,
    oi: np.ndarray,
    on: np.ndarray,
) -> dict[str, np.ndarray]:
    """Each term of the success logit (without the intercept) for pairs (ci[k], oi[k])."""
    c = truth["coefficients"]
    kind = oa.kind[oi]
    group = ca.group[ci]
    age = _age_years(ca.birth[ci], on)
    wish = _overlap(ca.wish[ci], oa.trades[oi])
    sector = ~wish & _overlap(ca.wish_sector[ci], oa.sectors[oi])
    dist = cat.distance[ca.place[ci], oa.place[oi]]
    travel = ca.travel_km[ci]
    slope = (c["distance_per_10km"] * (1 + c["distance_youth"] * (age < 18))
             * (1 + c["distance_low_limit"] * (travel < c["low_limit_km"])))
    area = np.where(kind == KINDS.index("job"), oa.place[oi], ca.place[ci])
    table = np.array([[truth["group_kind"][g][k] for k in KINDS] for g in GROUPS])
    edu = ca.education[ci] - 2.0
    disability = ca.disability[ci]
    gcode = np.array(GROUPS)[group]
    is_kind = {k: kind == KINDS.index(k) for k in KINDS}
    return {
        "ability": c["ability"] * ca.ability[ci],
        "wish": c["wish_exact"] * wish + c["wish_sector"] * sector,
        "skill": c["skill"] * _overlap(ca.skill[ci], oa.trades[oi]),
        "distance": -slope * dist / 10.0
        - c["over_limit_per_10km"] * np.maximum(dist - travel, 0.0) / 10.0,
        "provider_quality": c["provider_quality"] * oa.quality[oi],
        "trade_demand": c["trade_demand"] * cat.demand[area, oa.primary_trade[oi]],
        "age": _age_term(age, c),
        "education": c["education"] * edu + c["education_training"] * edu * is_kind["training"],
        "group_kind": table[group, kind],
        "handheld_young": c["handheld_young"] * oa.handheld[oi] * np.isin(gcode, YOUNG_GROUPS),
        "grant_trafficking": c["grant_trafficking"] * (gcode == "trafficking_returnee")
        * is_kind["livelihood"] * np.minimum(oa.cost[oi] / 1e7, 2.0),
        "records_job": c["records_job"] * np.isin(gcode, RECORD_GROUPS) * is_kind["job"]
        * oa.accepts_records[oi],
        "survivor_safe": c["survivor_safe"] * ca.needs_women_only[ci] * oa.women_only[oi],
        "sign_language": c["sign_language_deaf"] * (disability == "deaf")
        * np.where(oa.sign_language[oi], 1.0, -1.0),
        "hazard_disability": c["hazard_physical"] * np.isin(disability, ("blind", "physical"))
        * oa.hazardous[oi],
        "disability_other": c["disability_other"]
        * np.isin(disability, ("intellectual", "psychosocial")),
        "poverty": c["household_poor"] * ca.poor[ci]
        + c["poor_livelihood"] * ca.poor[ci] * is_kind["livelihood"],
    }


def unplaced_terms(
    truth: dict, ca: ClientArrays, ci: np.ndarray, on: np.ndarray
) -> dict[str, np.ndarray]:
    """Terms of the not-placed earning logit (without the intercept)."""
    c, u = truth["coefficients"], truth["unplaced"]
    group = np.array([u["group"][g] for g in GROUPS])
    return {
        "ability": u["ability"] * ca.ability[ci],
        "age": _age_term(_age_years(ca.birth[ci], on), c),
        "education": c["education"] * (ca.education[ci] - 2.0),
        "poverty": c["household_poor"] * ca.poor[ci],
        "prior_income": u["prior_income"] * (ca.prior_income[ci] > 0),
        "group": group[ca.group[ci]],
    }


# --- the public functions ----------------------------------------------------------------------


def _positions(index: pd.Index, ids: Sequence[str], what: str) -> np.ndarray:
    pos = index.get_indexer(pd.Index(np.asarray(ids, dtype=object).astype(str)))
    if (pos < 0).any():
        bad = np.asarray(ids)[pos < 0][:5]
        raise KeyError(f"{what} not in the frame: {list(bad)}")
    return pos


def success_logit(
    truth: dict,
    clients: pd.DataFrame,
    options: pd.DataFrame,
    client_ids: Sequence[str],
    option_ids: Sequence[str],
    *,
    on: Any = None,
    zero: Iterable[str] = (),
) -> np.ndarray:
    """The success logit of each pair; ``zero`` names terms of :func:`pair_terms` to leave out."""
    cat = catalogue(truth)
    ca = ClientArrays.build(truth, clients, cat)
    oa = OptionArrays.build(truth, options, cat)
    ci = _positions(ca.ids, client_ids, "client ids")
    oi = _positions(oa.ids, option_ids, "option ids")
    on_dates = _dates(truth["as_of"] if on is None else on, len(ci))
    terms = pair_terms(truth, cat, ca, oa, ci, oi, on_dates)
    skip = set(zero)
    unknown = skip - set(terms)
    if unknown:
        raise KeyError(f"no such terms: {sorted(unknown)}; the terms are {sorted(terms)}")
    total = np.full(len(ci), float(truth["coefficients"]["intercept"]))
    for name, value in terms.items():
        if name not in skip:
            total += value
    return total


def true_success_probability(
    truth: dict,
    clients: pd.DataFrame,
    options: pd.DataFrame,
    client_ids: Sequence[str],
    option_ids: Sequence[str],
    *,
    on: Any = None,
    zero: Iterable[str] = (),
) -> np.ndarray:
    """P(success at 6 months) of placing ``client_ids[k]`` in ``option_ids[k]``, for every k.

    ``clients`` and ``options`` are contract-format frames (text or typed columns); ``truth``
    is :attr:`World.truth`. Ages are taken on ``on`` (one date, or one per pair; default the
    world's ``as_of`` date). Pairs nobody tried are scored just like the history's pairs.
    """
    return sigmoid(success_logit(truth, clients, options, client_ids, option_ids,
                                 on=on, zero=zero))


def true_earning_probability_unplaced(
    truth: dict, clients: pd.DataFrame, client_ids: Sequence[str], *, on: Any = None
) -> np.ndarray:
    """P(earning a stable living at follow-up | the client is not placed)."""
    cat = catalogue(truth)
    ca = ClientArrays.build(truth, clients, cat)
    ci = _positions(ca.ids, client_ids, "client ids")
    on_dates = _dates(truth["as_of"] if on is None else on, len(ci))
    total = truth["unplaced"]["intercept"] + sum(unplaced_terms(truth, ca, ci, on_dates).values())
    return sigmoid(total)


def expected_income_placed(p: np.ndarray, wage: np.ndarray, ability: np.ndarray) -> np.ndarray:
    """E[income_vnd_day at follow-up | placed], from P(success) and the option's wage."""
    k = INCOME
    on_success = wage * np.exp(k["ability"] * ability + k["sigma"] ** 2 / 2)
    casual = k["casual_share"] * k["casual_fraction"] * wage * np.exp(k["casual_sigma"] ** 2 / 2)
    return p * on_success + (1 - p) * casual


def unplaced_base_income(prior_income_month: np.ndarray) -> np.ndarray:
    """The day income a client earns without placement: their own past, or the local norm."""
    k = INCOME
    own = prior_income_month / k["working_days_month"]
    return np.where(prior_income_month > 0, np.maximum(own, 0.6 * k["unplaced_base_vnd_day"]),
                    k["unplaced_base_vnd_day"])
