"""Request and response models of the client, suggestion and placement routes.

A client's fields are checked as the import contract checks them (matcher.ingest.contract):
the same parsers turn "nữ" into ``female`` and free text into a place, so a form and a
spreadsheet accept the same values and give the same messages. ``place`` is read as free text
and holds the resolved place id once the model is valid.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from api.schemas.bounds import MAX_OFFSET
from matcher import domain
from matcher.clock import as_utc
from matcher.ingest import contract
from matcher.ingest.importer import OLDEST_AGE_YEARS
from matcher.profiles import ClientProfile

YOUNGEST_AGE_YEARS = 10  # younger than any programme takes (training from 13, work from 15)
MAX_TRAVEL_KM = 300.0  # farther than across the whole province
MAX_VND = 10**12  # a bound that no income or fee reaches, so the columns never overflow
ID_PATTERN = r"^[\w.\-]{1,64}$"  # a client or option id (no "/": it is a path segment)

Kind = Literal["training", "job", "livelihood"]
Lang = Literal["vi", "en"]
ReasonCode = Literal["too_far", "not_interested", "not_eligible", "no_capacity",
                     "unreachable", "other"]
PlacementStatusName = Literal["ongoing", "completed", "dropped"]


# Stored in UTC; SQLite gives them back without a zone, PostgreSQL with one.
Timestamp = Annotated[datetime | None, AfterValidator(as_utc)]

# Stored columns a PATCH may not empty (the table holds a value for each).
NOT_NULL = frozenset({"birth_date", "gender", "group", "place", "disability",
                      "needs_women_only", "household_poor", "ethnic_minority", "married",
                      "consent_share"})

_ID = re.compile(ID_PATTERN)
_CHOICES = {
    "gender": contract.choice(domain.Gender, "gender"),
    "group": contract.choice(domain.Group),
    "education": contract.choice(domain.Education),
    "disability": contract.choice(domain.Disability),
}


def age_on(born: date, on: date) -> int:
    return on.year - born.year - int((on.month, on.day) < (born.month, born.day))


def check_birth_date(born: date, today: date | None = None) -> date:
    today = today or date.today()
    if born > today:
        raise ValueError(f"{born} is in the future")
    age = age_on(born, today)
    if age > OLDEST_AGE_YEARS:
        raise ValueError(f"{born} gives an age of {age}: at most {OLDEST_AGE_YEARS}")
    if age < YOUNGEST_AGE_YEARS:
        raise ValueError(f"{born} gives an age of {age}: clients are "
                         f"{YOUNGEST_AGE_YEARS} or older")
    return born


def no_nul(value: Any) -> Any:
    """PostgreSQL cannot store a NUL character: refuse it as bad input, not a crash."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text may not contain a NUL character")
    return value


class _ClientChecks(BaseModel):
    """The contract's checks, shared by create, update and unsaved profiles."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return no_nul(value)

    @field_validator("gender", "group", "education", "disability", check_fields=False)
    @classmethod
    def _choice(cls, value: str | None, info) -> str | None:
        return None if value is None else _CHOICES[info.field_name](value)

    @field_validator("place", check_fields=False)
    @classmethod
    def _place(cls, value: str | None) -> str | None:
        # unknown or ambiguous: "unknown place 'x'; closest: A, B, C"
        return None if value is None else contract.place(value)

    @field_validator("birth_date", check_fields=False)
    @classmethod
    def _born(cls, value: date | None) -> date | None:
        return None if value is None else check_birth_date(value)

    @field_validator("registered_on", check_fields=False)
    @classmethod
    def _registered(cls, value: date | None) -> date | None:
        if value is not None and value > date.today():
            raise ValueError(f"{value} is in the future")
        return value


class ProfileIn(_ClientChecks):
    """A client's profile as the contract's client columns (``group``, ``place`` as text)."""

    full_name: str | None = Field(default=None, max_length=200)
    birth_date: date
    gender: str = Field(max_length=32, description="female, male, other (or nữ, nam, khác)")
    group: str = Field(max_length=64, description="a group code of docs/design.md, or other")
    place: str = Field(min_length=1, max_length=200,
                       description="the locality as free text, old or new name")
    education: str | None = Field(default=None, max_length=64)
    disability: str = Field(default="none", max_length=64)
    interests: str | None = Field(default=None, max_length=2000)
    skills: str | None = Field(default=None, max_length=2000)
    max_travel_km: float | None = Field(default=None, ge=0, le=MAX_TRAVEL_KM,
                                        allow_inf_nan=False)
    needs_women_only: bool = False
    household_poor: bool = False
    ethnic_minority: bool = False
    married: bool = False
    prior_income_vnd_month: int | None = Field(default=None, ge=0, le=MAX_VND)
    consent_share: bool = False
    registered_on: date | None = None
    notes: str | None = Field(default=None, max_length=4000)

    def profile(self, client_id: str | None = None) -> ClientProfile:
        """The engine's view (name and notes are not part of it)."""
        values = self.model_dump(exclude={"full_name", "notes", "place"})
        return ClientProfile.from_record({**values, "place_id": self.place,
                                          "client_id": client_id})


class ClientCreate(ProfileIn):
    client_id: str | None = Field(default=None, pattern=ID_PATTERN,
                                  description="given, or generated (KH…) when left out")


class ClientUpdate(_ClientChecks):
    """Only the fields sent change; null empties an optional field."""

    full_name: str | None = Field(default=None, max_length=200)
    birth_date: date | None = None
    gender: str | None = Field(default=None, max_length=32)
    group: str | None = Field(default=None, max_length=64)
    place: str | None = Field(default=None, min_length=1, max_length=200)
    education: str | None = Field(default=None, max_length=64)
    disability: str | None = Field(default=None, max_length=64)
    interests: str | None = Field(default=None, max_length=2000)
    skills: str | None = Field(default=None, max_length=2000)
    max_travel_km: float | None = Field(default=None, ge=0, le=MAX_TRAVEL_KM,
                                        allow_inf_nan=False)
    needs_women_only: bool | None = None
    household_poor: bool | None = None
    ethnic_minority: bool | None = None
    married: bool | None = None
    prior_income_vnd_month: int | None = Field(default=None, ge=0, le=MAX_VND)
    consent_share: bool | None = None
    registered_on: date | None = None
    notes: str | None = Field(default=None, max_length=4000)


class CaseworkerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: int = Field(ge=1, le=2**31 - 1, description="an active social worker's user id")


class ClientOut(BaseModel):
    client_id: str
    full_name: str | None
    birth_date: date
    age: int
    gender: str
    group: str
    place_id: str
    place: str
    education: str | None
    disability: str
    interests: str | None
    skills: str | None
    max_travel_km: float | None
    needs_women_only: bool
    household_poor: bool
    ethnic_minority: bool
    married: bool
    prior_income_vnd_month: int | None
    consent_share: bool
    registered_on: date | None
    notes: str | None
    caseworker_id: int | None
    created_at: Timestamp
    updated_at: Timestamp


class ClientSummary(BaseModel):
    """One search hit: who, not why (no group, no notes)."""

    client_id: str
    full_name: str | None
    birth_date: date
    gender: str
    place_id: str
    place: str
    caseworker_id: int | None


class ClientSearch(BaseModel):
    """A search of the clients the caller may see: sent in the body, so that a name never
    lands in a URL, a proxy's log or the browser's history."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(default=None, max_length=200, description=(
        "name (with or without diacritics) or the start of a client id"))
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)

    @field_validator("q")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        return no_nul(value)


class ClientPage(BaseModel):
    items: list[ClientSummary]
    total: int
    limit: int
    offset: int


# --- suggestions -----------------------------------------------------------------------


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


class PricingOut(BaseModel):
    """Whether the list was ranked net of seat prices, and what the prices rest on."""

    on: bool
    state: Literal["off", "no_run", "no_demand", "priced"]
    vi: str
    en: str
    computed_at: str | None = None
    n_waiting: int = 0
    expected_arrivals: float = 0.0


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


# --- decisions and placements ----------------------------------------------------------


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


class PlacementDetail(PlacementOut):
    checks: list[CheckOut] = Field(description="The follow-ups at 3 and 6 months recorded.")


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
