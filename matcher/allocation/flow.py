"""The exact assignment without a budget: a min-cost flow, and the seat prices behind it.

Each client is a node with one unit of supply; each option is a node that passes at most
``capacity`` units to the sink (GeoMatch copies an option once per seat; a flow arc with
that capacity is the same thing without the copies). A client -> option arc costs minus the
pair's profit, and a source -> sink bypass lets a client stay out. A min-cost flow is then a
maximum-profit assignment, and the transportation polytope is integral, so the optimum is
integral.

OR-Tools' ``SimpleMinCostFlow`` needs integer costs. Profits are rounded to multiples of a
quantum ``q = max(profit) / 2**40``; the flow is exactly optimal for the rounded profits,
so its true objective is within ``n_assigned * q`` of the true optimum, about 1e-12 of the
largest profit per assigned client (1e-7 of one success for 100,000 clients).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

_SCALE = 2**40


@dataclass
class FlowResult:
    """A maximum-profit assignment of the pairs given to :func:`max_profit_assignment`."""

    chosen: np.ndarray  # indices (into the arrays given) of the chosen pairs
    quantum: float  # profit of one integer cost unit
    rounding_bound: float  # the true optimum exceeds the chosen profit by at most this
    _graph: tuple | None = None
    _closed_price: np.ndarray | None = None  # per option: a price for the seatless ones

    def prices(self, n_clients: int, n_options: int) -> tuple[np.ndarray, np.ndarray]:
        """Dual prices ``u`` per client and ``v`` per option, both >= 0.

        ``u[c] + v[o] >= profit`` holds for every pair (up to the rounding quantum), with
        equality on the chosen pairs, ``u = 0`` for a client left out and ``v = 0`` for an
        option with a seat left. An option without seats costs nothing whatever its price
        (``capacity * v = 0``), so it is priced at its pairs' largest profit. The prices are
        shortest-path distances in the residual graph, found by Bellman-Ford rounds
        vectorised over the arcs.
        """
        closed = np.zeros(n_options) if self._closed_price is None else self._closed_price
        if self._graph is None:
            return np.zeros(n_clients), closed.copy()
        c_node, o_node, units, matched, full = self._graph
        by_option = np.argsort(o_node, kind="stable")
        c_sorted, u_sorted = c_node[by_option], units[by_option]
        starts = np.flatnonzero(np.r_[True, np.diff(o_node[by_option]) != 0])
        options = o_node[by_option][starts]  # the options with at least one pair
        full = full[options]
        matched_option = np.full(n_clients, -1)
        matched_units = np.zeros(n_clients, dtype=np.int64)
        matched_option[c_node[matched]] = o_node[matched]
        matched_units[c_node[matched]] = units[matched]
        placed = matched_option >= 0
        d_client = np.zeros(n_clients, dtype=np.int64)
        d_option = np.zeros(n_options, dtype=np.int64)  # minus the option's price
        for _ in range(n_clients + n_options + 1):
            d_client[placed] = d_option[matched_option[placed]] + matched_units[placed]
            lowest = np.minimum.reduceat(d_client[c_sorted] - u_sorted, starts)
            new = np.where(full, np.minimum(lowest, 0), 0)
            if np.array_equal(new, d_option[options]):
                break
            d_option[options] = new
        v = np.maximum(np.maximum(-d_option, 0) * self.quantum, closed)
        return np.maximum(d_client, 0) * self.quantum, v


    def highest_prices(self, n_options: int) -> np.ndarray:
        """The largest dual price ``v`` of each option (``prices`` gives the smallest).

        A full option's price may lie anywhere between what one more seat would add (the
        smallest price) and what one seat fewer would cost (the largest); with few clients
        the two differ widely. Found from above: start every full option at the largest
        profit, then alternate ``u[c] = max(0, max_o profit - v[o])`` over every pair and
        ``v[o] = min(profit - u[c])`` over the option's chosen pairs until nothing moves.
        The sequence only falls and stops at the greatest dual solution.
        """
        if self._graph is None:
            return np.zeros(n_options)
        c_node, o_node, units, matched, full = self._graph
        n_clients = int(c_node.max()) + 1
        by_client = np.argsort(c_node, kind="stable")
        c_starts = np.flatnonzero(np.r_[True, np.diff(c_node[by_client]) != 0])
        clients = c_node[by_client][c_starts]
        mc, mo, mu = c_node[matched], o_node[matched], units[matched]
        full_used = full & (np.bincount(mo, minlength=n_options) > 0)
        v = np.where(full_used, units.max(), 0).astype(np.int64)
        u = np.zeros(n_clients, dtype=np.int64)
        for _ in range(n_clients + n_options + 1):
            surplus = np.maximum.reduceat((units - v[o_node])[by_client], c_starts)
            u[clients] = np.maximum(surplus, 0)
            lowest = np.full(n_options, np.iinfo(np.int64).max)
            np.minimum.at(lowest, mo, mu - u[mc])
            new = np.where(full_used, np.maximum(lowest, 0), 0)
            if np.array_equal(new, v):
                break
            v = new
        return v * self.quantum


def _used(o_node: np.ndarray, n_options: int) -> np.ndarray:
    """Mask of the options that appear in at least one pair."""
    return np.bincount(o_node, minlength=n_options) > 0


def max_profit_assignment(
    client: np.ndarray,
    option: np.ndarray,
    profit: np.ndarray,
    capacity: np.ndarray,
) -> FlowResult:
    """Choose pairs of maximum total profit, a client at most once, an option up to capacity.

    Pairs with a profit <= 0 or an option without seats are never chosen.
    """
    closed = np.zeros(len(capacity))
    seatless = (profit > 0) & (capacity[option] == 0)
    np.maximum.at(closed, option[seatless], profit[seatless])
    keep = np.flatnonzero((profit > 0) & (capacity[option] > 0))
    if keep.size == 0:
        return FlowResult(np.zeros(0, dtype=np.int64), 0.0, 0.0, None, closed)
    # every client and option is a node, used or not: cheaper than renumbering them
    c_node, o_node = client[keep], option[keep]
    nc, no, m = int(c_node.max()) + 1, len(capacity), len(keep)
    top = float(profit[keep].max())
    quantum = top / _SCALE  # may underflow to 0 for denormal profits; the bound stays valid
    units = np.rint(profit[keep] / top * _SCALE).astype(np.int64)
    source, sink = nc + no, nc + no + 1
    cap = capacity.astype(np.int64)
    tails = np.concatenate([np.full(nc, source), c_node, nc + np.arange(no), [source]])
    heads = np.concatenate([np.arange(nc), nc + o_node, np.full(no, sink), [sink]])
    caps = np.concatenate([np.ones(nc + m, dtype=np.int64), cap, [nc]])
    costs = np.concatenate([np.zeros(nc, dtype=np.int64), -units, np.zeros(no + 1, dtype=np.int64)])
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.zeros(nc + no + 2, dtype=np.int64)
    supplies[source], supplies[sink] = nc, -nc
    flow.set_nodes_supplies(np.arange(nc + no + 2), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    matched = flow.flows(arcs[nc : nc + m]) > 0
    load = np.bincount(o_node[matched], minlength=no)
    graph = (c_node, o_node, units, matched, load >= cap)
    chosen = keep[matched]
    most = min(np.count_nonzero(np.bincount(c_node)), int(cap[_used(o_node, no)].sum()))
    return FlowResult(chosen, quantum, most * quantum, graph, closed)
