"""The data contract: the columns of each file and how each value is read.

The README's "The data contract" is its user's version; docs/design.md says where it sits.

A parser takes the cell's text and returns the stored value, or raises ``ValueError`` with a
message that says what is wrong and what is expected; the importer adds the row and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from matcher.vocab import domain
from matcher.vocab.text import fold, split_list


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str], Any]
    required: bool = False
    field: str | None = None  # the table attribute, when it differs from the column name

    @property
    def target(self) -> str:
        return self.field or self.name


# --- value parsers ---------------------------------------------------------------------

_TRUE = {"1", "true", "co", "yes", "x", "y"}
_FALSE = {"0", "false", "khong", "no", "n"}


def boolean(text: str) -> bool:
    value = fold(text)
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{text!r} is not a yes/no value: use 1/0, true/false or có/không")


# A whole number as people and spreadsheets write it: "3000000", "3.000.000" or "3,000,000"
# (thousands), and with a fraction of zeros, which pandas and Excel exports add: "3000000.0",
# "3.000.000,0", "3,000,000.00". The fraction's mark is the one the thousands do not use.
_WHOLE = re.compile(r"^(?P<sign>-?)(?P<int>\d{1,3}(?:(?P<sep>[.,\s])\d{3})(?:(?P=sep)\d{3})*|\d+)"
                    r"(?:(?P<mark>[.,])(?P<frac>\d+))?$")


def integer(text: str) -> int:
    cleaned = text.replace("\u00a0", " ").strip()
    m = _WHOLE.match(cleaned)
    if m is None or (m["mark"] is not None and m["mark"] == m["sep"]):
        raise ValueError(f"{text!r} is not a whole number")
    if m["frac"] is not None and m["frac"].strip("0"):
        raise ValueError(f"{text!r} is not a whole number: it has a fraction")
    return int(m["sign"] + re.sub(r"[.,\s]", "", m["int"]))


def non_negative_integer(text: str) -> int:
    value = integer(text)
    if value < 0:
        raise ValueError(f"{value} is negative: it must be 0 or more")
    return value


def non_negative_number(text: str) -> float:
    cleaned = text.strip()
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")  # Vietnamese decimal comma: "7,5" km
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"{text!r} must be a number of 0 or more")
    return value


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date(text: str) -> date:
    value = text.strip()
    if _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{text!r} is not a date: write it as YYYY-MM-DD (e.g. 2009-05-31)")


def identifier(text: str) -> str:
    value = text.strip()
    if len(value) > 64:
        raise ValueError("an id is at most 64 characters")
    if not re.fullmatch(r"[\w.\-/]+", value):
        raise ValueError(f"{text!r} is not a valid id: letters, digits, - _ . / only")
    return value


def limited_text(limit: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if len(text) > limit:
            raise ValueError(f"the text is {len(text)} characters; at most {limit}")
        return text

    return parse


_VIETNAMESE_VALUES = {
    # What a Vietnamese spreadsheet says for the contract's English codes.
    "gender": {"nu": "female", "nam": "male", "khac": "other"},
}


def choice(enum: type[StrEnum], column: str | None = None) -> Callable[[str], str]:
    allowed = [e.value for e in enum]
    aliases = _VIETNAMESE_VALUES.get(column or "", {})

    def parse(text: str) -> str:
        value = fold(text).replace(" ", "_")
        if value in allowed:
            return value
        if value in aliases:
            return aliases[value]
        raise ValueError(f"{text!r} is not one of: {', '.join(allowed)}")

    return parse


def choices(enum: type[StrEnum]) -> Callable[[str], str]:
    """A ``;``-separated list of codes ("gbv_survivor; trafficking_returnee"), stored sorted
    and comma-joined."""
    one = choice(enum)

    def parse(text: str) -> str:
        values = sorted({one(part) for part in split_list(text)})
        if not values:
            raise ValueError(f"name at least one of: {', '.join(e.value for e in enum)}")
        return ",".join(values)

    return parse


def place(text: str) -> str:
    from matcher.vocab.places import PlaceNotFound, load_place_index

    try:
        return load_place_index().resolve(text).place_id
    except PlaceNotFound as exc:
        raise ValueError(_not_found("place", text, exc)) from None


def trades(text: str) -> list[str]:
    from matcher.vocab.trades import TradeNotFound, load_trade_index

    if not split_list(text):
        raise ValueError("at least one trade is needed")
    try:
        return [t.trade_id for t in load_trade_index().resolve_list(text)]
    except TradeNotFound as exc:
        raise ValueError(_not_found("trade", exc.value, exc)) from None


def _not_found(what: str, text: str, exc: Any) -> str:
    kind = "ambiguous" if getattr(exc, "reason", "") == "ambiguous" else "unknown"
    candidates = list(getattr(exc, "candidates", []) or [])
    names = [getattr(c, "label", c) for c in candidates]
    closest = f"; closest: {', '.join(map(str, names))}" if names else ""
    return f"{kind} {what} {text!r}{closest}"


# --- the files ---------------------------------------------------------------------------

Clients = [
    Column("client_id", identifier, required=True),
    Column("full_name", limited_text(200)),
    Column("birth_date", iso_date, required=True),
    Column("gender", choice(domain.Gender, "gender"), required=True),
    Column("group", choice(domain.Group), required=True, field="group_code"),
    Column("place", place, required=True, field="place_id"),
    Column("education", choice(domain.Education)),
    Column("disability", choice(domain.Disability)),
    Column("interests", limited_text(2000)),
    Column("skills", limited_text(2000)),
    Column("max_travel_km", non_negative_number),
    Column("needs_women_only", boolean),
    Column("household_poor", boolean),
    Column("ethnic_minority", boolean),
    Column("married", boolean),
    Column("prior_income_vnd_month", non_negative_integer),
    Column("consent_share", boolean),
    Column("registered_on", iso_date),
]

Providers = [
    Column("provider_id", identifier, required=True),
    Column("name", limited_text(300), required=True),
    Column("kind", choice(domain.ProviderKind), required=True),
    Column("place", place, required=True, field="place_id"),
    Column("phone", limited_text(40)),
]

Options = [
    Column("option_id", identifier, required=True),
    Column("provider_id", identifier, required=True),
    Column("kind", choice(domain.OptionKind), required=True),
    Column("title", limited_text(300), required=True),
    # Required of every kind with trades, and the capacity of every kind but a club, whose
    # empty capacity means it takes everyone who comes (option_rules, below).
    Column("trades", trades, field="trade_ids"),
    Column("place", place, required=True, field="place_id"),
    Column("capacity", non_negative_integer),
    Column("min_age", non_negative_integer),
    Column("max_age", non_negative_integer),
    Column("cost_vnd", non_negative_integer),
    Column("wage_vnd_day", non_negative_integer),
    Column("duration_weeks", non_negative_integer),
    Column("women_only", boolean),
    Column("sign_language", boolean),
    Column("accepts_records", boolean),
    Column("start_date", iso_date),
    Column("groups_served", choices(domain.Group)),  # a club's; empty: everyone
]

Placements = [
    Column("placement_id", identifier, required=True),
    Column("client_id", identifier, required=True),
    Column("option_id", identifier, required=True),
    Column("start_date", iso_date, required=True),
    Column("status", choice(domain.PlacementStatus)),
    Column("success", boolean),
    Column("income_vnd_day", non_negative_integer),
    Column("followed_up_on", iso_date),
]

Followups = [
    Column("client_id", identifier, required=True),
    Column("followed_up_on", iso_date, required=True),
    Column("earning", boolean, required=True),
    Column("income_vnd_day", non_negative_integer),
]


def option_rules(values: dict[str, Any]) -> list[tuple[str, str]]:
    """What one option row's kind asks of its other columns (matcher.vocab.kinds): each
    problem as (column, message)."""
    from matcher.vocab.kinds import BY_CODE

    kind = BY_CODE.get(values.get("kind", ""))
    if kind is None:
        return []  # the kind itself was reported
    problems: list[tuple[str, str]] = []
    if kind.has_trades and not values.get("trade_ids"):
        problems.append(("trades", "required value is empty"))
    if not kind.has_trades and values.get("trade_ids"):
        problems.append(("trades", f"a {kind.code} option has no trades: leave it empty"))
    if kind.placement and "capacity" not in values:
        problems.append(("capacity", "required value is empty"))
    if kind.placement and values.get("groups_served"):
        problems.append(("groups_served", "only a club states the groups it serves: "
                                          "leave it empty"))
    if not kind.has_cost:
        for column in ("cost_vnd", "wage_vnd_day"):
            if values.get(column):
                problems.append((column, f"a {kind.code} costs nothing and pays nothing: "
                                         "leave it empty or 0"))
    return problems


#: Checks across a row's columns, by file (after every value parsed).
ROW_RULES: dict[str, Callable[[dict[str, Any]], list[tuple[str, str]]]] = {
    "options": option_rules,
}

CONTRACT: dict[str, list[Column]] = {
    "providers": Providers,
    "options": Options,
    "clients": Clients,
    "placements": Placements,
    "followups": Followups,
}
