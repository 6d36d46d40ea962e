"""Learning between rounds of arrivals: outcomes drawn from the truth, recorded, retrained.

After each round (a quarter of the arrivals), every placement made in it gets its 6-month
follow-up: success is drawn from the world's true P (seeded; a pair the truth deems ineligible
never succeeds) and recorded through the API's outcome route
(``POST /v1/placements/{id}/outcome``, checkpoint 6) by the stage's social worker. A model is
then retrained on everything known through the promotion gate, as ``matcher train`` does; the
API's matcher sees the new model (if promoted) at the next request. The learning curve gives,
per round, the model that served it ("set-up model", "prior" or "retrained after round k"),
the true expected successes of its placements and what the retraining after it decided.
Later rounds find fewer seats left, so a round's mean true P falls with the round whatever
the model learns: compare the learning runs with the same runs without learning.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

import numpy as np

from matcher.simulation.staging import TRAINED_AT, Stage, train
from matcher.simulation.worlds import TruthWorld

ROUNDS = 4  # quarters


def learn_from(stage: Stage, engine: Any, caller: Any, placed: list[tuple[str, str, str]], *,
               round_no: int, seed: int | str) -> dict[str, Any]:
    """Record drawn outcomes of ``placed`` (client, option, placement id), then retrain."""
    # The API's own outcome route, imported here for the reason given in desk.run_desk.
    from api.routes.placements import record_outcome
    from api.schemas.placements import OutcomeIn
    from matcher.simulation.desk import api_threads_finished
    from matcher.store.db import session_factory

    key = hashlib.sha256(f"{seed}:{round_no}".encode()).digest()[:8]
    rng = np.random.default_rng(int.from_bytes(key, "big"))
    p = stage.world.true_p([c for c, _, _ in placed], [o for _, o, _ in placed])
    won = rng.random(len(placed)) < p
    today = date.today()
    make_session = session_factory(engine)
    for (_, _, placement_id), success in zip(placed, won, strict=True):
        with api_threads_finished(), make_session() as session:
            record_outcome(placement_id, OutcomeIn(status="completed", success=bool(success),
                                                   followed_up_on=today, checkpoint_months=6),
                           session, caller)
    model = train(engine, stage.model_dir, now=TRAINED_AT + timedelta(days=round_no))
    return {**model, "outcomes_recorded": len(placed), "successes_drawn": int(won.sum())}


def round_entry(world: TruthWorld, round_no: int, arrivals: list[str],
                placed: list[tuple[str, str, str]], served_by: str,
                after: dict[str, Any] | None) -> dict[str, Any]:
    """One point of the learning curve."""
    p = world.true_p([c for c, _, _ in placed], [o for _, o, _ in placed])
    entry: dict[str, Any] = {
        "round": round_no, "arrivals": len(arrivals), "placed": len(placed),
        "served_by": served_by, "true_successes": round(float(p.sum()), 4),
        "mean_true_p_placed": round(float(p.mean()), 4) if len(p) else None}
    if after is not None:  # versions left out: they hash the API's random placement ids
        entry["retrained"] = {k: after.get(k) for k in (
            "promoted", "prior", "reason", "held_out", "outcomes_recorded", "successes_drawn")}
    return entry
