"""The effects of placement are estimated once per distinct set of placed and comparison
units (matcher/review/recent.py).

The review is recomputed after every change; a change that leaves those units as they were
(a new client with no outcome yet) reuses the last estimates, a changed outcome is estimated
again, and a caller that edits what it got changes nothing kept.
"""

from __future__ import annotations

import pandas as pd

from matcher.review import effects
from matcher.review.recent import Recent, frames_digest
from tests.review.known_effect import seeded_world, store_frames

OVERALL_ONLY = {"min_placed_kind": 10**9, "min_placed_provider": 10**9}


def test_the_effects_are_estimated_again_only_when_the_units_change(tmp_path_factory,
                                                                     monkeypatch):
    _, engine = seeded_world(tmp_path_factory, "effects-cache", effect=0.25, seed=7,
                             confounding=1.5, unplaced_share=0.3)
    clients, placements, options, followups = store_frames(engine)
    engine.dispose()
    fits: list[int] = []
    real = effects.cross_fit
    monkeypatch.setattr(effects, "_ESTIMATES", Recent(kept=2))
    monkeypatch.setattr(effects, "cross_fit",
                        lambda x, *a, **kw: fits.append(len(x)) or real(x, *a, **kw))

    first = effects.estimate_effects(clients, placements, options, followups, **OVERALL_ONLY)
    assert fits, "the first estimate fits the models"
    fitted = len(fits)

    newcomer = clients.iloc[[0]].assign(client_id="KH-CACHE-NEW")  # no placement, no follow-up
    grown = pd.concat([clients, newcomer], ignore_index=True)
    again = effects.estimate_effects(grown, placements, options, followups, **OVERALL_ONLY)
    assert len(fits) == fitted and again == first

    again[0]["adjusted"] = "changed by the caller"
    assert effects.estimate_effects(clients, placements, options, followups,
                                    **OVERALL_ONLY) == first

    row = placements.index[placements["success"].notna()
                           & (placements["status"] != "dropped")][0]  # a dropout counts 0
    turned = placements.copy()
    turned.loc[row, "success"] = 1 - turned.loc[row, "success"]
    other = effects.estimate_effects(clients, turned, options, followups, **OVERALL_ONLY)
    assert len(fits) == 2 * fitted
    assert other[0]["naive"] != first[0]["naive"]


def test_the_digest_tells_frames_apart_by_values_columns_and_types():
    a = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    assert frames_digest(a) == frames_digest(a.copy())
    assert frames_digest(a) != frames_digest(a.assign(x=[1, 3]))
    assert frames_digest(a) != frames_digest(a.rename(columns={"y": "z"}))
    assert frames_digest(a) != frames_digest(a.astype({"x": float}))
    assert frames_digest(a, a) != frames_digest(a)
