"""Match-quality review: suggestion quality, calibration, fairness, provider league table,
and the effect of placements (effects.py)."""
