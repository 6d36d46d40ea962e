"""The store's clients, placements and follow-ups as column-oriented frames.

One row each, in a fixed order: the engine, the outcome model, the review and the seat
prices read them whole (the options and their trades: matcher.store.catalog).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.store.tables import Client, FollowUp, Placement

CLIENT_COLUMNS = [
    "client_id", "full_name", "birth_date", "gender", "group_code", "place_id", "education",
    "disability", "interests", "skills", "max_travel_km", "needs_women_only", "household_poor",
    "ethnic_minority", "married", "prior_income_vnd_month", "consent_share", "registered_on",
]
PLACEMENT_COLUMNS = [
    "placement_id", "client_id", "option_id", "start_date", "status", "success",
    "income_vnd_day", "followed_up_on",
]
FOLLOWUP_COLUMNS = ["client_id", "followed_up_on", "earning", "income_vnd_day"]


def load_clients(session: Session, client_ids: list[str] | None = None) -> pd.DataFrame:
    query = select(*(getattr(Client, c) for c in CLIENT_COLUMNS)).order_by(Client.client_id)
    if client_ids is not None:
        query = query.where(Client.client_id.in_(client_ids))
    return frame(session, query, CLIENT_COLUMNS)


def load_placements(session: Session) -> pd.DataFrame:
    return frame(session, select(*(getattr(Placement, c) for c in PLACEMENT_COLUMNS))
                 .order_by(Placement.start_date, Placement.placement_id), PLACEMENT_COLUMNS)


def load_followups(session: Session) -> pd.DataFrame:
    return frame(session, select(*(getattr(FollowUp, c) for c in FOLLOWUP_COLUMNS)),
                 FOLLOWUP_COLUMNS)


def frame(session: Session, query, columns: list[str]) -> pd.DataFrame:
    """A query's rows as a frame with these column names."""
    return pd.DataFrame(session.execute(query).all(), columns=columns)
