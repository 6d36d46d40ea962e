"""Referrals: the placements into a provider's options, with what the client agreed to share.

A client who consented (consent_share) is shown by name, gender, age, home place and whether
sign language is needed; of any other client the provider learns nothing but a reference.
Group, notes, history, other placements, caseworker and income are never part of it.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field


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
    status: str = Field(description="ongoing, completed or dropped.")
    client: SharedClient | WithheldClient


class ReferralPage(BaseModel):
    items: list[ReferralOut]
    total: int
