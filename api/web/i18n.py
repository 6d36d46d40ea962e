"""Message catalogues: every text a page shows, in Vietnamese (the default) and English.

Templates never hold user-facing text: they call ``t("key")``, and the catalogues in
locales/ hold the words. A key missing from a catalogue is an error, not a silent fallback,
so that a test rendering each page in both languages finds it.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

LANGS = ("vi", "en")
DEFAULT = "vi"
COOKIE = "lang"
LOCALES = Path(__file__).parent / "locales"


@lru_cache
def catalogue(lang: str) -> dict[str, str]:
    """Every file of locales/<lang>/ merged: one file per area of the product."""
    merged: dict[str, str] = {}
    for path in sorted((LOCALES / lang).glob("*.json")):
        with open(path, encoding="utf-8") as f:
            part = json.load(f)
        twice = merged.keys() & part.keys()
        if twice:
            raise ValueError(f"{path}: keys already defined in another file: {sorted(twice)}")
        merged.update(part)
    return merged


def pick(value: str | None) -> str:
    """The language of a request: its cookie if it names one we have, else Vietnamese."""
    return value if value in LANGS else DEFAULT


class Translator:
    """``t(key, **values)`` for one language, and the number and date formats that go with it."""

    def __init__(self, lang: str) -> None:
        self.lang = pick(lang)
        self.messages = catalogue(self.lang)

    def __call__(self, key: str, **values: Any) -> str:
        text = self.messages[key]  # KeyError on purpose: every key is in both catalogues
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.messages

    def number(self, value: float | int | None, digits: int = 0) -> str:
        """1.234.567 in Vietnamese, 1,234,567 in English."""
        if value is None:
            return "—"
        text = f"{value:,.{digits}f}"
        if self.lang == "vi":
            text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
        return text

    def money(self, value: int | None) -> str:
        return "—" if value is None else f"{self.number(value)} ₫"

    def percent(self, value: float | None, digits: int = 0) -> str:
        return "—" if value is None else f"{self.number(100 * value, digits)}%"

    def day(self, value: date | datetime | str | None) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, str):  # an ISO date kept in a logged suggestion
            try:
                value = date.fromisoformat(value[:10])
            except ValueError:
                return value
        if isinstance(value, datetime):
            return value.strftime("%d/%m/%Y %H:%M" if self.lang == "vi" else "%Y-%m-%d %H:%M")
        return value.strftime("%d/%m/%Y" if self.lang == "vi" else "%Y-%m-%d")
