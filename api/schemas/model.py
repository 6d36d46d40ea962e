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
