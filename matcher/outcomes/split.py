"""A cohort's scores summed from a client's part, an option's part and the pair's part.

The compiled score (:class:`~matcher.outcomes.fast.CompiledScorer`) is a sum over columns.
Most columns describe the client alone (age, group, household) or the option alone (its
trade, fee, provider's record), and a few derived terms depend only on the client and the
option's kind (``group_kind``, ``education_training``). For a cohort of 100,000 clients and
tens of millions of pairs, those parts are computed once per client and kind and once per
option, and only the pair's own columns (wish match, distance, area) once per pair. The sum
is the same score, up to the order of the additions (tests/engine/test_cohort_batch.py holds
a cohort's P equal to one client's at 1e-12).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from matcher.logistic import sigmoid
from matcher.outcomes.fast import CompiledScorer
from matcher.outcomes.features import CLIENT_SIDE, OPTION_SIDE, PAIR_SIDE
from matcher.outcomes.linear import (
    CLIENT_KIND_TERMS,
    DERIVED_CATEGORICAL,
    DERIVED_NUMERIC,
    pair_terms,
)

_CLIENT = frozenset(CLIENT_SIDE) | frozenset(CLIENT_KIND_TERMS)
_OPTION = frozenset(OPTION_SIDE)
_PAIR = frozenset(PAIR_SIDE)


class SplitScorer:
    """P(success) of pairs as ``sigmoid(a · (client part + option part + pair part) + b)``.

    Raises ``TypeError`` when the scorer sums over a column of no known side (a model of
    another shape): the caller then scores whole feature frames.
    """

    def __init__(self, compiled: CompiledScorer, calibration: tuple[float, float]) -> None:
        names = compiled.names
        self.compiled = compiled
        self.calibration = calibration
        self.client_names = [n for n in names if n in _CLIENT]
        self.option_names = [n for n in names if n in _OPTION]
        derived_pair = [n for n in names if n not in _CLIENT | _OPTION | _PAIR]
        self.pair_names = [n for n in names if n in _PAIR] + derived_pair
        # every other column must be a derived term pair_terms knows how to build
        unknown = [n for n in derived_pair if n not in DERIVED_NUMERIC
                   and n not in DERIVED_CATEGORICAL]
        if unknown:
            raise TypeError(f"columns of no known side: {', '.join(unknown)}")
        self._derived_pair = derived_pair

    def option_part(self, option_columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """Per option, the score its own columns add (:data:`OPTION_SIDE`)."""
        n = len(next(iter(option_columns.values()))) if option_columns else 0
        return self.compiled.contributions(option_columns, self.option_names, n)

    def client_part(self, client_columns: Mapping[str, np.ndarray],
                    kinds: list[str]) -> np.ndarray:
        """Per client (rows) and option kind (columns, in ``kinds`` order), the constant and
        what the client's own columns and the client × kind terms add."""
        n = len(client_columns["age"])
        rows = {name: np.tile(np.asarray(values), len(kinds))
                for name, values in client_columns.items()}
        kind = np.empty(n * len(kinds), dtype=object)
        for k, name in enumerate(kinds):
            kind[k * n:(k + 1) * n] = name
        rows["kind"] = kind
        rows.update(pair_terms(rows, [t for t in CLIENT_KIND_TERMS if t in self.client_names]))
        part = self.compiled.const + self.compiled.contributions(rows, self.client_names,
                                                                 n * len(kinds))
        return part.reshape(len(kinds), n).T

    def pair_part(self, pair_columns: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        """Per pair, what the pair's columns and the pair terms add. ``pair_columns`` holds
        :data:`PAIR_SIDE` and what the pair terms read of the client and option (``age``,
        ``max_travel_km``, ``kind``), aligned by pair."""
        columns = dict(pair_columns)
        columns.update(pair_terms(columns, self._derived_pair))
        return self.compiled.contributions(columns, self.pair_names, n)

    def probability(self, raw: np.ndarray) -> np.ndarray:
        a, b = self.calibration
        return sigmoid(a * raw + b)

