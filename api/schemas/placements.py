"""Request and response models of decisions on suggestions, placements with their outcomes
and checks, and follow-ups of clients not placed."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.schemas.clients import (
    ID_PATTERN,
    MAX_VND,
    PlacementStatusName,
    ReasonCode,
    Timestamp,
    no_nul,
)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    option_id: str = Field(pattern=ID_PATTERN)
    decision: Literal["accepted", "declined"]
    reason_code: ReasonCode | None = Field(default=None, description="required to decline")
    reason_text: str | None = Field(default=None, max_length=500,
                                    description="required with reason_code other")
    start_date: date | None = Field(default=None, description="accept only; default: the "
                                    "option's start date, or today")

    @field_validator("reason_text", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return no_nul(value)


class DecisionOut(BaseModel):
    decision_id: int
    suggestion_id: int
    option_id: str
    decision: str
    placement_id: str | None = None
    seats_left: int | None = None


class PlacementOut(BaseModel):
    placement_id: str
    client_id: str
    option_id: str
    start_date: date
    status: str
    success: bool | None
    income_vnd_day: int | None
    followed_up_on: date | None
    suggestion_id: int | None
    plan_id: int | None
    created_by: int | None
    created_at: Timestamp


class PlacementPage(BaseModel):
    items: list[PlacementOut]
    total: int
    limit: int
    offset: int


class OutcomeIn(BaseModel):
    """A follow-up of a placement; fields left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    status: PlacementStatusName
    success: bool | None = None
    income_vnd_day: int | None = Field(default=None, ge=0, le=MAX_VND)
    followed_up_on: date | None = None
    checkpoint_months: Literal[3, 6] | None = Field(
        default=None, description="3 or 6: also keep this as the follow-up at 3 or 6 months "
        "(replacing an earlier one of the same month); success is judged at 6 months")


class CheckOut(BaseModel):
    months: int
    followed_up_on: date | None
    status: str
    success: bool | None
    income_vnd_day: int | None
    recorded_at: Timestamp


class ProviderAnswerOut(BaseModel):
    answer: str = Field(description="accepted or declined")
    reason_code: str | None = Field(description="full, not_suitable, cannot_reach or other")
    reason_text: str | None
    answered_at: Timestamp


class PlacementDetail(PlacementOut):
    checks: list[CheckOut] = Field(description="The follow-ups at 3 and 6 months recorded.")
    answer: ProviderAnswerOut | None = Field(default=None, description="The provider's answer "
                                             "to the referral; null: not answered yet.")


class OutcomeOut(PlacementOut):
    seat_released: bool


class FollowUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    followed_up_on: date
    earning: bool
    income_vnd_day: int | None = Field(default=None, ge=0, le=MAX_VND)


class FollowUpOut(BaseModel):
    followup_id: int
    client_id: str
    followed_up_on: date
    earning: bool
    income_vnd_day: int | None
