"""A cohort scored in batches gives the pairs and numbers of its clients scored one by one."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from matcher.matching.rules import PairClients, check, eligible_pairs
from matcher.planning.cohort import cohort_pairs, pairs_of, plan_cohort
from tests.engine.conftest import ON


def _one_by_one(matcher, clients):
    return pairs_of([matcher.candidates(c, on=ON) for c in clients], len(matcher.catalog))


@pytest.mark.parametrize("which", ["matcher", "prior_matcher"])
def test_batched_candidates_equal_the_one_client_path(request, which, profiles):
    matcher = request.getfixturevalue(which)
    clients = profiles[:300]
    one = _one_by_one(matcher, clients)
    batch = matcher.cohort_candidates(clients, on=ON)
    assert len(batch) == len(one) > 1000
    np.testing.assert_array_equal(batch.client, one.client)
    np.testing.assert_array_equal(batch.rows, one.option)
    np.testing.assert_array_equal(batch.distance_km, one.distance_km)
    # the same pair gets the same P, up to the last bit of a matrix product's order
    np.testing.assert_allclose(batch.p_success, one.p_success, rtol=0, atol=1e-12)
    for i in (0, 7, 123):
        c = matcher.candidates(clients[i], on=ON)
        np.testing.assert_array_equal(batch.wish[batch.of(i)], c.wish)


def test_batches_split_a_cohort_without_changing_it(matcher, profiles, monkeypatch):
    import matcher.matching.engine as engine

    clients = profiles[:120]
    whole = matcher.cohort_candidates(clients, on=ON)
    monkeypatch.setattr(engine, "CHUNK_PAIRS", 500)  # a chunk or two of clients at a time
    monkeypatch.setattr(engine, "PREDICT_ROWS", 333)
    split = matcher.cohort_candidates(clients, on=ON)
    np.testing.assert_array_equal(split.rows, whole.rows)
    np.testing.assert_array_equal(split.client, whole.client)
    np.testing.assert_allclose(split.p_success, whole.p_success, rtol=0, atol=1e-12)


def test_pair_rules_agree_with_the_one_client_rules(matcher, profiles):
    options = matcher.catalog.options
    clients = profiles[:40]
    n = len(options)
    client = np.repeat(np.arange(len(clients)), n)
    rows = np.tile(np.arange(n), len(clients))
    distance = np.concatenate([matcher.distances_from(c.place_id) for c in clients])
    age = np.array([c.age(ON) for c in clients], dtype=float)[client]
    arrays = {k: v[rows] for k, v in matcher._arrays.items()}
    ok = eligible_pairs(PairClients.of(clients).take(client), arrays, distance, age)
    expected = np.concatenate([check(c, options, matcher.distances_from(c.place_id), ON).eligible
                               for c in clients])
    np.testing.assert_array_equal(ok, expected)


def test_max_options_keeps_each_clients_best(matcher, profiles):
    clients = profiles[:200]
    full = matcher.cohort_candidates(clients, on=ON)
    k = 5
    pruned = matcher.cohort_candidates(clients, on=ON, max_options=k)
    counts_full = np.bincount(full.client, minlength=len(clients))
    counts = np.bincount(pruned.client, minlength=len(clients))
    np.testing.assert_array_equal(counts, np.minimum(counts_full, k))
    # every kept pair is an eligible pair with its own P; within a client, sorted by row
    key_full = full.client * len(matcher.catalog) + full.rows
    key = pruned.client * len(matcher.catalog) + pruned.rows
    at = np.searchsorted(key_full, key)
    np.testing.assert_array_equal(key_full[at], key)
    np.testing.assert_allclose(pruned.p_success, full.p_success[at], rtol=0, atol=1e-12)
    assert (np.diff(key) > 0).all()
    # a client with k eligible options or fewer keeps them all
    for i in range(len(clients)):
        mine = full.p_success[full.of(i)]
        if len(mine) <= k:
            np.testing.assert_allclose(np.sort(pruned.p_success[pruned.of(i)]), np.sort(mine))


def test_a_client_with_rare_needs_is_sought_in_their_whole_reach(matcher, profiles):
    # deaf and needing a women-only place: few options anywhere, none maybe in the nearest
    client = replace(profiles[0], disability="deaf", needs_women_only=True, gender="female",
                     max_travel_km=200.0)
    everyone = matcher.cohort_candidates([client], on=ON)
    pruned = matcher.cohort_candidates([client], on=ON, max_options=50)
    assert 0 < len(everyone) < 50 * 8  # scarcer than the first, nearest look provides for
    assert len(pruned) == min(len(everyone), 50)


def test_plan_from_batches_is_the_plan_from_one_by_one(matcher, profiles):
    clients = profiles[:150]
    plan = plan_cohort(matcher, clients, on=ON)
    pairs = cohort_pairs(matcher, clients, on=ON)
    assert plan["optimal"] and len(plan["assignments"]) > 0
    p_of = {(int(c), int(o)): p for c, o, p in zip(pairs.client, pairs.option, pairs.p_success,
                                                   strict=True)}
    ids = {c.client_id: i for i, c in enumerate(clients)}
    for a in plan["assignments"]:
        row = int(matcher.catalog.rows([a["option_id"]])[0])
        assert a["p_success"] == round(p_of[(ids[a["client_id"]], row)], 4)


def test_best_per_client_takes_the_highest_p_and_the_lower_row_on_ties():
    from matcher.matching.engine import CohortCandidates, _best_per_client

    c = CohortCandidates(client=np.array([0, 0, 0, 0, 2, 2, 5]),
                         rows=np.array([1, 4, 6, 9, 3, 8, 2]),
                         distance_km=np.zeros(7), wish=np.zeros(7),
                         p_success=np.array([0.2, 0.7, 0.7, 0.9, 0.1, 0.3, 0.5]), n_clients=6)
    best = _best_per_client(c, 2)
    assert best.client.tolist() == [0, 0, 2, 2, 5]
    assert best.rows.tolist() == [4, 9, 3, 8, 2]  # client 0: 0.9, then 0.7 at the lower row
    assert _best_per_client(c, 1).rows.tolist() == [9, 8, 2]


def test_split_scores_equal_whole_feature_frames(matcher, profiles, monkeypatch):
    # A cohort sums per-client, per-option and per-pair parts of the score; scoring whole
    # feature frames instead (as for a model of another shape) gives the same numbers.
    assert matcher.model.split is not None
    clients = profiles[:200]
    split = matcher.cohort_candidates(clients, on=ON)
    one_split = [matcher.candidates(c, on=ON) for c in clients[:20]]
    monkeypatch.setattr(matcher.model, "split", None)
    whole = matcher.cohort_candidates(clients, on=ON)
    for c, s in zip(clients[:20], one_split, strict=True):
        w = matcher.candidates(c, on=ON)
        np.testing.assert_array_equal(s.rows, w.rows)
        np.testing.assert_array_equal(s.wish, w.wish)
        np.testing.assert_allclose(s.p_success, w.p_success, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(split.rows, whole.rows)
    np.testing.assert_array_equal(split.wish, whole.wish)
    np.testing.assert_allclose(split.p_success, whole.p_success, rtol=0, atol=1e-12)
    assert np.ptp(split.p_success) > 0.1  # the scores differ across pairs: a real check


def test_feature_sides_cover_every_feature_once():
    from matcher.outcomes.features import CLIENT_SIDE, FEATURES, OPTION_SIDE, PAIR_SIDE

    sides = CLIENT_SIDE + OPTION_SIDE + PAIR_SIDE
    assert sorted(sides) == sorted(FEATURES) and len(set(sides)) == len(sides)


def test_a_model_with_a_column_of_no_known_side_is_not_split(matcher):
    import copy

    from matcher.outcomes.split import SplitScorer

    compiled = copy.copy(matcher.model.compiled)
    compiled.numeric = [*compiled.numeric, "something_new"]
    with pytest.raises(TypeError, match="something_new"):
        SplitScorer(compiled, matcher.model.calibration)
