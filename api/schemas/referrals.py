"""Referrals: the placements into a provider's options, with what the client agreed to share.

A client who consented (consent_share) is shown by name, gender, age, home place and whether
sign language is needed; of any other client the provider learns nothing but a reference.
Group, notes, history, other placements, caseworker and income are never part of it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.schemas.clients import no_nul
from matcher.vocab.referrals import REASON_TEXT_MAX, WAGE_CEILING_VND_DAY


class SharedClient(BaseModel):
    shared: Literal[True] = True
    full_name: str | None
    gender: str
    age: int = Field(description="Whole years today.")
    place_name: str = Field(description="Where the client lives (current unit).")
    needs_sign_language: bool


class WithheldClient(BaseModel):
    shared: Literal[False] = False
    reference: str = Field(description="The placement id: quote it to the social worker.")


class ReferralOut(BaseModel):
    placement_id: str
    option_id: str
    option_title: str
    start_date: date
    status: str = Field(description="ongoing, completed, dropped or not_started (declined "
                                    "by the provider, or the client never came).")
    client: SharedClient | WithheldClient
    answer: Literal["accepted", "declined"] | None = Field(
        default=None, description="The provider's answer; null: not answered yet.")
    answer_reason: str | None = Field(default=None, description="The decline's reason code.")


class ReferralPage(BaseModel):
    items: list[ReferralOut]
    total: int


DeclineReason = Literal["full", "not_suitable", "cannot_reach", "other"]


class AnswerIn(BaseModel):
    """The provider's one answer to a referral."""

    model_config = ConfigDict(extra="forbid")

    answer: Literal["accepted", "declined"]
    reason_code: DeclineReason | None = Field(default=None, description="required to decline")
    reason_text: str | None = Field(default=None, max_length=REASON_TEXT_MAX,
                                    description="required with reason_code other")

    @field_validator("reason_text", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return no_nul(value)


class AnswerOut(BaseModel):
    placement_id: str
    answer: str
    reason_code: str | None
    status: str = Field(description="The placement's status after the answer.")
    seat_released: bool


ReportKind = Literal["started", "attending_1m", "attending_3m", "no_show", "dropped",
                     "completed", "hired"]
DropReason = Literal["moved", "health", "family", "work_elsewhere", "lost_contact", "conduct",
                     "other"]


class ReportIn(BaseModel):
    """What happened, on which day. reason_code is for dropped only, certificate for completed
    only, wage_vnd_day for hired only (and required there)."""

    model_config = ConfigDict(extra="forbid")

    kind: ReportKind
    reported_on: date = Field(description="The day it happened: not before the referral, "
                                          "not in the future.")
    reason_code: DropReason | None = Field(default=None, description="dropped: why")
    certificate: bool | None = Field(default=None, description="completed: a certificate?")
    wage_vnd_day: int | None = Field(default=None, ge=0, le=WAGE_CEILING_VND_DAY,
                                     description="hired: the daily wage in VND, 0 to "
                                     f"{WAGE_CEILING_VND_DAY:,} (matcher.vocab.referrals)")


class ReportOut(BaseModel):
    report_id: int
    placement_id: str
    kind: str
    reported_on: date
    source: str
    reason_code: str | None
    certificate: bool | None
    wage_vnd_day: int | None
    created_at: datetime
    seat_released: bool = False
