"""Cohort plans: the request, the stored plan (the ``allocate --json`` body) and a commit."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from api.schemas.clients import ID_PATTERN
from matcher.vocab.domain import Group

MAX_COHORT = 5000

# The same id pattern as everywhere else: letters, digits, "_", "-", "." (a NUL or a slash
# could never be a stored id, and PostgreSQL refuses a NUL outright).
ClientId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Weight = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]


class PlanRequest(BaseModel):
    """A cohort to plan for: stored clients, an optional budget, priorities per group."""

    model_config = ConfigDict(extra="forbid")

    client_ids: list[ClientId] = Field(min_length=1, max_length=MAX_COHORT,
                                       description="Stored clients, each listed once.")
    budget_vnd: int | None = Field(default=None, ge=0, le=10**15,
                                   description="Budget for fees and start-up packages.")
    priority: dict[Group, Weight] = Field(
        default_factory=dict, description="Weight of each group in the objective (1 when "
        "not given, 0 to 10).")

    @field_validator("client_ids")
    @classmethod
    def _unique(cls, ids: list[str]) -> list[str]:
        repeated = [i for i, n in Counter(ids).items() if n > 1]
        if repeated:
            more = f" and {len(repeated) - 10} more" if len(repeated) > 10 else ""
            raise ValueError(f"list each client once; repeated: {', '.join(repeated[:10])}{more}")
        return ids


class Assignment(BaseModel):
    model_config = ConfigDict(extra="allow")

    client_id: str
    option_id: str
    p_success: float


class Unassigned(BaseModel):
    model_config = ConfigDict(extra="allow")

    client_id: str
    reason: str = Field(description="no_eligible_option, capacity, budget or not_worth.")
    vi: str
    en: str


class Baseline(BaseModel):
    model_config = ConfigDict(extra="allow")

    method: str
    objective: float
    expected_successes: float
    assigned: int
    unassigned: int
    seats_left_empty: int
    cost_vnd: int
    optimal: bool
    gap: float | None = None
    shortfall: float
    seconds: float


class PlanBody(BaseModel):
    """What ``matcher allocate --json`` prints; keys may be added, these keep their meaning."""

    model_config = ConfigDict(extra="allow")

    assignments: list[Assignment]
    objective: float
    expected_successes: float
    cost_vnd: int
    budget_vnd: int | None
    optimal: bool
    method: str
    model_version: str
    seats_left_empty: int
    gain_over: dict[str, float]
    baselines: dict[str, Baseline]
    unassigned: list[Unassigned]


class PlanOut(PlanBody):
    plan_id: int
    status: str = Field(description="draft or committed.")
    created_at: datetime
    created_by: int | None
    committed_at: datetime | None = None
    committed_by: int | None = None


class PlanSummary(BaseModel):
    plan_id: int
    status: str
    created_at: datetime
    created_by: int | None
    committed_at: datetime | None
    committed_by: int | None
    model_version: str
    budget_vnd: int | None
    n_clients: int
    n_assigned: int
    objective: float | None
    expected_successes: float | None
    cost_vnd: int | None


class PlacementOut(BaseModel):
    placement_id: str
    client_id: str
    option_id: str
    start_date: date
    status: str
    plan_id: int


class CommitOut(BaseModel):
    plan_id: int
    status: str
    committed_at: datetime
    committed_by: int | None
    placements: list[PlacementOut]
