"""The review's warnings and method notes as codes with parameters, not sentences.

Every warning or note the review produces is ``{"code", "params", "message"}``: ``code`` is
a stable dotted name (``effects.poor_overlap``), ``params`` are plain JSON values, and
``message`` is the English sentence for JSON and CLI readers. The pages never show
``message``: they look up ``note.<code>`` in the locale catalogues (Vietnamese and English)
and format it with ``params`` (:func:`api.web.i18n.Translator.note`), so a Vietnamese page
reads Vietnamese. A test walks every code used in the code base and requires both
catalogues to have it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["note", "message_of"]


def note(code: str, english: str, **params: Any) -> dict[str, Any]:
    """A coded note; ``english`` is a ``str.format`` template over ``params``."""
    for key, value in params.items():
        if not (value is None or isinstance(value, str | int | float | bool)):
            raise TypeError(f"note {code}: parameter {key} must be a plain JSON value, "
                            f"not {type(value).__name__}")
    return {"code": code, "params": dict(params), "message": english.format(**params)}


def message_of(item: dict[str, Any] | str) -> str:
    """The English sentence of a note (or the string itself, for older records)."""
    return item if isinstance(item, str) else str(item.get("message", item.get("code", "")))
