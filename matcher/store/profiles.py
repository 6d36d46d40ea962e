"""A client's profile as the engine sees it, from the database or from an unsaved form."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from matcher.store.tables import Client

DEFAULT_TRAVEL_KM = 30.0  # when the social worker did not record a limit


@dataclass(frozen=True)
class ClientProfile:
    birth_date: date
    gender: str
    group: str
    place_id: str
    client_id: str | None = None
    education: str | None = None
    disability: str = "none"
    interests: str = ""
    skills: str = ""
    max_travel_km: float | None = None
    needs_women_only: bool = False
    household_poor: bool = False
    ethnic_minority: bool = False
    married: bool = False
    prior_income_vnd_month: int | None = None
    consent_share: bool = False
    registered_on: date | None = None

    @property
    def travel_limit_km(self) -> float:
        return DEFAULT_TRAVEL_KM if self.max_travel_km is None else float(self.max_travel_km)

    def age(self, on: date | None = None) -> int:
        """Whole years on ``on`` (today by default), as the Labour Code counts them."""
        on = on or date.today()
        before_birthday = (on.month, on.day) < (self.birth_date.month, self.birth_date.day)
        return on.year - self.birth_date.year - int(before_birthday)

    @property
    def wishes(self) -> str:
        """The free text the client's wishes are read from: interests, then skills."""
        return " ; ".join(t for t in (self.interests, self.skills) if t)

    @classmethod
    def from_record(cls, record: Any) -> ClientProfile:
        """From a stored client (ORM object or row with the table's attribute names)."""
        get = (lambda k: record.get(k)) if isinstance(record, dict) else (
            lambda k: getattr(record, k, None))
        values = {f.name: get(f.name) for f in fields(cls) if f.name != "group"}
        values["group"] = get("group_code") or get("group")
        values = {k: v for k, v in values.items() if v is not None and v == v}  # NaN: missing
        values["interests"] = values.get("interests") or ""
        values["skills"] = values.get("skills") or ""
        return cls(**values)


def profiles_frame(clients: list[ClientProfile]) -> pd.DataFrame:
    """Profiles as the rows of a clients frame (the columns :func:`pair_features` reads).

    Values are read as the one-client path reads them (:func:`client_features`): a missing
    disability is "none", missing text is "".
    """
    return pd.DataFrame({
        "client_id": [c.client_id for c in clients],
        "birth_date": [c.birth_date for c in clients],
        "gender": [c.gender for c in clients],
        "group_code": [str(c.group) for c in clients],
        "place_id": [c.place_id for c in clients],
        "education": [c.education for c in clients],
        "disability": [c.disability or "none" for c in clients],
        "interests": [c.interests or "" for c in clients],
        "skills": [c.skills or "" for c in clients],
        "max_travel_km": [c.max_travel_km for c in clients],
        "needs_women_only": [bool(c.needs_women_only) for c in clients],
        "household_poor": [bool(c.household_poor) for c in clients],
        "ethnic_minority": [bool(c.ethnic_minority) for c in clients],
        "married": [bool(c.married) for c in clients],
        "prior_income_vnd_month": [c.prior_income_vnd_month for c in clients],
    })


def load_profile(session: Session, client_id: str) -> ClientProfile:
    """A stored client's profile; KeyError when there is none."""
    row = session.get(Client, client_id)
    if row is None:
        raise KeyError(f"unknown client {client_id}")
    return ClientProfile.from_record(row)
