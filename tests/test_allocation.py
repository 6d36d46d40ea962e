"""Cohort allocation: exact against a brute force, never over seats or budget, and its baselines."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from matcher.allocation import (
    Pairs,
    Plan,
    check_validity,
    compare,
    greedy,
    random_eligible,
    solve,
    status_quo,
)
from matcher.allocation import budget as budget_module
from matcher.allocation.flow import max_profit_assignment

M = 1_000_000  # VND
BASELINES = (greedy, status_quo, random_eligible)


def brute_force(pairs, capacity, cost, budget, weight):
    """The best objective over every assignment, by enumeration."""
    cost = np.zeros(pairs.n_options, dtype=int) if cost is None else np.asarray(cost)
    weight = np.ones(pairs.n_clients) if weight is None else np.asarray(weight)
    by_client = [np.flatnonzero(pairs.client == c).tolist() for c in range(pairs.n_clients)]
    seats = list(capacity)
    best = 0.0

    def visit(c, left, value):
        nonlocal best
        if c == pairs.n_clients:
            best = max(best, value)
            return
        visit(c + 1, left, value)
        for e in by_client[c]:
            o = pairs.option[e]
            if seats[o] > 0 and cost[o] <= left:
                seats[o] -= 1
                visit(c + 1, left - cost[o], value + weight[c] * pairs.p_success[e])
                seats[o] += 1

    visit(0, math.inf if budget is None else budget, 0.0)
    return best


def reference_milp(pairs, capacity, cost, budget):
    """The whole integer program handed to HiGHS at once, for instances too big to enumerate."""
    m, cols = len(pairs), np.arange(len(pairs))
    matrix = sparse.vstack([
        sparse.csr_array((np.ones(m), (pairs.client, cols)), shape=(pairs.n_clients, m)),
        sparse.csr_array((np.ones(m), (pairs.option, cols)), shape=(pairs.n_options, m)),
        sparse.csr_array((cost[pairs.option] / M, (np.zeros(m, dtype=int), cols)), shape=(1, m)),
    ])
    upper = np.concatenate([np.ones(pairs.n_clients), capacity, [budget / M]])
    res = milp(-pairs.p_success, constraints=LinearConstraint(matrix, -np.inf, upper),
               integrality=np.ones(m), bounds=Bounds(0, 1), options={"mip_rel_gap": 1e-10})
    return -res.fun


@st.composite
def instances(draw, binding_budget=False):
    """Small random cohorts; with ``binding_budget``, always priced and short of money."""
    n_clients = draw(st.integers(1, 6))
    n_options = draw(st.integers(1 if binding_budget else 0, 4))
    cells = [(c, o) for c in range(n_clients) for o in range(n_options)]
    every = st.just(True) if binding_budget else st.booleans()
    eligible = draw(st.lists(every, min_size=len(cells), max_size=len(cells)))
    chosen = [cell for cell, keep in zip(cells, eligible, strict=True) if keep]
    probability = st.one_of(st.just(0.0), st.floats(0, 1), st.sampled_from([0.25, 0.5, 1.0]))
    if binding_budget:
        probability = st.floats(0.05, 1)
    p = draw(st.lists(probability, min_size=len(chosen), max_size=len(chosen)))
    distance = draw(st.lists(st.integers(0, 30), min_size=len(chosen), max_size=len(chosen)))
    pairs = Pairs.from_arrays(
        client=[c for c, _ in chosen], option=[o for _, o in chosen], p_success=p,
        distance_km=distance, n_clients=n_clients, n_options=n_options,
    )
    capacity = np.array(draw(st.lists(st.integers(int(binding_budget), 3), min_size=n_options,
                                      max_size=n_options)), dtype=int)
    price_list = [1 * M, 2 * M, 3 * M, 0] if binding_budget else [0, 1 * M, 2 * M, 3 * M, 5 * M]
    prices = st.lists(st.sampled_from(price_list), min_size=n_options, max_size=n_options)
    cost = draw(prices if binding_budget else st.one_of(st.none(), prices))
    cost = None if cost is None else np.array(cost, dtype=int)
    budgets = st.integers(int(binding_budget), 4 if binding_budget else 12).map(lambda k: k * M)
    budget = draw(budgets if binding_budget else st.one_of(st.none(), st.just(0), budgets))
    weights = [0.5, 1.0, 3.0] if binding_budget else [0.0, 0.5, 1.0, 3.0]
    weight = draw(st.one_of(st.none(), st.lists(st.sampled_from(weights), min_size=n_clients,
                                                max_size=n_clients)))
    weight = None if weight is None else np.array(weight)
    return pairs, capacity, cost, budget, weight


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_solve_is_valid_and_optimal_against_brute_force(instance):
    check_against_brute_force(*instance)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(binding_budget=True))
def test_solve_is_optimal_under_a_binding_budget(instance):
    check_against_brute_force(*instance)


def check_against_brute_force(pairs, capacity, cost, budget, weight):
    args = {"capacity": capacity, "cost_vnd": cost, "budget_vnd": budget, "weight": weight}
    plan = solve(pairs, **args)
    assert check_validity(plan, pairs, capacity, cost, budget)
    assert plan.optimal and plan.status == "OPTIMAL"
    best = brute_force(pairs, capacity, cost, budget, weight)
    assert plan.objective == pytest.approx(best, rel=1e-6, abs=1e-9)
    chosen = plan.option_of_client >= 0
    p = {(c, o): q for c, o, q in zip(pairs.client, pairs.option, pairs.p_success, strict=True)}
    taken = [p[c, o] for c, o in enumerate(plan.option_of_client) if o >= 0]
    assert plan.expected_successes == pytest.approx(sum(taken))
    assert plan.assigned == chosen.sum()
    for baseline in BASELINES:
        other = baseline(pairs, **args)
        assert check_validity(other, pairs, capacity, cost, budget)
        assert other.objective <= plan.objective + 1e-9
        # a baseline leaves a client out only when nothing open and affordable is left
        reasons = other.unassigned_reasons(pairs, capacity, cost, budget)
        assert "not_worth" not in reasons.values()
    gain = (np.ones(pairs.n_clients) if weight is None else weight)[pairs.client] * pairs.p_success
    for c, reason in plan.unassigned_reasons(pairs, capacity, cost, budget).items():
        assert plan.option_of_client[c] == -1
        own = pairs.client == c
        if reason == "no_eligible_option":
            assert not own.any()
        elif reason == "not_worth":  # only zero-gain pairs are ever left for nothing
            load = np.bincount(plan.option_of_client[chosen], minlength=pairs.n_options)
            open_seat = load[pairs.option] < capacity[pairs.option]
            if budget is not None and cost is not None:
                open_seat &= cost[pairs.option] <= budget - plan.cost_vnd
            assert np.all(gain[own & open_seat] == 0)


@pytest.mark.parametrize("without_lp", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_budgeted_solve_matches_the_whole_milp_on_larger_cohorts(seed, without_lp, monkeypatch):
    if without_lp:  # so that the MILP on the kept pairs has to finish the job
        monkeypatch.setattr(budget_module, "lp_relaxation", lambda kept, **_: (None, math.inf))
    rng = np.random.default_rng(seed)
    n_clients, n_options = 80, 20
    client, option = np.nonzero(rng.random((n_clients, n_options)) < 0.4)
    pairs = Pairs.from_arrays(client=client, option=option, p_success=rng.random(len(client)),
                              n_clients=n_clients, n_options=n_options)
    capacity = rng.integers(0, 6, n_options)
    cost = rng.integers(0, 8, n_options) * M
    budget = int(rng.integers(20, 60)) * M
    plan = solve(pairs, capacity=capacity, cost_vnd=cost, budget_vnd=budget)
    check_validity(plan, pairs, capacity, cost, budget)
    assert plan.optimal
    assert plan.objective == pytest.approx(reference_milp(pairs, capacity, cost, budget), rel=1e-7)


def test_flow_prices_are_an_optimal_dual():
    rng = np.random.default_rng(7)
    client, option = np.nonzero(rng.random((40, 12)) < 0.5)
    profit = rng.random(len(client))
    capacity = rng.integers(0, 4, 12)
    flow = max_profit_assignment(client, option, profit, capacity)
    u, v = flow.prices(40, 12)
    assert np.all(u >= 0) and np.all(v >= 0)
    assert np.all(u[client] + v[option] >= profit - 1e-9)
    chosen = flow.chosen
    assert np.allclose(u[client[chosen]] + v[option[chosen]], profit[chosen])
    assert u.sum() + capacity @ v == pytest.approx(profit[chosen].sum())


def test_checkerboard_each_client_gets_its_own_option():
    n = 8
    client, option = np.divmod(np.arange(n * n), n)
    pairs = Pairs.from_arrays(client=client, option=option,
                              p_success=np.where(client == option, 0.9, 0.1),
                              n_clients=n, n_options=n)
    plan = solve(pairs, capacity=np.ones(n, dtype=int))
    assert plan.option_of_client.tolist() == list(range(n))
    assert plan.objective == pytest.approx(0.9 * n)


def test_empty_cohort_is_refused():
    with pytest.raises(ValueError, match="empty cohort"):
        Pairs.from_arrays(client=[], option=[], p_success=[], n_clients=0, n_options=3)


def test_no_pairs_leaves_everyone_out_for_want_of_an_option():
    pairs = Pairs.from_arrays(client=[], option=[], p_success=[], n_clients=3, n_options=2)
    for make in (solve, *BASELINES):
        plan = make(pairs, capacity=[2, 2])
        assert plan.option_of_client.tolist() == [-1, -1, -1]
        assert plan.objective == 0 and plan.seats_left_empty == 4
        reasons = plan.unassigned_reasons(pairs, [2, 2])
        assert reasons == dict.fromkeys(range(3), "no_eligible_option")


def test_no_seats_at_all():
    pairs = Pairs.from_arrays(client=[0, 1, 1], option=[0, 0, 1], p_success=[0.5, 0.6, 0.7],
                              n_clients=2, n_options=2)
    plan = solve(pairs, capacity=[0, 0])
    assert plan.assigned == 0 and plan.optimal
    assert plan.unassigned_reasons(pairs, [0, 0]) == {0: "capacity", 1: "capacity"}


def test_zero_budget_uses_only_free_options():
    # option 0 is free with one seat; option 1 costs 5M and is better for both
    pairs = Pairs.from_arrays(client=[0, 0, 1, 1], option=[0, 1, 0, 1],
                              p_success=[0.3, 0.9, 0.4, 0.8], n_clients=2, n_options=2)
    args = {"capacity": [1, 5], "cost_vnd": [0, 5 * M], "budget_vnd": 0}
    plan = solve(pairs, **args)
    assert plan.option_of_client.tolist() == [-1, 0]
    assert plan.cost_vnd == 0
    assert plan.unassigned_reasons(pairs, [1, 5], [0, 5 * M], 0) == {0: "budget"}
    for baseline in BASELINES:
        assert baseline(pairs, **args).cost_vnd == 0


def test_budget_buys_the_seats_that_gain_most():
    # 10M buys two places at 5M or one at 10M: the two cheap ones win
    pairs = Pairs.from_arrays(client=[0, 1, 2], option=[0, 1, 1], p_success=[0.9, 0.6, 0.6],
                              n_clients=3, n_options=2)
    plan = solve(pairs, capacity=[1, 2], cost_vnd=[10 * M, 5 * M], budget_vnd=10 * M)
    assert plan.option_of_client.tolist() == [-1, 1, 1]
    assert plan.objective == pytest.approx(1.2)


def test_priority_weight_wins_the_last_seat():
    pairs = Pairs.from_arrays(client=[0, 1], option=[0, 0], p_success=[0.6, 0.5],
                              n_clients=2, n_options=1)
    assert solve(pairs, capacity=[1]).option_of_client.tolist() == [0, -1]
    weighted = solve(pairs, capacity=[1], weight=[1.0, 2.0])
    assert weighted.option_of_client.tolist() == [-1, 0]
    assert weighted.objective == pytest.approx(1.0)
    assert weighted.expected_successes == pytest.approx(0.5)
    assert weighted.unassigned_reasons(pairs, [1]) == {0: "capacity"}


def test_zero_gain_pairs_are_not_worth_a_seat():
    pairs = Pairs.from_arrays(client=[0, 1], option=[0, 0], p_success=[0.0, 0.5],
                              n_clients=2, n_options=1)
    plan = solve(pairs, capacity=[2])
    assert plan.option_of_client.tolist() == [-1, 0]
    assert plan.unassigned_reasons(pairs, [2]) == {0: "not_worth"}


def test_greedy_can_be_strictly_worse_than_optimal():
    # client 0 grabs option 0 first; client 1 has nowhere else to go
    pairs = Pairs.from_arrays(client=[0, 0, 1], option=[0, 1, 0], p_success=[0.9, 0.8, 0.85],
                              n_clients=2, n_options=2)
    best = solve(pairs, capacity=[1, 1])
    first_come = greedy(pairs, capacity=[1, 1])
    assert best.option_of_client.tolist() == [1, 0]
    assert first_come.option_of_client.tolist() == [0, -1]
    assert best.objective == pytest.approx(1.65) and first_come.objective == pytest.approx(0.9)
    assert greedy(pairs, capacity=[1, 1], order=[1, 0]).objective == pytest.approx(1.65)


def test_status_quo_takes_the_nearest_and_random_is_reproducible():
    pairs = Pairs.from_arrays(client=[0, 0, 0], option=[0, 1, 2], p_success=[0.9, 0.2, 0.5],
                              distance_km=[30.0, 2.0, 2.0], n_clients=1, n_options=3)
    assert status_quo(pairs, capacity=[1, 1, 1]).option_of_client.tolist() == [2]
    assert status_quo(pairs, capacity=[1, 0, 0]).option_of_client.tolist() == [0]
    draws = {random_eligible(pairs, capacity=[1, 1, 1], seed=s).option_of_client[0]
             for s in range(30)}
    assert draws == {0, 1, 2}
    again = [random_eligible(pairs, capacity=[1, 1, 1], seed=3).option_of_client.tolist()
             for _ in range(2)]
    assert again[0] == again[1]


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"client": [0, 1], "option": [0], "p_success": [0.5]}, "equal lengths"),
        ({"client": [2], "option": [0], "p_success": [0.5]}, "client index out of range"),
        ({"client": [0], "option": [5], "p_success": [0.5]}, "option index out of range"),
        ({"client": [0, 0], "option": [1, 1], "p_success": [0.5, 0.4]}, "duplicate"),
        ({"client": [0], "option": [0], "p_success": [1.5]}, r"outside \[0, 1\]"),
        ({"client": [0], "option": [0], "p_success": [float("nan")]}, "finite"),
        ({"client": [0], "option": [0], "p_success": [0.5], "distance_km": [-1.0]}, "distance"),
        ({"client": [0.5], "option": [0], "p_success": [0.5]}, "integers"),
    ],
)
def test_bad_pairs_are_refused_with_the_reason(arrays, message):
    with pytest.raises(ValueError, match=message):
        Pairs.from_arrays(**arrays, n_clients=2, n_options=2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"capacity": [1, -1]}, "capacity must be >= 0"),
        ({"capacity": [1, 1, 1]}, "one entry per option"),
        ({"capacity": [1, 1], "cost_vnd": [0, -5]}, "negative cost"),
        ({"capacity": [1, 1], "cost_vnd": [0]}, "one entry per option"),
        ({"capacity": [1, 1], "cost_vnd": [0, 5], "budget_vnd": -1}, "budget_vnd must be >= 0"),
        ({"capacity": [1, 1], "weight": [1.0]}, "one entry per client"),
        ({"capacity": [1, 1], "weight": [1.0, -2.0]}, "weight must be finite and >= 0"),
        ({"capacity": [1, 1], "time_limit_s": 0}, "time_limit_s"),
    ],
)
def test_bad_arguments_are_refused(args, message):
    pairs = Pairs.from_arrays(client=[0, 1], option=[0, 1], p_success=[0.5, 0.5],
                              n_clients=2, n_options=2)
    with pytest.raises(ValueError, match=message):
        solve(pairs, **args)
    if "time_limit_s" not in args:
        with pytest.raises(ValueError, match=message):
            greedy(pairs, **args)


def test_check_validity_lists_every_broken_constraint():
    pairs = Pairs.from_arrays(client=[0, 1, 2], option=[0, 0, 0], p_success=[0.5, 0.5, 0.5],
                              n_clients=3, n_options=2)
    bad = Plan(option_of_client=np.array([0, 0, 1]), objective=1.0, expected_successes=1.0,
               cost_vnd=0, optimal=False, method="hand-made", seconds=0.0)
    with pytest.raises(ValueError) as error:
        check_validity(bad, pairs, [1, 1], [3 * M, 1 * M], 5 * M)
    message = str(error.value)
    assert "not among the eligible pairs: client 2 -> option 1" in message
    assert "over capacity: option 0 has 2 clients for 1 seats" in message
    assert "over budget: cost 7000000 VND > budget 5000000 VND" in message
    assert "reported cost 0 VND" in message
    short = Plan(np.array([0]), 0.5, 0.5, 0, False, "hand-made", 0.0)
    with pytest.raises(ValueError, match="shape"):
        check_validity(short, pairs, [1, 1])


def test_compare_is_json_friendly():
    pairs = Pairs.from_arrays(client=[0, 0, 1], option=[0, 1, 0], p_success=[0.9, 0.8, 0.85],
                              n_clients=2, n_options=2)
    plans = {"optimal": solve(pairs, capacity=[1, 1], cost_vnd=[M, 0]),
             "greedy": greedy(pairs, capacity=[1, 1], cost_vnd=[M, 0])}
    summary = json.loads(json.dumps(compare(plans)))
    assert summary["optimal"]["shortfall"] == 0 and summary["optimal"]["gap"] == 0
    assert summary["greedy"] == {
        "method": "greedy", "objective": 0.9, "expected_successes": 0.9, "assigned": 1,
        "unassigned": 1, "seats_left_empty": 1, "cost_vnd": M, "optimal": False, "gap": None,
        "shortfall": 0.75, "seconds": summary["greedy"]["seconds"],
    }


def _budgeted_instance_past_the_lagrangian():
    for seed in range(50):
        rng = np.random.default_rng(seed)
        client, option = np.nonzero(rng.random((60, 15)) < 0.4)
        pairs = Pairs.from_arrays(client=client, option=option,
                                  p_success=rng.random(len(client)), n_clients=60, n_options=15)
        args = {"capacity": rng.integers(0, 6, 15), "cost_vnd": rng.integers(0, 8, 15) * M,
                "budget_vnd": int(rng.integers(20, 60)) * M}
        if "+lp(" in solve(pairs, **args).method:
            return pairs, args
    raise AssertionError("no instance needed more than the Lagrangian bound")


def test_time_limit_returns_the_best_plan_with_its_gap(monkeypatch):
    pairs, args = _budgeted_instance_past_the_lagrangian()
    exact = solve(pairs, **args)

    monkeypatch.setattr(budget_module, "lp_relaxation", lambda kept, **_: (None, math.inf))
    monkeypatch.setattr(budget_module, "integer_program",
                        lambda kept, **_: (None, math.inf, "TIME_LIMIT"))
    cut_short = solve(pairs, **args)
    check_validity(cut_short, pairs, args["capacity"], args["cost_vnd"], args["budget_vnd"])
    assert not cut_short.optimal and cut_short.status == "TIME_LIMIT"
    assert cut_short.objective <= exact.objective + 1e-9 <= cut_short.bound + 2e-9
    assert 0 < cut_short.gap < 0.05


def test_solver_output_stays_off_stdout(capfd, monkeypatch):
    pairs, args = _budgeted_instance_past_the_lagrangian()
    monkeypatch.setattr(budget_module, "lp_relaxation", lambda kept, **_: (None, math.inf))
    capfd.readouterr()
    plan = solve(pairs, **args)  # HiGHS' MILP, which prints a stray line, does the work
    assert plan.optimal and plan.method.endswith("+milp")
    assert capfd.readouterr().out == ""
