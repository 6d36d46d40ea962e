"""Capacity: a provider's update of its own options, and the history of changes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

MAX_CAPACITY = 10_000


class OptionUpdate(BaseModel):
    """The fields a provider may change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    capacity: int | None = Field(default=None, ge=0, le=MAX_CAPACITY,
                                 description="Seats, openings or slots free now.")
    start_date: date | None = Field(
        default=None, description="Today or later when changed; null (no fixed date) only "
        "for jobs and livelihood models.")
    duration_weeks: int | None = Field(default=None, ge=1, le=520)
    cost_vnd: int | None = Field(default=None, ge=0, le=10**10,
                                 description="Fee or start-up cost.")
    wage_vnd_day: int | None = Field(default=None, ge=0, le=10**8,
                                     description="Wage, or typical earnings after.")


class ChangeOut(BaseModel):
    """One change of an option: who, when, which field, from what to what, and why."""

    change_id: int
    at: datetime
    username: str | None = Field(description=(
        "Who made it; empty for imports and the CLI. In a provider's own history only the "
        "provider's accounts are named: anyone else is given by ``actor`` alone."))
    actor: str | None = Field(default=None, description=(
        "The role of who made it: provider, social_worker, programme_staff or admin; empty "
        "for imports and the CLI."))
    field: str
    old: str | None
    new: str | None
    cause: str = Field(description="provider, placement, plan or import.")


class ChangePage(BaseModel):
    option_id: str
    items: list[ChangeOut]
    total: int
