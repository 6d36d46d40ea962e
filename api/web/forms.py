"""Reading page forms: the fields as a dict, and pydantic's errors as messages per field."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from pydantic import ValidationError

from api.web.i18n import Translator


async def form_fields(request: Request) -> dict[str, str]:
    """The text fields of a posted form (files are read by the routes that take them)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


FormFields = Annotated[dict[str, str], Depends(form_fields)]


def field_errors(exc: ValidationError, t: Translator) -> dict[str, str]:
    """{field: message} in the page's language; the checker's own words where they help.

    The checks' messages name the value and the closest candidates ("unknown place 'x';
    closest: ..."), which are place and trade names: shown as they are, after a sentence in
    the page's language saying what is wrong.
    """
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        name = loc[0] if loc else "form"
        kind = err.get("type", "")
        if kind == "missing":
            text = t("form.required")
        elif kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
            text = t("form.bad_date")
        elif kind.startswith(("int_", "float_", "greater_than", "less_than")):
            text = t("form.bad_number")
        else:
            detail = str(err.get("msg", "")).removeprefix("Value error, ")
            head, _, closest = detail.partition("closest: ")
            if not closest:
                head, _, closest = detail.partition("could be ")
            if name == "birth_date":
                text = t("form.bad_birth_date")
            elif closest:  # an unknown or ambiguous place or trade: the names are the help
                text = t("form.closest", closest=closest.strip())
            elif t.lang == "en" and detail:
                text = f"{t('form.invalid')} ({detail})"
            else:
                text = t("form.invalid")
        out.setdefault(name, text)
    return out


def checked(fields: dict[str, str], name: str) -> bool:
    return fields.get(name) in ("1", "on", "true", "yes")


def blank_to_none(fields: dict[str, str], *names: str) -> dict[str, str | None]:
    return {n: (fields.get(n) or "").strip() or None for n in names}


def problem_text(exc, t: Translator) -> str:
    """A refusal of the API in the page's language.

    A known refusal has its own sentence (``problem.<status>.<field>``); any other is said
    by its status, with the API's own words only on the English page (they are English).
    """
    field = (exc.field or "").removeprefix("body.").removeprefix("query.")
    key = f"problem.{exc.status}.{field}"
    if t.has(key):
        return t(key)
    general = f"problem.{exc.status}" if t.has(f"problem.{exc.status}") else "problem.other"
    return f"{t(general)} {exc.detail}" if t.lang == "en" else t(general)
