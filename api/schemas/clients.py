"""Request and response models of the client routes (suggestions: api.schemas.suggestions;
decisions, placements and follow-ups: api.schemas.placements).

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
from matcher.clock import as_utc
from matcher.ingest import contract
from matcher.ingest.importer import OLDEST_AGE_YEARS
from matcher.store.profiles import ClientProfile
from matcher.vocab import domain
from matcher.vocab import kinds as kind_table

YOUNGEST_AGE_YEARS = 10  # younger than any programme takes (training from 13, work from 15)
MAX_TRAVEL_KM = 300.0  # farther than across the whole province
MAX_VND = 10**12  # a bound that no income or fee reaches, so the columns never overflow
ID_PATTERN = r"^[\w.\-]{1,64}$"  # a client or option id (no "/": it is a path segment)

Kind = Literal[kind_table.PLACEMENT_CODES]  # suggestions: clubs have their own list
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
