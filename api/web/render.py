"""Rendering a page: the Jinja2 environment, the words of the request's language, headers."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.exc import SQLAlchemyError

from api.deps import Caller, get_engine
from api.web import i18n
from api.web.session import csrf_token
from matcher.demo import is_demo

TEMPLATES = Path(__file__).parent / "templates"

# Pages hold personal data: never cached, never framed, scripts only from this server.
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
}


@lru_cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.globals["demo_database"] = demo_database
    return env


_seen_demo = False


def demo_database() -> bool:
    """Whether this server's database is the demo one: every page then says so (base.html).

    The mark is never removed, so once seen it is remembered; until then each page reads it
    (one primary-key lookup), so that a database made the demo one while the server runs
    shows the banner at once. A database that cannot answer just now shows no banner (the
    sign-in page still renders): the banner informs, while the refusals that protect real
    records (the demo password, imports) are checked where they happen.
    """
    global _seen_demo
    if not _seen_demo:
        try:
            _seen_demo = is_demo(get_engine())
        except SQLAlchemyError:
            return False
    return _seen_demo


def translator(request: Request) -> i18n.Translator:
    return i18n.Translator(i18n.pick(request.cookies.get(i18n.COOKIE)))


def render(request: Request, template: str, caller: Caller | None = None, *,
           status: int = 200, **context: Any) -> HTMLResponse:
    t = translator(request)
    html = environment().get_template(template).render(
        t=t, lang=t.lang, caller=caller, path=request.url.path,
        csrf=csrf_token(request) if caller else "", **context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)
