"""Seat prices: what one seat of an option is worth to the other clients likely to need it.

``refresh_prices(session, matcher)`` recomputes them from the waiting list and the
registration history and stores them (one run, read by every API worker);
``load_prices(session, matcher)`` reads them, and ``Matcher.suggest(..., prices=...)`` ranks
each option by its score net of its seat price (matcher/matching/seat_prices.py, what a
suggestion reads of them). See demand.py (who else wants a seat),
prices.py (the assignment's dual over sampled futures) and refresh.py (the stored run).
"""

from __future__ import annotations

from matcher.pricing.refresh import is_current, load_prices, pricing_status, refresh_prices

__all__ = ["is_current", "load_prices", "pricing_status", "refresh_prices"]
