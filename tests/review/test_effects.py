"""The effect of placement: recovered in synthetic worlds with a known effect and confounding.

In these worlds (``matcher.synth.world_with_known_effect``) the social workers placed the
clients whose recorded profile made them earn more anyway more often (``confounding``), so
the naive difference overstates the effect; the adjusted (doubly robust) estimate must
hold the true effect within its 95% interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher.review.effects import (
    EffectsUnavailable,
    aipw_att,
    estimate_effects,
    placement_effects,
)
from matcher.store.db import make_engine, upgrade
from tests.conftest import computed_once
from tests.review.known_effect import seeded_world, store_frames

CONTRACT_KEYS = {"scope", "outcome", "naive", "adjusted", "ci_low", "ci_high", "n_placed",
                 "n_compared"}
#: Easier clients placed more often, half again as strongly as in the demo world, and 30% of
#: the historic clients never placed (the comparison group).
CONFOUNDED = {"confounding": 1.5, "unplaced_share": 0.3}
NO_PROVIDERS = 10**9  # min_placed_provider: overall and kinds only (faster)
NO_KINDS = 10**9  # min_placed_kind: the kinds say too_few without 20 model fits each


@pytest.fixture(scope="module", params=[1, 2, 3, 4])
def confounded(request, tmp_path_factory):
    """Four worlds' truths and their overall estimates; the kinds are left to ``with_kinds``
    (their six estimates took 18 of a world's 25 s, and the checks below read the overall
    ones)."""
    def make():
        world, engine = seeded_world(tmp_path_factory, f"effects-{request.param}", effect=0.25,
                                     seed=request.param, **CONFOUNDED)
        effects = placement_effects(engine, min_placed_provider=NO_PROVIDERS,
                                    min_placed_kind=NO_KINDS)
        engine.dispose()
        return world.truth, effects

    return computed_once(f"effects-{request.param}", make)


@pytest.fixture(scope="module")
def with_kinds(tmp_path_factory):
    """The first world's estimates with the kinds (as the review computes them)."""
    def make():
        _, engine = seeded_world(tmp_path_factory, "effects-kinds", effect=0.25, seed=1,
                                 **CONFOUNDED)
        effects = placement_effects(engine, min_placed_provider=NO_PROVIDERS)
        engine.dispose()
        return effects

    return computed_once("effects-kinds", make)


def _entry(effects, scope="overall", outcome="success"):
    return next(e for e in effects if e["scope"] == scope and e["outcome"] == outcome)


def test_adjusted_interval_holds_the_true_effect_where_the_naive_difference_misleads(confounded):
    world_truth, effects = confounded
    truth = world_truth["placement_effect"]
    e = _entry(effects)
    assert truth["overall"] == pytest.approx(0.25)
    # The naive difference is pushed up by who was placed: its own interval misses the truth.
    assert e["naive"] > truth["overall"] + 0.05
    assert not e["naive_ci_low"] <= truth["overall"] <= e["naive_ci_high"]
    assert e["ci_high"] - e["ci_low"] < 0.4  # an interval that says something
    assert abs(e["adjusted"] - truth["overall"]) < abs(e["naive"] - truth["overall"]) + 0.05


def test_balance_improves_after_weighting(confounded):
    _, effects = confounded
    balance = _entry(effects)["balance"]
    before = np.array([abs(b["smd_before"]) for b in balance])
    after = np.array([abs(b["smd_after"]) for b in balance])
    assert before.max() > 0.25  # the placed really differ from the others
    assert after.mean() < 0.5 * before.mean()
    assert after.max() < before.max()


def test_every_entry_has_the_contract_keys_and_kinds_are_estimated(confounded, with_kinds):
    _, effects = confounded
    scopes = {(e["scope"], e["outcome"]) for e in with_kinds}
    for kind in ("training", "job", "livelihood"):
        assert (kind, "success") in scopes and (kind, "income_vnd_day") in scopes
    assert all(e["verdict"] != "too_few" for e in with_kinds)  # every kind was estimated
    for e in effects + with_kinds:
        assert CONTRACT_KEYS <= set(e)
        if e["adjusted"] is not None:
            assert e["ci_low"] <= e["adjusted"] <= e["ci_high"]
            assert e["n_placed"] > 0 and e["n_compared"] > 0


def test_income_effect_is_estimated_in_vnd_a_day(confounded):
    world_truth, effects = confounded
    e = _entry(effects, outcome="income_vnd_day")
    truth = world_truth["placement_effect"]["income_vnd_day"]["overall"]
    assert e["naive"] > truth  # confounded upwards too
    assert 0.3 * truth < e["adjusted"] < 2.0 * truth


def test_poor_overlap_gives_a_warning(tmp_path_factory):
    world, engine = seeded_world(tmp_path_factory, "effects-overlap", effect=0.25, seed=3,
                            confounding=6.0, n_clients=600, n_placements=1500)
    frames = store_frames(engine)
    engine.dispose()
    # Only the overall success entry is checked: the kinds and the income outcome (seven more
    # estimates of 20 model fits each) are left out.
    e = _entry(estimate_effects(*frames, min_placed_provider=NO_PROVIDERS,
                                min_placed_kind=NO_KINDS, outcomes=("success",)))
    assert e["verdict"] in ("fragile", "cannot_say")
    codes = {n["code"] for n in e["notes"]}
    assert codes & {"effects.left_out_some", "effects.left_out_many", "effects.few_effective",
                    "effects.low_effective", "effects.one_weighs_much"}
    assert e["overlap"]["share_trimmed_placed"] > 0.10 or \
        e["overlap"]["effective_sample_size_compared"] < 0.10 * e["n_compared"]
    if e["verdict"] == "cannot_say":  # no number to lead with
        assert e["adjusted"] is None and e["ci_low"] is None


def test_no_warning_with_good_overlap(confounded):
    _, effects = confounded
    e = _entry(effects)
    assert e["verdict"] in ("estimate", "fragile")
    assert (e["verdict"] == "estimate") == (e["notes"] == [])
    assert e["about"]["n_placed_inside"] >= 0.9 * e["n_placed"]
    assert e["sensitivity"]["e_value"] > 1.0
    assert e["method"]["code"] == "effects.method"


MIN_PROVIDER = 13


def test_providers_with_too_few_placements_say_so(tmp_path_factory):
    # A small world (seed 5: two providers with 14 and 15 placements, the rest fewer) and no
    # kind estimates: what is checked is the provider split, and every estimate costs 20
    # model fits (a world of 500 clients with the kinds took 23 s alone, this one 5 s).
    _, engine = seeded_world(tmp_path_factory, "effects-providers", effect=0.25, seed=5,
                        n_clients=300, n_placements=700, **CONFOUNDED)
    frames = store_frames(engine)
    engine.dispose()
    limits = {"min_placed_provider": MIN_PROVIDER, "min_placed_kind": NO_KINDS,
              "outcomes": ("success",)}
    listed = estimate_effects(*frames, list_small_providers=True, **limits)
    providers = [e for e in listed if e["scope"] not in ("overall", "training", "job",
                                                          "livelihood")]
    small = [e for e in providers if e["n_placed"] < MIN_PROVIDER]
    big = [e for e in providers if e["n_placed"] >= MIN_PROVIDER]
    assert small and all(e["adjusted"] is None and e["verdict"] == "too_few"
                         and e["notes"][0]["code"] == "effects.too_few_placed" for e in small)
    assert all(e["naive"] is not None for e in small)
    assert big and all(e["verdict"] != "too_few" for e in big)
    assert all((e["adjusted"] is None) == (e["verdict"] == "cannot_say") for e in big)
    unlisted = estimate_effects(*frames, **limits)
    assert unlisted[0]["providers_too_few"]["n_providers"] == len(
        {e["scope"] for e in small})
    assert len(unlisted) == len(listed) - len(small)


def test_wrong_inputs_give_clear_errors(tmp_path_factory):
    with pytest.raises(TypeError, match="SQLAlchemy Engine or Session"):
        placement_effects("sqlite:///nowhere.db")
    _, engine = seeded_world(tmp_path_factory, "effects-errors", effect=0.25, seed=6,
                        n_clients=300, n_placements=700)
    clients, placements, options, followups = store_frames(engine)
    engine.dispose()
    with pytest.raises(ValueError, match="followups lacks the columns earning"):
        estimate_effects(clients, placements, options, followups.drop(columns="earning"))
    with pytest.raises(EffectsUnavailable, match="never placed"):
        estimate_effects(clients, placements, options, followups.iloc[0:0])
    unknown = placements.assign(success=None, status="ongoing")
    with pytest.raises(EffectsUnavailable, match="no placement has a known outcome"):
        estimate_effects(clients, unknown, options, followups)
    with pytest.raises(ValueError, match="unknown outcome"):
        estimate_effects(clients, placements, options, followups, outcomes=("wage",))
    stray = pd.concat([followups, followups.iloc[:1].assign(client_id="KH99999")])
    with pytest.raises(ValueError, match="KH99999"):
        estimate_effects(clients, placements, options, stray)


def test_empty_store_is_unavailable_not_a_crash(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    upgrade(engine)
    with pytest.raises(EffectsUnavailable):
        placement_effects(engine)
    engine.dispose()


def test_estimator_recovers_a_known_effect_on_plain_arrays():
    """AIPW on a textbook simulation: selection on x, effect 0.2, no hidden confounder."""
    rng = np.random.default_rng(0)
    n = 4000
    age = rng.uniform(16, 50, n)
    poor = rng.random(n) < 0.4
    x = pd.DataFrame({"age": age, "education_level": rng.integers(0, 5, n).astype(float),
                      "education_missing": 0.0, "female": (rng.random(n) < 0.5) * 1.0,
                      "gender_other": 0.0, "household_poor": poor * 1.0,
                      "ethnic_minority": 0.0, "married": 0.0, "needs_women_only": 0.0,
                      "has_prior_income": 0.0, "log_prior_income": 0.0,
                      "prior_income_missing": 0.0, "log_travel_km": 2.7,
                      "registered_years": 3.0, "lat": 21.0, "lon": 107.0,
                      "group": "other", "disability": "none"})
    ease = 0.3 * x["education_level"] - 0.8 * poor
    d = rng.random(n) < 1 / (1 + np.exp(-(0.5 + 1.2 * ease)))
    p0 = 1 / (1 + np.exp(-(-1.2 + ease)))
    y = (rng.random(n) < np.clip(p0 + 0.2 * d, 0, 1)).astype(float)
    fit = aipw_att(x, d, y, np.arange(n), binary=True)
    assert fit["ci_low"] <= 0.2 <= fit["ci_high"]
    assert fit["naive"] > 0.25
