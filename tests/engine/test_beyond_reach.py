"""When nothing is within reach (issue 13): the nearest options beyond the travel limit that
every other rule allows, nearest first."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from matcher.matching.rules import check
from tests.engine.conftest import ON

COTO = "cur-7192"  # Đặc khu Cô Tô, an island: the small world has no option there
KEYS = {"option_id", "title", "provider_name", "kind", "place", "distance_km", "seats_left"}


def _adult_woman(profiles):
    return next(p for p in profiles if p.age(ON) >= 18 and p.gender == "female"
                and p.disability == "none" and not p.needs_women_only)


def _all_beyond(matcher, client, **kw) -> list[dict]:
    return matcher.beyond_reach(client, on=ON, n=len(matcher.catalog), **kw)


def test_an_islander_is_told_the_nearest_options_beyond_reach(matcher, profiles):
    islander = replace(_adult_woman(profiles), place_id=COTO, max_travel_km=5.0)
    result = matcher.suggest(islander, on=ON)
    assert result["n_eligible"] == 0 and result["suggestions"] == []
    assert result["travel_limit_km"] == 5.0
    far = result["beyond_reach"]
    assert len(far) == 5 and all(set(f) == KEYS for f in far)
    distances = [f["distance_km"] for f in far]
    assert distances == sorted(distances) and distances[0] > 5.0
    assert all(f["seats_left"] > 0 and f["place"] for f in far)
    # The same as each option checked by every rule: failing the travel limit alone.
    options = matcher.catalog.options
    distance = matcher.distances_from(COTO)
    eligibility = check(islander, options, distance, ON)
    only_far = [i for i in range(len(options))
                if [r.code for r in eligibility.reasons(i)] == ["too_far"]]
    expected_rows = sorted(only_far, key=lambda i: distance[i])  # ties: catalogue order
    expected = [options["option_id"].iloc[i] for i in expected_rows]
    assert [f["option_id"] for f in _all_beyond(matcher, islander)] == expected
    assert [f["option_id"] for f in far] == expected[:5]
    assert far[0]["distance_km"] == round(float(distance[expected_rows[0]]), 1)


def test_the_other_rules_still_apply(matcher, profiles):
    woman = replace(_adult_woman(profiles), place_id=COTO, max_travel_km=0.0)
    man = replace(woman, gender="male")
    options = matcher.catalog.options
    women_only = set(options["option_id"][options["women_only"].astype(bool)])
    assert {f["option_id"] for f in _all_beyond(matcher, woman)} & women_only  # the rule bites
    assert not {f["option_id"] for f in _all_beyond(matcher, man)} & women_only
    young = replace(woman, birth_date=date(ON.year - 14, 1, 1))
    by_id = options.set_index("option_id")
    for f in _all_beyond(matcher, young):
        assert f["kind"] != "job"  # under 15: no employment (Labour Code)
        stated = by_id.loc[f["option_id"], "min_age"]
        assert stated != stated or float(stated) <= 14  # NaN: none stated
    jobs = _all_beyond(matcher, woman, kind="job")
    assert jobs and {f["kind"] for f in jobs} == {"job"}


def test_an_option_with_no_seat_left_is_not_named(matcher, profiles):
    islander = replace(_adult_woman(profiles), place_id=COTO, max_travel_km=0.0)
    nearest = matcher.beyond_reach(islander, on=ON)[0]["option_id"]
    full = replace(matcher)  # its own rule arrays: the shared matcher is left as it is
    row = int(full.catalog.rows([nearest])[0])
    full._arrays["capacity"] = full._arrays["capacity"].copy()
    full._arrays["capacity"][row] = 0
    assert nearest not in {f["option_id"] for f in full.beyond_reach(islander, on=ON)}


def test_nothing_beyond_reach_when_something_is_within_it(matcher, profiles):
    client = _adult_woman(profiles)
    result = matcher.suggest(client, on=ON)
    assert result["n_eligible"] > 0 and result["beyond_reach"] == []
    assert result["travel_limit_km"] == client.travel_limit_km
    # Asked directly, it names options beyond the limit only.
    assert all(f["distance_km"] > client.travel_limit_km
               for f in matcher.beyond_reach(client, on=ON))


def test_bad_questions_are_refused(matcher, profiles):
    client = profiles[0]
    with pytest.raises(ValueError, match="unknown kind"):
        matcher.beyond_reach(client, kind="holiday", on=ON)
    with pytest.raises(ValueError, match="n must"):
        matcher.beyond_reach(client, n=0, on=ON)
