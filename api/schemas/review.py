"""The match-quality review (GET /v1/review): the same dict as `matcher review --json`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class NoteOut(BaseModel):
    """A warning or method note as a code with parameters (matcher.notes): the pages
    say ``note.<code>`` in the reader's language; ``message`` is the English sentence."""

    code: str = Field(description='A stable dotted name, e.g. "calibration.drift_fewer".')
    params: dict[str, str | int | float | bool | None]
    message: str


class ReviewModelInfo(BaseModel):
    version: str
    is_prior: bool
    predictions: NoteOut = Field(description="How the history was scored (out of fold or "
                                             "not).")


class ReviewDataInfo(BaseModel):
    placements_with_outcome: int
    suggestion_lists: int
    simulated_lists: int = Field(description="Lists written by the demo replay, not by people.")
    decided_entries: int


class EffectOut(BaseModel):
    """One effect of placement (docs/design.md's `review --json` shape); extra keys are kept."""

    model_config = ConfigDict(extra="allow")

    scope: str = Field(description='"overall", a kind, or a provider id')
    outcome: str = Field(description='"success" or "income_vnd_day"')
    naive: float | None
    adjusted: float | None
    ci_low: float | None
    ci_high: float | None
    n_placed: int
    n_compared: int


class ReviewOut(BaseModel):
    generated_at: str
    model: ReviewModelInfo
    data: ReviewDataInfo
    suggestion_quality: dict[str, Any] = Field(
        description="Acceptance, accepted rank, decline reasons, days to placement; overall and "
                    "by social worker, group, place, gender, age band and kind.")
    calibration: dict[str, Any] = Field(
        description="Deciles with intervals, Brier score and decomposition, per model version, "
                    "drift warning.")
    fairness: dict[str, Any] = Field(
        description="By group, gender, age band and place, with the tests used and the flags; "
                    "gender steering for the same wish.")
    league: dict[str, Any] = Field(
        description="Providers and livelihood models: observed against case-mix expected "
                    "success, intervals, funnel limits, flags.")
    effects: list[EffectOut]
    effects_note: NoteOut | None = None
    pricing: dict[str, Any] = Field(
        description="Whether one-client suggestions are ranked net of seat prices, the last "
                    "price run (when, clients waiting, contested options), how many of the "
                    "latest lists were priced, how many advised that every seat would serve "
                    "someone else better (recent_lists_advised) and how many of those were "
                    "still accepted from (advised_accepted).")
    warnings: list[NoteOut]
    seconds: dict[str, float]
    computed_at: str = Field(description="When this review was computed (UTC, ISO 8601).")
    stale: bool = Field(description="The data or the model changed since: a newer review is "
                                    "being computed (see updating) and this one is shown "
                                    "meanwhile.")
    updating: bool = Field(description="A new review is being computed in the background.")
    last_failed_at: str | None = Field(
        description="The last computation for the current data failed at this time; the "
                    "review shown is the last one that succeeded.")


class ReviewComputing(BaseModel):
    """202: no review was computed yet; the first one is being computed."""

    status: str = Field(description='"computing"')
    retry_after_s: int
