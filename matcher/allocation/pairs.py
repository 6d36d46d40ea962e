"""The candidate list of a cohort, and the checks on the arrays that go with it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array


def _as_index(values, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise ValueError(f"{name} must hold integers")
    return array.astype(np.int64)


def _as_float(values, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite (found NaN or infinity)")
    return array


@dataclass(frozen=True, eq=False)
class Pairs:
    """The eligible (client, option) pairs of a cohort, one row per pair.

    Eligibility is decided upstream: a pair that is not listed can never be assigned.
    Build it with :meth:`from_arrays`; the constructor checks the arrays either way and
    keeps read-only copies of them.

    Attributes
    ----------
    client : ndarray of int
        Client index of each pair, in ``0 .. n_clients - 1``.
    option : ndarray of int
        Option index of each pair, in ``0 .. n_options - 1``.
    p_success : ndarray of float
        Predicted probability of success of each pair, in [0, 1].
    distance_km : ndarray of float
        Travel distance of each pair (used by the status-quo baseline), >= 0.
    n_clients, n_options : int
        Size of the cohort and of the catalogue.
    """

    client: np.ndarray
    option: np.ndarray
    p_success: np.ndarray
    distance_km: np.ndarray
    n_clients: int
    n_options: int

    def __post_init__(self) -> None:
        n_clients, n_options = int(self.n_clients), int(self.n_options)
        if n_clients != self.n_clients or n_options != self.n_options:
            raise ValueError("n_clients and n_options must be integers")
        if n_clients <= 0:
            raise ValueError(f"empty cohort: n_clients must be at least 1, got {n_clients}")
        if n_options < 0:
            raise ValueError(f"n_options must be >= 0, got {n_options}")
        client = _as_index(self.client, "client")
        option = _as_index(self.option, "option")
        p_success = _as_float(self.p_success, "p_success")
        distance_km = _as_float(self.distance_km, "distance_km")
        lengths = {len(client), len(option), len(p_success), len(distance_km)}
        if len(lengths) > 1:
            raise ValueError(
                "client, option, p_success and distance_km must have equal lengths, got "
                f"{len(client)}, {len(option)}, {len(p_success)} and {len(distance_km)}"
            )
        problems = []
        if np.any((client < 0) | (client >= n_clients)):
            problems.append(f"client index out of range 0..{n_clients - 1}")
        if np.any((option < 0) | (option >= n_options)):
            problems.append(f"option index out of range 0..{max(n_options - 1, 0)}")
        if np.any((p_success < 0) | (p_success > 1)):
            problems.append("p_success outside [0, 1]")
        if np.any(distance_km < 0):
            problems.append("negative distance_km")
        if not problems and len(client):
            key = client * max(n_options, 1) + option
            if len(np.unique(key)) != len(key):
                problems.append("duplicate (client, option) pair")
        if problems:
            raise ValueError("invalid pairs: " + "; ".join(problems))
        for name, value in [
            ("client", client),
            ("option", option),
            ("p_success", p_success),
            ("distance_km", distance_km),
        ]:
            object.__setattr__(self, name, _frozen(value))
        object.__setattr__(self, "n_clients", n_clients)
        object.__setattr__(self, "n_options", n_options)

    @classmethod
    def from_arrays(
        cls,
        *,
        client,
        option,
        p_success,
        distance_km=None,
        n_clients: int,
        n_options: int,
    ) -> Pairs:
        """Check and store the candidate list.

        Parameters
        ----------
        client, option : array-like of int
            Indices of the client and the option of each eligible pair.
        p_success : array-like of float
            Predicted chance of success of each pair, in [0, 1].
        distance_km : array-like of float, optional
            Travel distance of each pair; zeros when not given.
        n_clients, n_options : int
            Size of the cohort (at least 1) and of the catalogue.

        Returns
        -------
        Pairs

        Raises
        ------
        ValueError
            On an empty cohort, unequal lengths, an index out of range, a duplicate pair,
            a probability outside [0, 1], or a value that is not finite.

        Examples
        --------
        >>> pairs = Pairs.from_arrays(client=[0, 0, 1], option=[0, 1, 1],
        ...                           p_success=[0.5, 0.2, 0.7], n_clients=2, n_options=2)
        >>> len(pairs)
        3
        """
        if distance_km is None:
            distance_km = np.zeros(len(np.atleast_1d(np.asarray(p_success))))
        return cls(
            client=np.atleast_1d(np.asarray(client)),
            option=np.atleast_1d(np.asarray(option)),
            p_success=np.atleast_1d(np.asarray(p_success, dtype=np.float64)),
            distance_km=np.atleast_1d(np.asarray(distance_km, dtype=np.float64)),
            n_clients=n_clients,
            n_options=n_options,
        )

    def __len__(self) -> int:
        return len(self.client)


def check_capacity(pairs: Pairs, capacity) -> np.ndarray:
    """Seats per option as int64, or ValueError."""
    cap = np.asarray(capacity)
    if cap.shape != (pairs.n_options,):
        raise ValueError(f"capacity must have one entry per option ({pairs.n_options}), "
                         f"got shape {cap.shape}")
    cap = _as_index(cap, "capacity")
    if np.any(cap < 0):
        raise ValueError("capacity must be >= 0 (negative seats found)")
    return cap


def check_cost(pairs: Pairs, cost_vnd) -> np.ndarray:
    """Cost per option in VND as int64 (zeros when None), or ValueError."""
    if cost_vnd is None:
        return np.zeros(pairs.n_options, dtype=np.int64)
    cost = np.asarray(cost_vnd)
    if cost.shape != (pairs.n_options,):
        raise ValueError(f"cost_vnd must have one entry per option ({pairs.n_options}), "
                         f"got shape {cost.shape}")
    cost = _as_index(cost, "cost_vnd")
    if np.any(cost < 0):
        raise ValueError("cost_vnd must be >= 0 (negative cost found)")
    return cost


def check_budget(budget_vnd) -> int | None:
    """The budget as a Python int (None for no budget), or ValueError."""
    if budget_vnd is None:
        return None
    if isinstance(budget_vnd, bool) or int(budget_vnd) != budget_vnd:
        raise ValueError(f"budget_vnd must be an integer number of VND, got {budget_vnd!r}")
    if budget_vnd < 0:
        raise ValueError(f"budget_vnd must be >= 0, got {budget_vnd}")
    return int(budget_vnd)


def check_weight(pairs: Pairs, weight) -> np.ndarray:
    """Priority weight per client (ones when None), or ValueError."""
    if weight is None:
        return np.ones(pairs.n_clients)
    w = np.asarray(weight, dtype=np.float64)
    if w.shape != (pairs.n_clients,):
        raise ValueError(f"weight must have one entry per client ({pairs.n_clients}), "
                         f"got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weight must be finite and >= 0")
    return w
