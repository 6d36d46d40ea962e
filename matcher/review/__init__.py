"""Match-quality review: suggestion quality, calibration, fairness, provider league table,
and the effect of placements (effects.py).

:func:`build_review` assembles them into one JSON-ready dict (``matcher review --json``,
GET /v1/review, the staff dashboard and the notebooks); :func:`cached_review` serves it
again until the data or the model change.
"""

from matcher.review.report import REVIEW_KEYS, build_review, cached_review

__all__ = ["REVIEW_KEYS", "build_review", "cached_review"]
