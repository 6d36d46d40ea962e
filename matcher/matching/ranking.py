"""Score and reasons: how eligible options are ordered for one client.

The score puts options of every kind on one scale::

    score = w_success · P(success) + w_wish · wish_match
            − w_travel · min(distance / travel limit, 1) − w_cost · min(cost / cost_scale, 1)

with the weights in the settings. Every suggestion carries these parts, so a social worker
(and programme staff) can see why an option ranks where it does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.settings import Settings, get_settings


@dataclass(frozen=True)
class Weights:
    success: float = 1.0
    wish: float = 0.3
    travel: float = 0.15
    cost: float = 0.1
    cost_scale_vnd: int = 10_000_000
    max_per_provider: int = 2

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Weights:
        s = settings or get_settings()
        return cls(s.weight_success, s.weight_wish, s.weight_travel, s.weight_cost,
                   s.cost_scale_vnd, s.max_per_provider)


def score(
    p_success: np.ndarray,
    wish: np.ndarray,
    distance_km: np.ndarray,
    travel_limit_km: float,
    cost_vnd: np.ndarray,
    weights: Weights,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The score of each option and its signed parts (they add up to the score)."""
    limit = max(float(travel_limit_km), 1.0)
    cost = np.nan_to_num(np.asarray(cost_vnd, dtype=float), nan=0.0)
    parts = {
        "success": weights.success * np.asarray(p_success, dtype=float),
        "wish": weights.wish * np.asarray(wish, dtype=float),
        "travel": -weights.travel * np.minimum(np.asarray(distance_km, float) / limit, 1.0),
        "cost": -weights.cost * np.minimum(cost / weights.cost_scale_vnd, 1.0),
    }
    total = parts["success"] + parts["wish"] + parts["travel"] + parts["cost"]
    return total, parts


def top_k_diverse(scores: np.ndarray, groups: np.ndarray, k: int, per_group: int) -> np.ndarray:
    """Indices of the best ``k`` scores, with at most ``per_group`` from any one group.

    The group is the provider: a list of ten hair courses from one salon helps nobody.
    When the cap leaves fewer than ``k``, the list is shorter rather than repetitive.
    """
    if k <= 0 or len(scores) == 0:
        return np.empty(0, dtype=np.int64)
    order = np.argsort(-np.asarray(scores), kind="stable")
    taken: dict[object, int] = {}
    chosen: list[int] = []
    for i in order:
        g = groups[i]
        if taken.get(g, 0) >= per_group:
            continue
        taken[g] = taken.get(g, 0) + 1
        chosen.append(int(i))
        if len(chosen) == k:
            break
    return np.array(chosen, dtype=np.int64)
