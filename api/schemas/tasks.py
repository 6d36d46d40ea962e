"""The social worker's task list: codes and ids, the page gives the words."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field


class ReturnedClient(BaseModel):
    client_id: str
    placement_id: str
    option_id: str
    option_title: str
    why: Literal["declined", "no_show"]
    reason_code: str | None = Field(description="The provider's decline reason code.")
    on: date | None = Field(description="When it was declined, or the no-show's date.")


class Unanswered(BaseModel):
    client_id: str
    placement_id: str
    option_id: str
    option_title: str
    referred_on: date
    days: int = Field(description="Days since the referral.")


class FollowUpDue(BaseModel):
    client_id: str
    placement_id: str
    option_id: str
    option_title: str
    months: Literal[3, 6]
    due_on: date
    days_late: int = Field(description="Days since it was due (0: today).")


class TaskCounts(BaseModel):
    returned: int
    unanswered: int
    followups_due: int
    followups_overdue: int


class TasksOut(BaseModel):
    answer_days: int = Field(description="A referral unanswered this long is listed "
                                         "(MATCHER_REFERRAL_ANSWER_DAYS).")
    counts: TaskCounts = Field(description="Full counts; each list holds at most 200, "
                                           "oldest first.")
    returned: list[ReturnedClient]
    unanswered: list[Unanswered]
    followups_due: list[FollowUpDue]
    followups_overdue: list[FollowUpDue]
