"""The directory: providers and options as social workers and programme staff see them."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class TradeOut(BaseModel):
    trade_id: str
    name_vi: str = Field(description="Vietnamese name, with diacritics.")
    name_en: str


class OptionOut(BaseModel):
    """One option: a course, a job opening or a livelihood model, with its free seats."""

    option_id: str
    provider_id: str
    provider_name: str
    kind: str = Field(description="training, job, livelihood or club.")
    title: str
    trades: list[TradeOut]
    place_id: str
    place_name: str
    capacity: int = Field(description="Seats, openings or slots free now.")
    min_age: int | None
    max_age: int | None
    cost_vnd: int | None = Field(description="Fee or start-up cost.")
    wage_vnd_day: int | None = Field(description="Wage, or typical earnings after.")
    duration_weeks: int | None
    start_date: date | None
    women_only: bool
    sign_language: bool
    accepts_records: bool
    version: int = Field(description="Changes with every update: send it back in If-Match.")
    unlimited: bool = Field(default=False, description="A club that takes everyone who comes: "
                                                       "capacity counts nothing.")
    groups_served: list[str] = Field(default_factory=list,
                                     description="A club's: the groups it serves (empty: all).")


class OptionPage(BaseModel):
    items: list[OptionOut]
    total: int = Field(description="Options matching the filters, over all pages.")


class ProviderOut(BaseModel):
    provider_id: str
    name: str
    kind: str = Field(description="trainer, employer or livelihood.")
    place_id: str
    place_name: str
    phone: str | None
    option_count: int


class ProviderPage(BaseModel):
    items: list[ProviderOut]
    total: int


class ProviderDetail(ProviderOut):
    options: list[OptionOut]
