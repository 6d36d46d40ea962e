"""Support clubs: the short list beside a client's placements, and referrals to a club.

A club is not a placement (matcher.vocab.kinds, matcher.matching.clubs): its list never
mixes with the suggestions, and its outcome is whether the client still attends three
months after joining.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.clients import ID_PATTERN
from api.schemas.referrals import SharedClient


class NearbyClubOut(BaseModel):
    option_id: str
    title: str
    provider_name: str
    place_id: str
    place_name: str
    distance_km: float
    places_left: int | None = Field(description="None: the club takes everyone who comes.")
    women_only: bool
    sign_language: bool
    groups: list[str] = Field(description="The groups it serves; empty: everyone.")


class ClubReferralIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    option_id: str = Field(pattern=ID_PATTERN, max_length=64)
    consent: bool = Field(description="The client agrees to join and to the club knowing "
                                      "their name, age and home place. Must be true.")


class ClubReferralOut(BaseModel):
    referral_id: str
    client_id: str
    option_id: str
    title: str
    provider_name: str
    referred_on: date
    check_due_on: date = Field(description="From when the three-month check can be made.")
    attending_3m: bool | None
    checked_on: date | None


class ClubCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attending: bool = Field(description="Still attending the club three months on.")
    checked_on: date


class ClientClubs(BaseModel):
    nearby: list[NearbyClubOut]
    referrals: list[ClubReferralOut]
    note: str | None = Field(default=None, description="Why the list is empty, in English.")


class ClubMemberOut(BaseModel):
    referral_id: str
    option_id: str
    title: str
    referred_on: date
    client: SharedClient


class ClubMemberPage(BaseModel):
    items: list[ClubMemberOut]
    total: int
