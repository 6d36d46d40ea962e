"""Seat prices from the assignment's dual: the small cases where greedy goes wrong, and the
properties every price keeps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.pricing.prices import plan_prices


def _seen(client: int, c, o, low, high, chosen) -> np.ndarray:
    """The prices as ``client`` sees them: the smallest where the plan seats them."""
    price = high.copy()
    mine = chosen[c[chosen] == client]
    price[o[mine]] = low[o[mine]]
    return price


def _net_choice(client: int, c, o, p, price) -> int:
    """The option a client takes when ranking by P(success) net of the seat price."""
    mine = np.flatnonzero(c == client)
    return int(o[mine[np.argmax(p[mine] - price[o[mine]])]])


# Client 0 does well in the scarce seat (option 0: 0.8) and almost as well elsewhere
# (option 1: 0.7, plenty of seats). Client 1 does well only in the scarce seat (0.7;
# option 1: 0.2). Greedy seats client 0, who arrives first, in option 0: 0.8 + 0.2 = 1.0;
# the best is 0.7 + 0.7 = 1.4.
C, OPT, P = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([0.8, 0.7, 0.7, 0.2])


def test_the_seat_goes_to_the_client_who_needs_it_whoever_arrives_first():
    low, high, chosen = plan_prices(C, OPT, P, np.array([1, 5]))
    assert low[1] == high[1] == 0  # seats to spare
    # client 0 gives up 0.1 for it; client 1 would lose 0.5 without it
    assert (low[0], high[0]) == pytest.approx((0.1, 0.5))
    assert sorted(zip(C[chosen], OPT[chosen], strict=True)) == [(0, 1), (1, 0)]
    for client, best in ((0, 1), (1, 0)):
        assert _net_choice(client, C, OPT, P, _seen(client, C, OPT, low, high, chosen)) == best


def test_greedy_without_prices_takes_the_seat_in_the_same_case():
    assert _net_choice(0, C, OPT, P, np.zeros(2)) == 0


def test_the_only_candidate_of_a_seat_sees_no_price():
    low, high, chosen = plan_prices(np.array([0]), np.array([0]), np.array([0.6]),
                                    np.array([1]))
    assert low[0] == 0  # nobody else wants it
    assert high[0] == pytest.approx(0.6)  # but one seat fewer would cost its holder 0.6
    assert _seen(0, np.array([0]), np.array([0]), low, high, chosen)[0] == 0


def test_an_option_with_more_seats_than_its_demand_is_free():
    c, o, p = np.array([0, 1, 2]), np.array([0, 0, 0]), np.array([0.9, 0.5, 0.4])
    low, high, _ = plan_prices(c, o, p, np.array([4]))
    assert low[0] == high[0] == 0
    low, high, _ = plan_prices(c, o, p, np.array([2]))
    assert (low[0], high[0]) == pytest.approx((0.4, 0.5))  # the third would gain 0.4


def test_no_pairs_and_closed_options_cost_nothing():
    empty = np.zeros(0, dtype=np.int64)
    low, high, chosen = plan_prices(empty, empty, np.zeros(0), np.array([0, 2]))
    assert low.tolist() == high.tolist() == [0, 0] and len(chosen) == 0
    low, high, _ = plan_prices(np.array([0]), np.array([0]), np.array([0.6]), np.array([0, 1]))
    assert low.tolist() == high.tolist() == [0, 0]  # option 0 has no seat to price


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_prices_are_bounded_and_each_plan_seat_is_its_clients_best_net(data):
    n_clients = data.draw(st.integers(1, 8))
    n_options = data.draw(st.integers(1, 5))
    pairs = data.draw(st.lists(st.tuples(st.integers(0, n_clients - 1),
                                         st.integers(0, n_options - 1),
                                         st.integers(1, 99)),
                               min_size=1, max_size=25, unique_by=lambda t: t[:2]))
    capacity = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n_options,
                                           max_size=n_options)))
    c, o, p = (np.array(x) for x in zip(*pairs, strict=True))
    p = p / 100
    low, high, chosen = plan_prices(c, o, p, capacity)
    assert (low >= 0).all() and (low <= high + 1e-9).all() and (high <= p.max() + 1e-9).all()
    used = np.bincount(o[chosen], minlength=n_options)
    assert (used <= capacity).all()
    assert (high[used < capacity] == 0).all()  # a seat left over has no price
    for k in chosen:  # complementary slackness, with the prices each client sees
        seen = _seen(c[k], c, o, low, high, chosen)
        mine = np.flatnonzero((c == c[k]) & (capacity[o] > 0))
        assert p[k] - seen[o[k]] >= max(p[mine] - seen[o[mine]]) - 1e-9
        assert p[k] - seen[o[k]] >= -1e-9  # nobody is seated at a loss
