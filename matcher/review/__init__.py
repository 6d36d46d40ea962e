"""Match-quality review: suggestion quality, calibration, fairness, provider league table,
and the effect of placements (effects.py).

:func:`build_review` assembles them into one JSON-ready dict (``matcher review --json``,
GET /v1/review, the staff pages and the notebooks); :mod:`matcher.review.snapshots` keeps
the last one in the database for the API.
"""

from matcher.review.report import REVIEW_KEYS, build_review

__all__ = ["REVIEW_KEYS", "build_review"]
