"""Records the effect cannot be estimated from, and covariates that do not vary.

Each case must give a clear "cannot say" with a coded reason or a figure whose diagnostics
are sound; never a 500, never a number where there is nothing to compare.
"""

from __future__ import annotations

import numpy as np
import pytest

from matcher.review.aipw import EffectsUnavailable
from matcher.review.effect_checks import balance_table
from matcher.review.effects import estimate_effects
from tests.review.known_effect import seeded_world, store_frames

ONLY_OVERALL = {"min_placed_provider": 10**9, "min_placed_kind": 10**9}
#: An estimate costs ten outcome-model fits per outcome: each test asks only for the outcome
#: it checks.
SUCCESS = ("success",)


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    _, engine = seeded_world(tmp_path_factory, "effects-degenerate", effect=0.25, seed=11,
                             unplaced_share=0.3)
    out = store_frames(engine)
    engine.dispose()
    return out


def _overall(effects, outcome="success"):
    return next(e for e in effects if e["scope"] == "overall" and e["outcome"] == outcome)


def test_a_covariate_the_same_for_everyone_is_left_out_of_the_balance_table():
    import pandas as pd

    rng = np.random.default_rng(1)
    n = 400
    # 0.1 * 3 is not exactly 0.3: a constant column's rounding noise made an SMD of 1.4
    m = pd.DataFrame({"same": np.full(n, 0.1 * 3) + np.r_[0, np.full(n - 1, 0.0)],
                      "noisy_same": np.full(n, 1 / 3) * 3,
                      "age": rng.normal(30, 5, n)})
    m.loc[::2, "noisy_same"] = 1.0000000000000002  # 1 ulp apart: still the same value
    d = rng.random(n) < 0.4
    rows, constant = balance_table(m, d, np.ones(n), np.ones(n, bool))
    assert set(constant) == {"same", "noisy_same"}
    assert [r["covariate"] for r in rows] == ["age"]
    assert abs(rows[0]["smd_before"]) < 0.5


@pytest.mark.parametrize("case", ["one_place", "one_registration_date", "no_women",
                                  "every_prior_income_missing"])
def test_degenerate_profiles_give_a_figure_with_sound_diagnostics(frames, case):
    clients, placements, options, followups = frames
    clients = clients.copy()
    if case == "one_place":
        clients["place_id"] = clients["place_id"].iloc[0]
        gone = {"lat", "lon"}
    elif case == "one_registration_date":
        clients["registered_on"] = clients["registered_on"].iloc[0]
        gone = {"registered_years"}
    elif case == "no_women":
        clients["gender"] = "male"
        clients["needs_women_only"] = False
        gone = {"female", "needs_women_only"}
    else:
        clients["prior_income_vnd_month"] = None
        gone = {"has_prior_income", "log_prior_income", "prior_income_missing"}
    e = _overall(estimate_effects(clients, placements, options, followups, outcomes=SUCCESS,
                                  **ONLY_OVERALL))
    assert gone <= set(e["constant_covariates"])
    shown = {b["covariate"] for b in e["balance"]}
    assert not gone & shown
    assert all(abs(b["smd_before"]) < 5 for b in e["balance"])
    assert e["verdict"] in ("estimate", "fragile")
    assert e["ci_low"] <= e["adjusted"] <= e["ci_high"]


def test_only_placed_clients_cannot_be_compared(frames):
    clients, placements, options, followups = frames
    with pytest.raises(EffectsUnavailable) as exc:
        estimate_effects(clients, placements, options, followups.iloc[0:0], **ONLY_OVERALL)
    assert exc.value.note["code"] == "effects.no_comparison"


def test_one_comparison_client_says_cannot_estimate(frames):
    clients, placements, options, followups = frames
    placed = set(placements["client_id"])
    never = followups.loc[~followups["client_id"].isin(placed)].iloc[:1]
    for outcome in ("success", "income_vnd_day"):
        e = _overall(estimate_effects(clients, placements, options, never,
                                      outcomes=(outcome,), **ONLY_OVERALL), outcome)
        assert e["n_compared"] == 1
        assert e["verdict"] == "cannot_say" and e["adjusted"] is None
        assert e["notes"][0]["code"] == "effects.too_few_to_cross_fit"


@pytest.mark.parametrize("outcome", ["success", "income_vnd_day"])
def test_outcomes_all_equal_say_cannot_estimate(frames, outcome):
    clients, placements, options, followups = frames
    placements = placements.assign(status="completed", success=True, income_vnd_day=100_000)
    followups = followups.assign(earning=True, income_vnd_day=100_000)
    e = _overall(estimate_effects(clients, placements, options, followups,
                                  outcomes=(outcome,), **ONLY_OVERALL), outcome)
    assert e["verdict"] == "cannot_say" and e["adjusted"] is None and e["ci_low"] is None
    assert "effects.outcome_constant" in {n["code"] for n in e["notes"]}
    assert e["naive"] == 0
