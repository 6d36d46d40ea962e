"""The logistic function and the one-covariate logistic fit, for every part that needs them.

Platt scaling (:func:`matcher.outcomes.calibration.fit_platt`), the review's calibration
slope and intercept (:mod:`matcher.review.calibration`), the outcome model's own solver
(:mod:`matcher.outcomes.linear`) and the synthetic world's truth (:mod:`matcher.synth.truth`)
all use these, so a prediction means the same thing wherever it is computed.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CLIP", "fit_logistic", "sigmoid"]

#: The logit is clipped to ±CLIP before ``exp``: beyond it P is within 6.3e-16 of 0 or 1,
#: and ``exp`` of a large argument would overflow with a warning.
CLIP = 35.0


def sigmoid(x: np.ndarray | float) -> np.ndarray:
    """``1 / (1 + exp(-x))`` with ``x`` clipped to ±:data:`CLIP`.

    Written out rather than ``scipy.special.expit``: expit differs from this formula by one
    unit in the last place for about 2% of inputs, and the fitted models and the demo world
    were made with this one.
    """
    return 1.0 / (1.0 + np.exp(-np.clip(x, -CLIP, CLIP)))


def fit_logistic(x: np.ndarray, target: np.ndarray, *, start: tuple[float, float] = (1.0, 0.0),
                 iterations: int = 100, ridge: float = 1e-9,
                 tolerance: float = 1e-10) -> tuple[float, float]:
    """Maximum-likelihood ``(slope, intercept)`` of ``target ~ sigmoid(slope·x + intercept)``.

    Newton's method from ``start``; ``target`` may be 0/1 outcomes or smoothed targets in
    (0, 1) (Platt's). ``ridge`` is added to the Hessian's diagonal so that a constant ``x``
    or a separable sample still gives a step; it stops when no step moves either value by
    more than ``tolerance``, or after ``iterations`` steps.
    """
    x = np.asarray(x, dtype=float)
    t = np.asarray(target, dtype=float)
    a, b = float(start[0]), float(start[1])
    for _ in range(iterations):
        p = sigmoid(a * x + b)
        w = p * (1 - p) + 1e-12
        grad = np.array([((p - t) * x).sum(), (p - t).sum()])
        hess = np.array([[(w * x * x).sum() + ridge, (w * x).sum()],
                         [(w * x).sum(), w.sum() + ridge]])
        step = np.linalg.solve(hess, grad)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < tolerance:
            break
    return float(a), float(b)
