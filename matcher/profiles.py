"""A client's profile as the engine sees it, from the database or from an unsaved form."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

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


def parse_profile(data: dict[str, Any]) -> ClientProfile:
    """An unsaved profile (JSON with the contract's client columns), checked like an import.

    Raises :class:`matcher.ingest.ImportFailed` naming each field at fault.
    """
    from matcher.ingest.contract import CONTRACT
    from matcher.ingest.errors import ImportFailed, Problem

    spec = {c.name: c for c in CONTRACT["clients"]}
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key, raw in data.items():
        column = spec.get(key)
        if column is None:
            problems.append(Problem(None, key, "not a client field"))
            continue
        if raw is None or str(raw).strip() == "":
            continue
        try:
            values[column.target] = column.parse(str(raw).strip())
        except ValueError as exc:
            problems.append(Problem(None, key, str(exc)))
    for column in spec.values():
        if column.required and column.name != "client_id" and column.target not in values:
            if not any(p.column == column.name for p in problems):
                problems.append(Problem(None, column.name, "required value is missing"))
    if problems:
        raise ImportFailed(problems)
    return ClientProfile.from_record(values)
