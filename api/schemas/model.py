"""The outcome model in use: its version and model card."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ModelOut(BaseModel):
    version: str
    prior_only: bool = Field(description="True when no model was trained yet: the transparent "
                             "prior gives the chances of success.")
    previous: str | None = Field(default=None, description="The version used before this one.")
    updated_at: str | None = Field(default=None, description="When this version became current.")
    card: dict[str, Any] = Field(description="The model card: data, validation, calibration.")


class TrainOut(ModelOut):
    """The model in use after a training: the candidate's, or the one before if not promoted."""

    promoted: bool = Field(description="True when the candidate became the current model.")
    reason: str = Field(description="Why it was (not) promoted.")
    candidate_version: str = Field(description="The version trained now (kept either way).")
    comparison: dict[str, Any] = Field(description="ROC AUC and Brier score of the candidate "
                                       "and the current model on the same held-out placements.")


class RestoreIn(BaseModel):
    version: str | None = Field(default=None, max_length=100,
                                description="The version to make current (default: the "
                                "previous one).")


class VersionOut(BaseModel):
    version: str
    trained_at: str | None = None
    rows: int | None = None
    cv_roc_auc: float | None = None
    cv_brier: float | None = None
    held_out: dict[str, Any] | None = None
    promoted: bool | None = None
    reason: str | None = None
    current: bool
