"""Hard eligibility: the rules no score can override.

See docs/design.md, "Rules that are never broken".

Every rule is vectorised over the options and returns, for one client, which options it
excludes. :func:`check` combines them and keeps each failed rule's reason in Vietnamese and
English (the engine's explanation reads them). :func:`eligible_pairs` applies the
same rules to a whole cohort at once: aligned (client, option) pairs, where each client
attribute is an array with one value per pair.

The Labour Code rules (Vietnam, Labour Code 2019, arts. 143–147, and Circular
09/2020/TT-BLĐTBXH): no ordinary employment under 15; workers of 15–17 never in heavy or
hazardous work. Training is open from 13 where the trainer says so with its min_age; an
option that states no minimum is taken to follow the Labour Code (15, or 18 for hazardous
trades). Livelihood start-up grants and loans are contracts: adults only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from matcher.store.profiles import ClientProfile
from matcher.vocab.domain import GROUPS_WITH_RECORD
from matcher.vocab.kinds import KINDS, Kind

_RECORD_GROUPS = tuple(str(g) for g in GROUPS_WITH_RECORD)
ADULT_AGE = 18
MIN_WORKING_AGE = 15


@dataclass(frozen=True)
class Rule:
    code: str
    vi: str
    en: str
    excludes: Callable[[ClientProfile, Options, np.ndarray, float], np.ndarray]


Options = Mapping[str, Any]  # a DataFrame, or a dict of equally long numpy arrays


def _col(options: Options, name: str, dtype=None) -> np.ndarray:
    return np.asarray(options[name], dtype=dtype)


def _flag(options: Options, name: str) -> np.ndarray:
    return _col(options, name).astype(bool)


def _default_min_age(options: Options) -> np.ndarray:
    kind = _col(options, "kind")
    base = np.full(len(kind), MIN_WORKING_AGE)
    for k in KINDS:
        base[kind == k.code] = k.default_min_age
    return np.where(_flag(options, "hazardous"), ADULT_AGE, base)


def _stated(options: Options, column: str) -> np.ndarray:
    values = _col(options, column)
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        return values  # the matcher's columns are numbers already
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)


def _below_min_age(c, o, d, age):
    stated = _stated(o, "min_age")
    minimum = np.where(np.isnan(stated), _default_min_age(o), stated)
    return age < minimum


def _above_max_age(c, o, d, age):
    stated = _stated(o, "max_age")
    return ~np.isnan(stated) & (age > stated)


def _age_rule(kind: Kind) -> Rule:
    """The law's minimum age for a kind (matcher.vocab.kinds), as a rule."""
    law = kind.age_rule
    assert law is not None

    def excludes(c, o, d, age):
        return (_col(o, "kind") == kind.code) & (age < law.age)

    return Rule(law.code, law.vi, law.en, excludes)


def _minor_hazardous(c, o, d, age):
    return _flag(o, "hazardous") & (age < ADULT_AGE)


def _no_capacity(c, o, d, age):
    return _col(o, "capacity", float) <= 0


def _women_only_option(c, o, d, age):
    return _flag(o, "women_only") & (c.gender != "female")


def _needs_women_only(c, o, d, age):
    return np.full(len(d), c.needs_women_only) & ~_flag(o, "women_only")


def _sign_language(c, o, d, age):
    return np.full(len(d), c.disability == "deaf") & ~_flag(o, "sign_language")


def _record(c, o, d, age):
    return np.full(len(d), np.isin(c.group, _RECORD_GROUPS)) & ~_flag(o, "accepts_records")


def _too_far(c, o, d, age):
    return d > c.travel_limit_km


RULES: tuple[Rule, ...] = (
    *(_age_rule(k) for k in KINDS if k.age_rule is not None),
    Rule("labour_code_hazardous", "Dưới 18 tuổi: không được làm nghề nặng nhọc, độc hại",
         "Under 18: heavy or hazardous work is not allowed", _minor_hazardous),
    Rule("below_min_age", "Chưa đủ tuổi tối thiểu của khóa học / công việc",
         "Below the option's minimum age", _below_min_age),
    Rule("above_max_age", "Quá tuổi tối đa của khóa học / công việc",
         "Above the option's maximum age", _above_max_age),
    Rule("no_capacity", "Đã hết chỗ", "No seat or opening left", _no_capacity),
    Rule("women_only", "Chỉ nhận nữ", "Women only", _women_only_option),
    Rule("needs_women_only", "Người này cần môi trường chỉ có nữ (an toàn cho người bị bạo lực)",
         "The client needs a women-only, survivor-safe place", _needs_women_only),
    Rule("sign_language", "Không có ngôn ngữ ký hiệu cho người khiếm thính",
         "No sign language for a deaf client", _sign_language),
    Rule("records", "Không nhận người có tiền án, tiền sự / sau cai nghiện",
         "Does not accept people with a record", _record),
    Rule("too_far", "Xa hơn khoảng cách người này có thể đi",
         "Farther than the client can travel", _too_far),
)
RULES_BY_CODE = {r.code: r for r in RULES}


@dataclass(frozen=True)
class Eligibility:
    """For one client over n options: who is eligible, and which rules exclude the rest."""

    eligible: np.ndarray  # bool, shape (n,)
    failed: dict[str, np.ndarray]  # rule code -> bool array of the options it excludes

    def reasons(self, i: int) -> list[Rule]:
        return [RULES_BY_CODE[code] for code, mask in self.failed.items() if mask[i]]


def check(client: ClientProfile, options: Options, distance_km: np.ndarray,
          on: date | None = None) -> Eligibility:
    """Apply every rule to every option; ``distance_km[i]`` is the trip to option i."""
    if len(distance_km) != len(_col(options, "kind")):
        raise ValueError("distance_km must have one entry per option")
    age = client.age(on)
    failed = {r.code: np.asarray(r.excludes(client, options, np.asarray(distance_km), age),
                                 dtype=bool) for r in RULES}
    eligible = np.ones(len(distance_km), dtype=bool)
    for mask in failed.values():
        eligible &= ~mask
    return Eligibility(eligible, failed)


@dataclass(frozen=True)
class PairClients:
    """The client attributes the rules read, one value per (client, option) pair."""

    gender: np.ndarray
    group: np.ndarray
    disability: np.ndarray
    needs_women_only: np.ndarray
    travel_limit_km: np.ndarray

    @classmethod
    def of(cls, clients: list[ClientProfile]) -> PairClients:
        """One entry per client; :meth:`take` repeats them per pair."""
        return cls(
            gender=np.array([c.gender for c in clients], dtype=object),
            group=np.array([str(c.group) for c in clients], dtype=object),
            disability=np.array([c.disability or "none" for c in clients], dtype=object),
            needs_women_only=np.array([bool(c.needs_women_only) for c in clients], dtype=bool),
            travel_limit_km=np.array([c.travel_limit_km for c in clients], dtype=float),
        )

    def take(self, rows: np.ndarray) -> PairClients:
        return PairClients(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})


def eligible_pairs(clients: PairClients, options: Options, distance_km: np.ndarray,
                   age: np.ndarray) -> np.ndarray:
    """Every rule on aligned pairs: pair i is ``clients`` entry i with ``options`` row i.

    ``age`` is each pair's client's age in whole years (:meth:`ClientProfile.age`). The same
    rules as :func:`check`, so a pair is eligible here exactly when :func:`check` finds the
    option eligible for that client.
    """
    distance_km = np.asarray(distance_km, dtype=float)
    eligible = np.ones(len(distance_km), dtype=bool)
    for rule in RULES:
        eligible &= ~np.asarray(rule.excludes(clients, options, distance_km, age), dtype=bool)
    return eligible
