"""Request and response models of the suggestion routes: asking, the list, its record and
the explanation of one option."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.clients import (
    MAX_TRAVEL_KM,
    Kind,
    Lang,
    ProfileIn,
    Timestamp,
)


class SuggestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    top: int = Field(default=10, ge=1, le=50)
    kind: Kind | None = None
    lang: Lang | None = Field(default=None, description="adds each reason's text in it")
    max_travel_km: float | None = Field(
        default=None, gt=0, le=MAX_TRAVEL_KM, allow_inf_nan=False,
        description="a travel limit in km for this search only, e.g. to widen it when "
                    "nothing is within reach; the client's own limit is not changed")


class ProfileSuggestIn(SuggestIn):
    profile: ProfileIn


class Reason(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str
    vi: str
    en: str


class SuggestionEntry(BaseModel):
    """One suggested option, as the engine gives it (more keys may follow)."""

    model_config = ConfigDict(extra="allow")

    option_id: str
    kind: str
    score: float
    p_success: float
    seat_price: float = Field(default=0.0, description="what a seat of this option is worth "
                              "to the others waiting (expected successes); the score is net "
                              "of it when pricing is on")
    reasons: list[Reason]


class BeyondReach(BaseModel):
    """One of the nearest options that only the travel limit rules out."""

    option_id: str
    title: str
    provider_name: str
    kind: str
    place: str
    distance_km: float
    seats_left: int


class Advice(BaseModel):
    """A sentence in both languages."""

    vi: str
    en: str


class PricingOut(BaseModel):
    """Whether the list was ranked net of seat prices, and what the prices rest on."""

    on: bool
    state: Literal["off", "no_run", "no_demand", "priced"]
    vi: str
    en: str
    computed_at: str | None = None
    n_waiting: int = 0
    expected_arrivals: float = 0.0
    all_contested: bool = Field(default=False, description="every eligible option's seat is "
                                "worth more to the others waiting than to this client "
                                "(P(success) below its seat price); advice only: nothing is "
                                "removed from the list")
    advice: Advice | None = Field(default=None, description="what to consider when "
                                "all_contested, in both languages")


class SuggestionOut(BaseModel):
    suggestion_id: int
    client_id: str | None
    model_version: str
    prior_only: bool
    n_options: int
    n_eligible: int
    excluded: dict[str, int]
    pricing: PricingOut
    suggestions: list[SuggestionEntry]
    travel_limit_km: float = Field(description="the travel limit this list was made with")
    beyond_reach: list[BeyondReach] = Field(
        description="when nothing is eligible: the nearest options that only the travel "
                    "limit rules out, nearest first (empty otherwise)")


class DecisionRecord(BaseModel):
    decision_id: int
    option_id: str
    decision: str
    reason_code: str | None
    reason_text: str | None
    user_id: int | None
    created_at: Timestamp


class SuggestionRecord(BaseModel):
    """A logged suggestion list, with the decisions taken on it."""

    suggestion_id: int
    client_id: str | None
    user_id: int | None
    model_version: str
    created_at: Timestamp
    suggestions: list[SuggestionEntry]
    decisions: list[DecisionRecord]
    kind: str | None = None
    travel_limit_km: float | None = Field(
        default=None, description="the travel limit the list was made with (null in lists "
                                  "logged before it was kept)")
    max_travel_km: float | None = Field(
        default=None, description="the limit given for this search only (null: the "
                                  "client's own)")
    beyond_reach: list[BeyondReach] = []
    pricing: PricingOut | None = Field(default=None, description="whether the list was "
                                       "ranked net of seat prices (null in older lists)")


class ExplainOut(BaseModel):
    """Why an option is or is not suggested: the rules it fails, or its rank."""

    client_id: str | None
    option_id: str
    eligible: bool
    distance_km: float
    failed_rules: list[Reason]
    rank: int | None = None
    n_eligible: int | None = None
    p_success: float | None = None
    score: float | None = None
    seat_price: float | None = Field(default=None, description="the seat price the rank is "
                                     "net of (pricing on)")
    rank_without_price: int | None = Field(default=None, description="the rank if nobody "
                                           "else were waiting")
    contenders: int | None = Field(default=None, description="other waiting clients the plan "
                                   "seats in this option")
