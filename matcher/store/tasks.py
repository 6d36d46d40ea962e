"""A social worker's tasks ("Việc cần làm"), read from the store for one caseload.

- returned: clients whose latest referral ended before they started (the provider declined,
  or they never came) and who have not been referred again: suggest anew. With the reason.
- unanswered: referrals still ongoing that their provider has not answered after
  ``answer_days`` days: call the provider.
- follow-ups: placements 3 or 6 months after their start with no follow-up of that month
  recorded (nor any follow-up on or after that day, nor, at 6 months, a known outcome);
  due within ``FOLLOWUP_GRACE_DAYS`` of that day, overdue after.

Each list is bounded (``LIMIT``, oldest first) and comes with its full count. Codes and ids
only; the page turns them into words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from matcher.store.tables import (
    Client,
    Option,
    Placement,
    PlacementCheck,
    PlacementReport,
    ReferralAnswer,
)

#: A follow-up is due from its day for this long, overdue after.
FOLLOWUP_GRACE_DAYS = 30
#: The most items of one list; the count says how many there are.
LIMIT = 200
#: The follow-ups and the day after the start each is due (as the placement page says).
DUE_AFTER = {3: timedelta(days=91), 6: timedelta(days=182)}


@dataclass
class Tasks:
    returned: list[dict[str, Any]] = field(default_factory=list)
    unanswered: list[dict[str, Any]] = field(default_factory=list)
    followups_due: list[dict[str, Any]] = field(default_factory=list)
    followups_overdue: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _returned(session: Session, caseworker_id: int) -> list[dict[str, Any]]:
    mine = select(Client.client_id).where(Client.caseworker_id == caseworker_id)
    latest = (select(Placement.client_id, func.max(Placement.created_at).label("at"))
              .where(Placement.client_id.in_(mine)).group_by(Placement.client_id).subquery())
    rows = session.execute(
        select(Placement.placement_id, Placement.client_id, Placement.option_id,
               Option.title, Placement.created_at, ReferralAnswer.answer,
               ReferralAnswer.reason_code, ReferralAnswer.answered_at)
        .join(latest, and_(latest.c.client_id == Placement.client_id,
                           latest.c.at == Placement.created_at))
        .join(Option, Option.option_id == Placement.option_id)
        .outerjoin(ReferralAnswer, ReferralAnswer.placement_id == Placement.placement_id)
        .where(Placement.status == "not_started")
        .order_by(Placement.created_at, Placement.placement_id)).all()
    no_shows = dict(session.execute(
        select(PlacementReport.placement_id, PlacementReport.reported_on)
        .where(PlacementReport.kind == "no_show",
               PlacementReport.placement_id.in_([r.placement_id for r in rows]))).all()) \
        if rows else {}
    out = []
    for r in rows:
        declined = r.answer == "declined"
        out.append({"client_id": r.client_id, "placement_id": r.placement_id,
                    "option_id": r.option_id, "option_title": r.title,
                    "why": "declined" if declined else "no_show",
                    "reason_code": r.reason_code if declined else None,
                    "on": r.answered_at.date() if declined and r.answered_at
                    else no_shows.get(r.placement_id)})
    return out


def _unanswered(session: Session, caseworker_id: int, today: date,
                answer_days: int) -> list[dict[str, Any]]:
    before = datetime.combine(today - timedelta(days=answer_days), time.min, tzinfo=UTC)
    rows = session.execute(
        select(Placement.placement_id, Placement.client_id, Placement.option_id, Option.title,
               Placement.created_at)
        .join(Client, Client.client_id == Placement.client_id)
        .join(Option, Option.option_id == Placement.option_id)
        .outerjoin(ReferralAnswer, ReferralAnswer.placement_id == Placement.placement_id)
        .where(Client.caseworker_id == caseworker_id, Placement.status == "ongoing",
               ReferralAnswer.placement_id.is_(None), Placement.created_at < before)
        .order_by(Placement.created_at, Placement.placement_id)).all()
    return [{"client_id": r.client_id, "placement_id": r.placement_id,
             "option_id": r.option_id, "option_title": r.title,
             "referred_on": r.created_at.date(),
             "days": (today - r.created_at.date()).days} for r in rows]


def _followups(session: Session, caseworker_id: int,
               today: date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    earliest = today - min(DUE_AFTER.values())
    rows = session.execute(
        select(Placement.placement_id, Placement.client_id, Placement.option_id, Option.title,
               Placement.start_date, Placement.followed_up_on, Placement.success)
        .join(Client, Client.client_id == Placement.client_id)
        .join(Option, Option.option_id == Placement.option_id)
        .where(Client.caseworker_id == caseworker_id,
               Placement.status.in_(("ongoing", "completed")),
               Placement.start_date <= earliest)
        .order_by(Placement.start_date, Placement.placement_id)).all()
    done: set[tuple[str, int]] = set()
    if rows:
        done = {(p, m) for p, m in session.execute(
            select(PlacementCheck.placement_id, PlacementCheck.months)
            .join(Placement, Placement.placement_id == PlacementCheck.placement_id)
            .join(Client, Client.client_id == Placement.client_id)
            .where(Client.caseworker_id == caseworker_id)).all()}
    due, overdue = [], []
    for r in rows:
        for months, after in DUE_AFTER.items():
            day = r.start_date + after
            if day > today or (r.placement_id, months) in done:
                continue
            # A follow-up recorded on or after the day (an imported placement's, which has
            # no checks), or the 6-month outcome known, covers it.
            if (r.followed_up_on is not None and r.followed_up_on >= day) or \
                    (months == 6 and r.success is not None):
                continue
            item = {"client_id": r.client_id, "placement_id": r.placement_id,
                    "option_id": r.option_id, "option_title": r.title, "months": months,
                    "due_on": day, "days_late": (today - day).days}
            (overdue if item["days_late"] > FOLLOWUP_GRACE_DAYS else due).append(item)
    return due, overdue


def tasks_for(session: Session, caseworker_id: int, *, today: date,
              answer_days: int) -> Tasks:
    """The tasks of one social worker's caseload on ``today``."""
    lists = {"returned": _returned(session, caseworker_id),
             "unanswered": _unanswered(session, caseworker_id, today, answer_days)}
    lists["followups_due"], lists["followups_overdue"] = _followups(session, caseworker_id,
                                                                    today)
    return Tasks(**{k: v[:LIMIT] for k, v in lists.items()},
                 counts={k: len(v) for k, v in lists.items()})
