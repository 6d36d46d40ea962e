"""Message catalogues: every text a page shows, in Vietnamese (the default) and English.

Templates never hold user-facing text: they call ``t("key")``, and the catalogues in
locales/ hold the words. A key missing from a catalogue is an error, not a silent fallback,
so that a test rendering each page in both languages finds it.

The review's warnings and method notes are codes with parameters
(:func:`matcher.notes.note`); ``t.note(item)`` says one in the reader's language from
the catalogue's ``note.<code>`` (locales/*/notes.json). A parameter's placeholder may carry a
format that says how to show it:

* ``{n}``: as it is; a number in the language's format (``{x:.2f}``: two decimals);
* ``{p:%}``, ``{p:.1%}``: a percentage; ``{p:p}``: a p-value ("< 0,0001" below that);
  ``{d:date}``: a date; ``{v:money}``: an amount in đồng;
* ``{metric:key=review.metric}``: the words of catalogue key ``review.metric.<value>``
  (missing: an error); ``{level:word=enum.group}``: the same, or the value itself where
  the catalogue has no words for it (a district's name); ``{tests:keys=review.steering}``:
  a comma-separated list of codes, each said with its words. The prefix may name another
  parameter: ``{level:word=enum.{dimension}}``.
"""

from __future__ import annotations

import json
import string
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from matcher.vocab.kinds import catalogue_words

LANGS = ("vi", "en")
DEFAULT = "vi"
COOKIE = "lang"
LOCALES = Path(__file__).parent / "locales"


@lru_cache
def catalogue(lang: str) -> dict[str, str]:
    """Every file of locales/<lang>/ merged (one file per area of the product), with the
    option kinds' words from their table."""
    merged: dict[str, str] = catalogue_words(lang)  # the kinds' words: matcher/vocab/kinds.py
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

    def note(self, item: dict[str, Any] | str | None) -> str:
        """A review note (``{"code", "params", "message"}``) in this language, from the
        catalogue's ``note.<code>`` formatted with its params (see the module docstring). A
        plain string (a record made before notes had codes) is shown as it is."""
        if item is None:
            return ""
        if isinstance(item, str):
            return item
        template = self.messages[f"note.{item['code']}"]  # KeyError: a code without words
        return _NoteFormatter(self).vformat(template, (), dict(item.get("params") or {}))

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


class _NoteFormatter(string.Formatter):
    """``str.format`` with the placeholder formats of the module docstring."""

    def __init__(self, t: Translator) -> None:
        self.t = t

    def format_field(self, value: Any, spec: str) -> str:
        t = self.t
        kind, _, prefix = spec.partition("=")
        if kind == "key":
            return t(f"{prefix}.{value}")
        if kind == "word":
            return t(f"{prefix}.{value}") if t.has(f"{prefix}.{value}") else str(value)
        if kind == "keys":
            return ", ".join(t(f"{prefix}.{v.strip()}") for v in str(value).split(",")
                             if v.strip())
        if kind == "date":
            return t.day(value)
        if value is None:
            return "—"
        if kind == "money":
            return t.money(round(value))
        if kind == "p":
            return "< " + t.number(0.0001, 4) if value < 0.0001 else t.number(value, 4)
        if kind.endswith("%"):
            return t.percent(value, int(kind[1:-1] or 0))
        if isinstance(value, bool) or not isinstance(value, int | float):
            return format(value, spec)
        if kind.startswith(".") and kind.endswith("f"):
            return t.number(value, int(kind[1:-1]))
        if kind:
            raise ValueError(f"unknown note placeholder format {spec!r}")
        return t.number(value, 0 if float(value).is_integer() else 2)
