"""Hard eligibility: each rule on hand-made cases, and properties over random clients/options."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.matching.rules import RULES, check
from matcher.store.profiles import ClientProfile
from matcher.vocab.domain import GROUPS_WITH_RECORD, Disability, Gender, Group

ON = date(2026, 11, 23)


def born(age: int, days_before_birthday: int = 10) -> date:
    """A birth date that makes the client ``age`` on ON, ``days_before_birthday`` short of +1."""
    return date(ON.year - age - 1, ON.month, ON.day) + timedelta(days=days_before_birthday)


def client(**kw) -> ClientProfile:
    base = {"birth_date": born(25), "gender": "female", "group": "other", "place_id": "cur-1",
                "max_travel_km": 20.0}
    base.update(kw)
    return ClientProfile(**base)


def option(**kw) -> dict:
    base = {"option_id": "OP", "kind": "training", "min_age": None, "max_age": None,
            "capacity": 3, "women_only": False, "sign_language": False,
            "accepts_records": True, "hazardous": False}
    base.update(kw)
    return base


def failed(c: ClientProfile, o: dict, distance: float = 5.0) -> set[str]:
    frame = pd.DataFrame([o])
    return {r.code for r in check(c, frame, np.array([distance]), ON).reasons(0)}


def test_age_is_counted_in_whole_years():
    assert client(birth_date=born(14)).age(ON) == 14
    assert client(birth_date=date(2011, 11, 23)).age(ON) == 15  # birthday today
    assert client(birth_date=date(2011, 11, 24)).age(ON) == 14  # birthday tomorrow


def test_labour_code():
    fourteen, sixteen = client(birth_date=born(14)), client(birth_date=born(16))
    assert "labour_code_under_15" in failed(fourteen, option(kind="job", min_age=13))
    assert failed(sixteen, option(kind="job", min_age=15)) == set()
    assert "labour_code_hazardous" in failed(sixteen, option(kind="job", hazardous=True,
                                                             min_age=15))
    assert "labour_code_hazardous" in failed(sixteen, option(kind="training", hazardous=True,
                                                             min_age=13))
    # Training is open from 13 where the trainer accepts minors, and not below.
    assert failed(fourteen, option(kind="training", min_age=13)) == set()
    assert "training_under_13" in failed(client(birth_date=born(12)),
                                         option(kind="training", min_age=10))
    # An option that states no minimum follows the Labour Code.
    assert "below_min_age" in failed(fourteen, option(kind="training"))
    assert "livelihood_minor" in failed(sixteen, option(kind="livelihood", min_age=15))


def test_each_other_rule():
    man = client(gender="male")
    assert "women_only" in failed(man, option(women_only=True))
    assert "needs_women_only" in failed(client(needs_women_only=True), option())
    assert failed(client(needs_women_only=True), option(women_only=True)) == set()
    assert "sign_language" in failed(client(disability="deaf"), option())
    assert failed(client(disability="deaf"), option(sign_language=True)) == set()
    assert "records" in failed(client(group="after_prison"), option(accepts_records=False))
    assert failed(client(group="trafficking_returnee"), option(accepts_records=False)) == set()
    assert "no_capacity" in failed(client(), option(capacity=0))
    assert "too_far" in failed(client(max_travel_km=10), option(), distance=10.5)
    assert "too_far" not in failed(client(max_travel_km=10), option(), distance=10.0)
    assert "above_max_age" in failed(client(birth_date=born(31)), option(max_age=30))


def test_every_rule_has_both_languages():
    for rule in RULES:
        assert rule.vi and rule.en and rule.vi != rule.en


clients = st.builds(
    ClientProfile,
    birth_date=st.integers(8, 70).map(born),
    gender=st.sampled_from(list(Gender)).map(str),
    group=st.sampled_from(list(Group)).map(str),
    place_id=st.just("cur-1"),
    disability=st.sampled_from(list(Disability)).map(str),
    max_travel_km=st.one_of(st.none(), st.floats(0, 100)),
    needs_women_only=st.booleans(),
)
options_st = st.fixed_dictionaries({
    "option_id": st.just("OP"),
    "kind": st.sampled_from(["training", "job", "livelihood"]),
    "min_age": st.one_of(st.none(), st.integers(10, 25)),
    "max_age": st.one_of(st.none(), st.integers(15, 65)),
    "capacity": st.integers(0, 3),
    "women_only": st.booleans(),
    "sign_language": st.booleans(),
    "accepts_records": st.booleans(),
    "hazardous": st.booleans(),
})


@settings(max_examples=300, deadline=None)
@given(c=clients, opts=st.lists(options_st, min_size=1, max_size=8),
       distances=st.lists(st.floats(0, 150), min_size=8, max_size=8))
def test_eligible_options_break_no_rule(c, opts, distances):
    frame = pd.DataFrame(opts)
    d = np.array(distances[: len(opts)])
    result = check(c, frame, d, ON)
    age = c.age(ON)
    for i, o in enumerate(opts):
        if not result.eligible[i]:
            assert result.reasons(i), "an excluded option must say why"
            continue
        assert o["capacity"] > 0
        assert d[i] <= c.travel_limit_km
        assert not (o["kind"] == "job" and age < 15)
        assert not (o["hazardous"] and age < 18)
        assert not (o["kind"] == "livelihood" and age < 18)
        assert not (o["women_only"] and c.gender != "female")
        assert not (c.needs_women_only and not o["women_only"])
        assert not (c.disability == "deaf" and not o["sign_language"])
        assert not (c.group in GROUPS_WITH_RECORD and not o["accepts_records"])
        assert o["min_age"] is None or age >= o["min_age"]
        assert o["max_age"] is None or age <= o["max_age"]
