"""An unsaved client profile (JSON with the data contract's client columns), read and checked
as an import reads a clients file: the same parsers and the same messages."""

from __future__ import annotations

from typing import Any

from matcher.ingest.contract import CONTRACT
from matcher.ingest.errors import ImportFailed, Problem
from matcher.store.profiles import ClientProfile


def parse_profile(data: dict[str, Any]) -> ClientProfile:
    """An unsaved profile (JSON with the contract's client columns), checked like an import.

    Raises :class:`matcher.ingest.ImportFailed` naming each field at fault.
    """
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
