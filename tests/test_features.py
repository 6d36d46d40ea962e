"""Pair features: wish match, provider rates (shrunk, out of fold), the one-client fast path."""

from __future__ import annotations

import time
from datetime import date

import numpy as np
import pandas as pd
import pytest

from matcher.outcomes.features import (
    CATEGORICAL,
    FEATURES,
    MONOTONIC,
    NUMERIC,
    FeatureContext,
    WishIndex,
    area_keys,
    client_features,
    pair_features,
    prepare_options,
)
from matcher.outcomes.provider_stats import SHRINK_M, shrink
from matcher.store.profiles import ClientProfile


@pytest.fixture(scope="module")
def wish() -> WishIndex:
    return WishIndex()


def _options() -> pd.DataFrame:
    """Three options as the catalogue frames them: hairdressing, hair washing, welding."""
    return pd.DataFrame({
        "option_id": ["O1", "O2", "O3"],
        "provider_id": ["P1", "P2", "P3"],
        "kind": ["training", "job", "job"],
        "place_id": ["cur-a", "cur-a", "cur-b"],
        "trade_ids": [("hairdressing",), ("hair_washing", "massage"), ("welding",)],
        "primary_trade": ["hairdressing", "hair_washing", "welding"],
        "sector": ["beauty", "beauty", "metalwork"],
        "hazardous": [False, False, True],
        "cost_vnd": [3_000_000, 0, 0],
        "wage_vnd_day": [200_000, 150_000, 350_000],
        "duration_weeks": [12.0, np.nan, np.nan],
        "women_only": [True, False, False],
        "sign_language": [True, False, False],
        "accepts_records": [False, True, True],
    })


def _profile(**changes) -> ClientProfile:
    values = {"client_id": "KH1", "birth_date": date(2000, 1, 1), "gender": "female",
              "group": "gbv_survivor", "place_id": "cur-a", "education": "lower_secondary",
              "interests": "em muốn học cắt tóc", "skills": "", "max_travel_km": 20.0,
              "needs_women_only": True, "household_poor": True}
    values.update(changes)
    return ClientProfile(**values)


def _client_row(profile: ClientProfile) -> dict:
    row = {k: getattr(profile, k) for k in (
        "client_id", "birth_date", "gender", "place_id", "education", "disability",
        "interests", "skills", "max_travel_km", "needs_women_only", "household_poor",
        "ethnic_minority", "married", "prior_income_vnd_month")}
    row["group_code"] = profile.group
    return row


# --- the feature list ------------------------------------------------------------------------


def test_feature_lists_are_consistent():
    assert FEATURES == CATEGORICAL + NUMERIC
    assert len(set(FEATURES)) == len(FEATURES)
    assert set(MONOTONIC) <= set(NUMERIC)
    assert MONOTONIC["distance_km"] == -1 and MONOTONIC["wish_match"] == 1


# --- wishes ------------------------------------------------------------------------------------


def test_wish_match_exact_sector_and_none(wish):
    prepared = prepare_options(_options(), wish=wish, context=FeatureContext.empty())
    x = client_features(_profile(), prepared, distance_km=np.zeros(3), wish=wish,
                        on=date(2026, 1, 1))
    # hairdressing named; hair washing is the same sector (beauty); welding is not
    assert x["wish_match"].tolist() == pytest.approx([1.0, 0.4, 0.0])
    assert x["wish_stated"].tolist() == [1.0, 1.0, 1.0]
    none = client_features(_profile(interests="", skills="sức khỏe tốt"), prepared,
                           distance_km=np.zeros(3), wish=wish)
    assert none["wish_match"].tolist() == [0.0, 0.0, 0.0]
    assert none["wish_stated"].tolist() == [0.0, 0.0, 0.0]


def test_skills_count_as_wishes_and_as_skills(wish):
    prepared = prepare_options(_options(), wish=wish, context=FeatureContext.empty())
    x = client_features(_profile(interests="", skills="đã làm thợ hàn 2 năm"), prepared,
                        distance_km=np.zeros(3), wish=wish)
    assert x["wish_match"].iloc[2] == 1.0 and x["skill_match"].iloc[2] == 1.0
    assert x["skill_match"].iloc[0] == 0.0


def test_wish_vectors_are_cached_per_text(wish):
    text = "quan tâm pha chế đồ uống và hàn inox"
    first = wish.vector(text)
    size = len(wish._cache)
    again = wish.vectors([text, text, None, ""])
    assert len(wish._cache) <= size + 1  # "" may be new; the phrase is not read again
    np.testing.assert_array_equal(again[0], first)
    assert again[2].sum() == 0 and again[3].sum() == 0


def test_unknown_trade_of_an_option_matches_nothing(wish):
    rows = wish.trade_rows([("no_such_trade",), ()])
    credited = wish.credited(wish.vectors(["học cắt tóc"]))
    assert wish.match(credited[0], rows).tolist() == [0.0, 0.0]


# --- provider rates ----------------------------------------------------------------------------


def test_shrinkage_pulls_a_small_provider_toward_the_mean():
    providers = ["small"] * 2 + ["big"] * 200
    success = [1, 1] + [1] * 80 + [0] * 120
    ctx = FeatureContext.fit(providers, success)
    rate, n = ctx.provider_features(["small", "big", "new"])
    prior = np.mean(success)
    assert n.tolist() == [2, 200, 0]
    # two successes out of two is not 100%: (2 + m·prior) / (2 + m), much nearer the mean
    assert rate[0] == pytest.approx((2 + SHRINK_M * prior) / (2 + SHRINK_M))
    assert prior < rate[0] < 1.0 and rate[0] - prior < 1.0 - rate[0]
    assert rate[1] == pytest.approx((80 + SHRINK_M * prior) / 210)
    assert rate[2] == pytest.approx(prior)  # a new provider is judged on nothing


def test_out_of_fold_rates_do_not_use_the_rows_own_label():
    rng = np.random.default_rng(0)
    providers = rng.choice(["A", "B", "C"], size=60)
    success = rng.integers(0, 2, size=60)
    folds = np.arange(60) % 5
    rate, n = FeatureContext.out_of_fold(providers, success, folds)
    for i in range(60):
        flipped = success.copy()
        flipped[i] = 1 - flipped[i]
        rate2, _ = FeatureContext.out_of_fold(providers, flipped, folds)
        assert rate2[i] == rate[i]
        # and it is what a context fitted on the other folds says
        other = folds != folds[i]
        ctx = FeatureContext.fit(providers[other], success[other])
        expected, expected_n = ctx.provider_features([providers[i]])
        assert rate[i] == pytest.approx(expected[0]) and n[i] == expected_n[0]


def test_shrink_with_no_data_is_the_prior():
    assert shrink(np.array([0.0]), np.array([0.0]), 0.4, 0.0).tolist() == [0.4]
    assert np.isnan(FeatureContext.empty().provider_features(["P"])[0][0])


# --- pairs ---------------------------------------------------------------------------------------


def test_pair_features_match_the_one_client_path(wish):
    options = _options()
    ctx = FeatureContext.fit(["P1", "P1", "P2"], [1, 0, 1])
    profile = _profile(skills="biết gội đầu", disability="deaf", max_travel_km=None)
    distance = np.array([3.0, 12.5, 40.0])
    on = date(2026, 3, 1)
    one = client_features(profile, prepare_options(options, wish=wish, context=ctx),
                          distance_km=distance, wish=wish, on=on)
    clients = pd.DataFrame([_client_row(profile)] * 3)
    pairs = pair_features(clients, options, distance_km=distance, wish=wish, context=ctx, on=on)
    assert list(one.columns) == FEATURES == list(pairs.columns)
    pd.testing.assert_frame_equal(one, pairs)
    assert one["deaf_sign_language"].tolist() == [1.0, -1.0, -1.0]
    # no travel limit recorded: the default limit (30 km) decides what is "over"
    assert one["over_travel_km"].tolist() == [0.0, 0.0, 10.0]
    assert one["women_only_match"].tolist() == [1.0, 0.0, 0.0]
    assert one["age"].iloc[0] == pytest.approx(26.16, abs=0.01)


def test_pair_features_take_one_date_per_pair(wish):
    profile = _profile()
    clients = pd.DataFrame([_client_row(profile)] * 3)
    on = np.array(["2010-01-01", "2020-01-01", "2030-01-01"], dtype="datetime64[D]")
    x = pair_features(clients, _options(), distance_km=np.zeros(3), wish=wish,
                      context=FeatureContext.empty(), on=on)
    assert x["age"].round(1).tolist() == [10.0, 20.0, 30.0]


def test_pairs_must_be_aligned(wish):
    clients = pd.DataFrame([_client_row(_profile())] * 2)
    with pytest.raises(ValueError, match="aligned"):
        pair_features(clients, _options(), distance_km=np.zeros(2), wish=wish,
                      context=FeatureContext.empty(), on=date(2026, 1, 1))


def test_one_client_against_20000_options_takes_a_few_ms(wish):
    options = _options()
    rows = np.arange(20_000) % len(options)
    prepared = prepare_options(options, wish=wish, context=FeatureContext.empty()).take(rows)
    distance = np.linspace(0, 80, 20_000)
    profile = _profile()
    client_features(profile, prepared, distance_km=distance, wish=wish)  # warm the cache
    times = []
    for _ in range(15):
        start = time.perf_counter()
        x = client_features(profile, prepared, distance_km=distance, wish=wish)
        times.append(time.perf_counter() - start)
    assert x.shape == (20_000, len(FEATURES))
    # about 2 ms on the 2-core CI machine; generous, as other jobs share it
    assert np.median(times) < 0.025


# --- the area: where the client will work ------------------------------------------------------

HA_LONG_WARD, MONG_CAI_COMMUNE = "cur-6652", "cur-6724"  # Phường Hà Tu; Xã Hải Sơn


def test_the_area_is_the_jobs_place_and_the_clients_home_otherwise(wish):
    options = _options().assign(place_id=[HA_LONG_WARD, HA_LONG_WARD, HA_LONG_WARD])
    placements = ["Thành phố Móng Cái|beauty"] * 4 + ["Thành phố Hạ Long|beauty"] * 4
    success = [1, 1, 1, 1, 0, 0, 0, 0]
    ctx = FeatureContext.fit(["P9"] * 8, success, area_keys=placements, area_m=4.0)
    prepared = prepare_options(options, wish=wish, context=ctx)
    client = _profile(place_id=MONG_CAI_COMMUNE)
    x = client_features(client, prepared, distance_km=np.full(3, 50.0), wish=wish)
    # the course (row 0) is judged where the client lives, the jobs where they are
    assert x["area_rate_shrunk"].iloc[0] == pytest.approx((4 + 4 * 0.5) / (4 + 4))
    assert x["area_rate_shrunk"].iloc[1] == pytest.approx((0 + 4 * 0.5) / (4 + 4))
    assert x["area_rate_shrunk"].iloc[2] == pytest.approx(0.5)  # metalwork: no history there
    assert x["area_rural"].tolist() == [1.0, 0.0, 0.0]  # a rural commune at home
    keys = area_keys(prepared, [MONG_CAI_COMMUNE] * 3)
    assert keys.tolist() == ["Thành phố Móng Cái|beauty", "Thành phố Hạ Long|beauty",
                             "Thành phố Hạ Long|metalwork"]
    clients = pd.DataFrame([_client_row(client)] * 3)
    pairs = pair_features(clients, prepared, distance_km=np.full(3, 50.0), wish=wish,
                          on=date.today())
    pd.testing.assert_frame_equal(x, pairs)


def test_an_unknown_place_has_no_area_history(wish):
    ctx = FeatureContext.fit(["P1", "P2"], [1, 0], area_keys=["Huyện Cô Tô|beauty", "x|y"])
    prepared = prepare_options(_options(), wish=wish, context=ctx)  # places not in the index
    x = client_features(_profile(place_id="nowhere"), prepared, distance_km=np.zeros(3),
                        wish=wish)
    assert x["area_rural"].tolist() == [0.0, 0.0, 0.0]
    assert x["area_rate_shrunk"].tolist() == [0.5, 0.5, 0.5]  # the overall rate
    assert area_keys(prepared, ["nowhere"] * 3).tolist() == ["|beauty", "|beauty",
                                                             "|metalwork"]
