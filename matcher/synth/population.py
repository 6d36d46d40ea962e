"""The clients: who they are, where they live, what they wish for (docs/design.md, "Who it is for").

Generated as numeric arrays first (:class:`People`), turned into contract text at the end, so
that the history and the truth work on numbers and the frames only carry what a social worker
would write.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.vocab.text import fold

from .catalogue import Places, Trades
from .names import full_names
from .truth import GROUPS

# Share of each group in the caseload. Youths are the largest surveyed group (~1,200 in 9
# localities); people after rehab are many (2,603 reached) but few are referred; the deaf
# club has 43 members. See data/sources/SYNTH.md.
GROUP_SHARE = {
    "youth_at_risk": 0.22, "trafficking_returnee": 0.09, "after_rehab": 0.15,
    "after_prison": 0.12, "after_reform_school": 0.05, "sex_worker_exiting": 0.06,
    "gbv_survivor": 0.12, "disabled": 0.11, "other": 0.08,
}
# (share female, share "other" gender, age low, mode, high at registration)
GROUP_PROFILE = {
    "youth_at_risk": (0.45, 0.00, 13.0, 14.5, 16.0),
    "trafficking_returnee": (0.88, 0.01, 16.0, 22.0, 40.0),
    "after_rehab": (0.10, 0.01, 19.0, 30.0, 50.0),
    "after_prison": (0.12, 0.01, 19.0, 29.0, 55.0),
    "after_reform_school": (0.15, 0.00, 15.0, 17.0, 21.0),
    "sex_worker_exiting": (0.92, 0.05, 18.0, 25.0, 40.0),
    "gbv_survivor": (0.97, 0.01, 16.0, 29.0, 50.0),
    "disabled": (0.50, 0.01, 16.0, 26.0, 45.0),
    "other": (0.50, 0.01, 16.0, 30.0, 55.0),
}
EDUCATION = ("none", "primary", "lower_secondary", "upper_secondary", "vocational", "college")
EDUCATION_P = {
    "youth_at_risk": (0.08, 0.35, 0.57, 0.00, 0.00, 0.00),
    "trafficking_returnee": (0.10, 0.30, 0.40, 0.17, 0.03, 0.00),
    "after_rehab": (0.05, 0.20, 0.45, 0.22, 0.06, 0.02),
    "after_prison": (0.06, 0.24, 0.44, 0.20, 0.05, 0.01),
    "after_reform_school": (0.05, 0.30, 0.55, 0.10, 0.00, 0.00),
    "sex_worker_exiting": (0.06, 0.25, 0.45, 0.20, 0.03, 0.01),
    "gbv_survivor": (0.06, 0.22, 0.40, 0.24, 0.05, 0.03),
    "disabled": (0.20, 0.30, 0.32, 0.13, 0.04, 0.01),
    "other": (0.04, 0.16, 0.40, 0.28, 0.08, 0.04),
}
DISABILITY = ("none", "deaf", "blind", "physical", "intellectual", "psychosocial")
# Within the disabled group, the deaf are the largest part (the deaf club's 43 members).
DISABILITY_IN_GROUP = (0.0, 0.45, 0.10, 0.25, 0.12, 0.08)
DISABILITY_OTHERS = (0.965, 0.005, 0.0, 0.01, 0.005, 0.015)
POOR = {
    "youth_at_risk": 0.55, "trafficking_returnee": 0.50, "after_rehab": 0.35,
    "after_prison": 0.35, "after_reform_school": 0.45, "sex_worker_exiting": 0.40,
    "gbv_survivor": 0.35, "disabled": 0.45, "other": 0.25,
}
NEEDS_WOMEN_ONLY = {"gbv_survivor": 0.70, "trafficking_returnee": 0.60, "sex_worker_exiting": 0.40}
# Median travel limit (km); youths are kept close to home, married women with children too.
TRAVEL_MEDIAN = {"youth_at_risk": 8.0, "after_reform_school": 10.0}
TRAVEL_MEDIAN_ADULT = 20.0
CONSENT = 0.93
SECTOR_AFFINITY = {  # how often a woman / a man names a trade of this sector
    "beauty": (3.0, 0.4), "garment": (2.0, 0.3), "crafts": (1.5, 0.4), "hospitality": (1.5, 1.0),
    "food": (1.8, 0.5), "trade_services": (1.8, 0.8), "domestic_care": (1.5, 0.1),
    "agriculture": (1.0, 0.9), "fisheries": (0.7, 1.0), "tourism": (1.0, 0.8),
    "it_media": (0.8, 1.0), "electronics": (0.8, 1.2), "repair": (0.2, 3.0),
    "construction": (0.1, 1.5), "metalwork": (0.05, 1.2), "transport": (0.1, 2.0),
    "mining": (0.05, 0.8),
}
TRADE_POPULARITY = {
    "hairdressing": 2.0, "sewing": 1.6, "motorbike_repair": 1.8, "cooking": 1.5,
    "nail_care": 1.3, "beauty_care": 1.3, "driving": 1.3, "votive_paper": 0.3,
    "stone_engraving": 0.3, "advertising": 0.5, "flower_arranging": 0.6, "coal_mining": 0.6,
}
GROUP_TRADE_BONUS = {
    # Livelihood models the trafficking-returnee reports name, and the other survivors' choices.
    "trafficking_returnee": {"drinks_stall": 3, "food_business": 3, "poultry": 3,
                             "seafood_processing": 3, "retail_sales": 1.5, "online_selling": 1.5},
    "gbv_survivor": {"drinks_stall": 2, "food_business": 2, "sewing": 1.5, "tailoring": 1.5},
    "sex_worker_exiting": {"drinks_stall": 2, "food_business": 2, "nail_care": 1.5},
    # The deaf club learns hairdressing, massage and beauty.
    "disabled": {"hairdressing": 3, "massage": 3, "beauty_care": 3, "nail_care": 2,
                 "sewing": 2, "handicraft": 2},
    "youth_at_risk": {"hairdressing": 2, "sewing": 2, "cooking": 1.5, "bakery": 1.5,
                      "motorbike_repair": 2, "nail_care": 1.5},
    "after_reform_school": {"motorbike_repair": 2, "welding": 1.5, "cooking": 1.5},
    "after_rehab": {"driving": 1.5, "construction": 1.5, "motorbike_repair": 1.5,
                    "poultry": 1.5, "vegetables": 1.5},
    "after_prison": {"driving": 1.5, "construction": 1.5, "welding": 1.5, "poultry": 1.3},
}
FOLDED_TEXT_SHARE = 0.25  # interests typed without diacritics
LOCAL_FLOOR = 0.15  # a trade with no option nearby is still wished for, less often
ABILITY_SD = 0.8


def numbered(prefix: str, n: int, digits: int) -> list[str]:
    """Readable stable ids: KH00001…; one more digit only when n needs it."""
    width = max(digits, len(str(n)))
    return [f"{prefix}{k + 1:0{width}d}" for k in range(n)]


@dataclass
class People:
    """Clients as arrays; ``wish`` and ``skill`` are trade indices (-1 for none)."""

    ids: list[str]
    group: np.ndarray  # index into GROUPS
    female: np.ndarray
    other_gender: np.ndarray
    birth: np.ndarray  # datetime64[D]
    registered: np.ndarray  # datetime64[D]
    recent: np.ndarray  # the current caseload: registered lately, never placed
    place: np.ndarray  # index into Places
    education: np.ndarray  # index into EDUCATION, -1 unknown
    disability: np.ndarray  # index into DISABILITY
    travel_km: np.ndarray
    needs_women_only: np.ndarray
    poor: np.ndarray
    minority: np.ndarray
    married: np.ndarray
    prior_income: np.ndarray  # VND a month, -1 unknown
    consent: np.ndarray
    ability: np.ndarray
    wish: np.ndarray  # (n, 2)
    skill: np.ndarray  # (n,)
    names: list[str]
    interests: list[str]
    skills_text: list[str]

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def deaf(self) -> np.ndarray:
        return self.disability == DISABILITY.index("deaf")


def _triangular(rng: np.random.Generator, spec: np.ndarray) -> np.ndarray:
    low, mode, high = spec[:, 0], spec[:, 1], spec[:, 2]
    return rng.triangular(low, mode, high) if len(spec) else np.zeros(0)


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of a (n, k) probability matrix, vectorised."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cum[:, -1:]
    return (cum < u).sum(axis=1)


def trade_weights(trades: Trades) -> np.ndarray:
    """Wish weights, groups × (female, male) × trades."""
    w = np.zeros((len(GROUPS), 2, len(trades)))
    for t, trade_id in enumerate(trades.ids):
        female, male = SECTOR_AFFINITY.get(str(trades.sector[t]), (0.5, 0.5))
        base = TRADE_POPULARITY.get(trade_id, 1.0)
        for g, group in enumerate(GROUPS):
            bonus = GROUP_TRADE_BONUS.get(group, {}).get(trade_id, 1.0)
            w[g, 0, t] = base * female * bonus
            w[g, 1, t] = base * male * bonus
    return w


def _wishes(rng: np.random.Generator, trades: Trades, group: np.ndarray,
            female: np.ndarray, local: np.ndarray) -> np.ndarray:
    # Gumbel top-2: two distinct trades drawn with probability ∝ weight, vectorised. People
    # wish for what they see around them: ``local`` (clients × trades, mean 1) is how common
    # the trade is among the options near home.
    w = trade_weights(trades)[group, np.where(female, 0, 1)] * (LOCAL_FLOOR + local) ** 1.5
    keys = np.log(w) + rng.gumbel(size=w.shape)
    top = np.argsort(-keys, axis=1)[:, :2]
    one = rng.random(len(group)) < 0.62
    top[one, 1] = -1
    return top


def _interest_text(rng: np.random.Generator, trades: Trades, wish: np.ndarray,
                   folded: np.ndarray) -> list[str]:
    n = len(wish)
    one, two = trades.templates["interest_one"], trades.templates["interest_two"]
    t1 = rng.integers(0, len(one), size=n)
    t2 = rng.integers(0, len(two), size=n)
    a1 = rng.random(n)
    a2 = rng.random(n)
    out = []
    for k in range(n):
        first = _alias(trades, wish[k, 0], a1[k])
        if wish[k, 1] < 0:
            text = one[t1[k]].format(t=first)
        else:
            text = two[t2[k]].format(t=first, u=_alias(trades, wish[k, 1], a2[k]))
        out.append(fold(text) if folded[k] else text)
    return out


def _alias(trades: Trades, trade: int, u: float) -> str:
    names = trades.text_aliases[trade]
    alias = names[int(u * len(names))]
    # Free text is lower case but for the first letter of a catalogue name.
    return alias[0].lower() + alias[1:]


def _skills(rng: np.random.Generator, trades: Trades, wish: np.ndarray, group: np.ndarray,
            female: np.ndarray, local: np.ndarray, folded: np.ndarray
            ) -> tuple[np.ndarray, list[str]]:
    """About 40% name a trade they can already do (mostly one they wish for)."""
    n = len(wish)
    kind = rng.choice(3, size=n, p=(0.38, 0.22, 0.40))  # none, generic, a trade
    youth = group == GROUPS.index("youth_at_risk")
    kind = np.where(youth & (kind == 2) & (rng.random(n) < 0.6), 1, kind)
    other = _wishes(rng, trades, group, female, local)[:, 0]
    skill = np.where(rng.random(n) < 0.7, wish[:, 0], other)
    skill = np.where(kind == 2, skill, -1)
    one, generic = trades.templates["skill_one"], trades.templates["skill_generic"]
    tmpl = rng.integers(0, len(one), size=n)
    gen = rng.integers(0, len(generic), size=n)
    u = rng.random(n)
    texts = []
    for k in range(n):
        if kind[k] == 0:
            texts.append("")
            continue
        text = (generic[gen[k]] if kind[k] == 1
                else one[tmpl[k]].format(t=_alias(trades, skill[k], u[k])))
        texts.append(fold(text) if folded[k] else text)
    return skill, texts


def _ages_and_dates(rng: np.random.Generator, group: np.ndarray, recent: np.ndarray,
                    as_of: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    n = len(group)
    # Historic clients registered from late 2020 to six months before as_of (so that a
    # follow-up at six months has happened); the current caseload in the last 3.5 months.
    first = np.datetime64("2020-09-01")
    last_historic = as_of - np.timedelta64(183, "D")
    span_hist = int((last_historic - first).astype(int))
    reg = np.where(
        recent,
        as_of - rng.integers(1, 105, size=n).astype("timedelta64[D]"),
        first + rng.integers(0, span_hist, size=n).astype("timedelta64[D]"),
    )
    spec = np.array([GROUP_PROFILE[GROUPS[g]][2:] for g in group])
    age = _triangular(rng, spec)
    birth = reg - np.round(age * 365.25).astype("timedelta64[D]")
    return birth.astype("datetime64[D]"), reg.astype("datetime64[D]")


def make_people(rng: np.random.Generator, n: int, places: Places, trades: Trades,
                local_supply: np.ndarray, *, caseload_share: float, as_of: np.datetime64
                ) -> People:
    """``n`` clients; ``local_supply`` (places × trades, row mean 1) steers their wishes."""
    group_p = np.array([GROUP_SHARE[g] for g in GROUPS])
    group = rng.choice(len(GROUPS), size=n, p=group_p / group_p.sum())
    prof = np.array([GROUP_PROFILE[GROUPS[g]][:2] for g in group])
    u = rng.random(n)
    female = u < prof[:, 0]
    other_gender = (u >= prof[:, 0]) & (u < prof[:, 0] + prof[:, 1])
    recent = rng.random(n) < caseload_share
    birth, registered = _ages_and_dates(rng, group, recent, as_of)
    age = (registered - birth).astype(float) / 365.25
    place = rng.choice(len(places), size=n, p=places.weight)
    minority = rng.random(n) < places.minority_share[place]
    edu_p = np.array([EDUCATION_P[GROUPS[g]] for g in group])
    education = _categorical(rng, edu_p)
    education = np.where(rng.random(n) < 0.03, -1, education)  # not recorded
    disabled = group == GROUPS.index("disabled")
    dis_p = np.where(disabled[:, None], DISABILITY_IN_GROUP, DISABILITY_OTHERS)
    disability = _categorical(rng, dis_p)
    married = (age >= 18) & (rng.random(n) < np.clip((age - 18) / 12, 0, 0.75))
    median = np.array([TRAVEL_MEDIAN.get(GROUPS[g], TRAVEL_MEDIAN_ADULT) for g in group])
    median = median * np.where(married & female, 0.6, 1.0)  # women with children stay closer
    median = median * np.where((disability > 0) & (disability != 1), 0.7, 1.0)
    travel = np.clip(np.round(median * rng.lognormal(0.0, 0.45, size=n)), 2, 60)
    needs = np.array([NEEDS_WOMEN_ONLY.get(GROUPS[g], 0.03) for g in group])
    needs_women_only = (female | other_gender) & (rng.random(n) < needs)
    poor_p = np.array([POOR[GROUPS[g]] for g in group]) + 0.2 * minority
    poor = rng.random(n) < poor_p
    youth = group == GROUPS.index("youth_at_risk")
    earns = rng.random(n) < np.where(youth, 0.1, 0.6)
    income = np.where(youth, rng.uniform(3, 15, size=n), 35 * rng.lognormal(0, 0.45, size=n))
    prior = np.where(earns, np.round(income) * 100_000, 0)
    prior = np.where(rng.random(n) < 0.08, -1, prior).astype(np.int64)
    local = local_supply[place]
    wish = _wishes(rng, trades, group, female, local)
    folded = rng.random(n) < FOLDED_TEXT_SHARE
    skill, skills_text = _skills(rng, trades, wish, group, female, local, folded)
    return People(
        ids=numbered("KH", n, 5),
        group=group, female=female, other_gender=other_gender, birth=birth,
        registered=registered, recent=recent, place=place, education=education,
        disability=disability, travel_km=travel, needs_women_only=needs_women_only,
        poor=poor, minority=minority, married=married, prior_income=prior,
        consent=rng.random(n) < CONSENT,
        ability=np.round(rng.normal(0.0, ABILITY_SD, size=n), 4),
        wish=wish, skill=skill,
        names=full_names(rng, female | other_gender, minority),
        interests=_interest_text(rng, trades, wish, folded),
        skills_text=skills_text,
    )
