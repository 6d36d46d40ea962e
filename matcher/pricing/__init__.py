"""Seat prices: what one seat of an option is worth to the other clients likely to need it.

``refresh_prices(session, matcher)`` recomputes them from the waiting list and the
registration history and stores them (one run, read by every API worker);
``load_prices(session, matcher)`` reads them, and ``Matcher.suggest(..., prices=...)`` ranks
each option by its score net of its seat price. See demand.py (who else wants a seat),
prices.py (the assignment's dual over sampled futures) and refresh.py (the stored run).
"""

from __future__ import annotations


def __getattr__(name: str):
    # Loaded on first use: the engine imports matcher.pricing.book, and refresh imports
    # the engine, so importing refresh here would be circular.
    if name in ("refresh_prices", "load_prices", "is_current", "pricing_status"):
        from matcher.pricing import refresh

        return getattr(refresh, name)
    raise AttributeError(name)
