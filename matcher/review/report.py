"""The whole review as one JSON-ready dict: what `matcher review --json`, GET /v1/review,
the staff pages and the notebooks show.

:func:`build_review` computes it; the API keeps the last one in the database and computes
it again in the background after a change (:mod:`matcher.review.snapshots`,
api/reviewing.py).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from matcher.notes import note
from matcher.pricing import pricing_status

from .calibration import calibration_report
from .data import load_review_data, session_of
from .fairness import fairness_report
from .league import league_report
from .quality import suggestion_quality

REVIEW_KEYS = ("generated_at", "model", "data", "suggestion_quality", "calibration",
               "fairness", "league", "effects", "pricing", "warnings", "seconds")


def build_review(engine: Engine | Session, model_dir: Path, *,
                 with_effects: bool = True) -> dict[str, Any]:
    """Match quality, calibration, fairness, the league table and the effects of placement.

    Parameters
    ----------
    engine : Engine or Session
        The store (read only).
    model_dir : Path
        Where the current model is (``MATCHER_MODEL_DIR``).
    with_effects : bool, default=True
        Estimate the effects of placement (:mod:`matcher.review.effects`, the slow part);
        False leaves ``effects`` empty and says so.

    Returns
    -------
    dict
        Keys :data:`REVIEW_KEYS`; ``effects`` has the shape docs/design.md gives for
        ``review --json``. Every value is JSON-serialisable.
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str, t0: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - t0, 3)
        return now

    t = time.perf_counter()
    data = load_review_data(engine, Path(model_dir))
    t = lap("load_and_score", t)
    quality = suggestion_quality(data.entries, data.lists)
    t = lap("suggestion_quality", t)
    calibration = calibration_report(data.placed, data.entries, data.model_version,
                                     data.prediction_note)
    t = lap("calibration", t)
    fairness = fairness_report(data.placed, data.entries)
    t = lap("fairness", t)
    league = league_report(data)
    t = lap("league", t)
    effects, effects_note = _effects(engine) if with_effects else (
        [], note("review.effects_not_computed",
                 "effects of placement: not computed (with_effects=False)"))
    lap("effects", t)
    pricing = _pricing(engine)
    warnings = _warnings(quality, calibration, fairness, league, effects_note, pricing)
    review = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": {"version": data.model_version, "is_prior": data.model_is_prior,
                  "predictions": data.prediction_note},
        "data": {"placements_with_outcome": int(len(data.placed)),
                 "suggestion_lists": int(len(data.lists)),
                 "simulated_lists": quality["n_simulated"],
                 "decided_entries": int(data.entries["decision"].notna().sum())
                 if len(data.entries) else 0},
        "suggestion_quality": quality,
        "calibration": calibration,
        "fairness": fairness,
        "league": league,
        "effects": effects,
        "effects_note": effects_note,
        "pricing": pricing,
        "warnings": warnings,
        "seconds": {"total": round(time.perf_counter() - started, 3), **timings},
    }
    # Fail here, not in a client, if anything is not plain JSON.
    return json.loads(json.dumps(review, allow_nan=False, default=_plain))


def _pricing(engine: Engine | Session) -> dict[str, Any]:
    with session_of(engine) as session:
        return pricing_status(session)


def _effects(engine: Engine | Session) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    try:
        from matcher.review.effects import placement_effects
    except ImportError:
        return [], note("review.effects_missing",
                        "effects of placement: not available in this version")
    try:
        return placement_effects(engine), None
    except Exception as exc:  # noqa: BLE001 - EffectsUnavailable and its kin: say why
        if type(exc).__name__ != "EffectsUnavailable":
            raise
        # A coded note when the exception carries one; else its English sentence inside one.
        coded = getattr(exc, "note", None)
        return [], coded if isinstance(coded, dict) else note(
            "review.effects_unavailable", "effects of placement: {reason}", reason=str(exc))


def _warnings(quality: dict, calibration: dict, fairness: dict, league: dict,
              effects_note: dict[str, Any] | None, pricing: dict) -> list[dict[str, Any]]:
    """Everything that needs a person's attention, as coded notes (matcher.notes)."""
    out = []
    if calibration["drift"].get("warning"):
        out.append(calibration["drift"]["warning"])
    for v in calibration["by_model_version"]:
        if v.get("band", {}).get("drifted"):
            out.append(note("calibration.version_drifted", "model {version}: its logged "
                            "P(success) is outside the predicted band for the {n} accepted "
                            "suggestions with an outcome", version=v["version"],
                            n=v["band"]["n"]))
    for f in fairness["flags"]:
        out.append(note("fairness.flag", "{dimension} = {level}: {metric} worse than the rest "
                        "beyond chance (n = {n}, Holm p = {p_holm})", dimension=f["dimension"],
                        level=f["level"], metric=f["metric"], n=f["n"], p_holm=f["p_holm"]))
    if fairness["steering"]["steered"]:
        out.append(fairness["steering"]["note"])
    if quality["n_simulated"]:
        out.append(quality["note"])
    flags = league["provider_flags"]
    if flags.get("too few placements to say"):
        out.append(note("league.too_few", "{n} providers have fewer than {min} placements with "
                        "an outcome: too few to say", n=flags["too few placements to say"],
                        min=league["min_n"]))
    if effects_note:
        out.append(effects_note)
    if pricing.get("on") and pricing.get("n_idle"):
        out.append(note("pricing.idle_waiting", "seat prices: {k} of the {n} clients waiting "
                        "registered more than {days} days ago and nobody has asked for "
                        "suggestions for them; if their cases are closed, record a follow-up, "
                        "or the prices keep seats for them", k=pricing["n_idle"],
                        n=pricing["n_waiting"], days=pricing["horizon_days"]))
    return out


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")
