"""Errors on pages: the same problems as the API's, shown as a page in the user's language."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import DATABASE_UNAVAILABLE, RETRY_AFTER_S, Problem, database_unavailable
from api.web.render import render
from api.web.session import SignInRequired

NOT_PAGES = ("/v1", "/healthz", "/readyz", "/metrics", "/docs", "/openapi", "/redoc",
             "/static")


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(NOT_PAGES)


def install(app: FastAPI) -> None:
    """Answer a page's errors with a page; the API's stay problem+json."""
    api_handlers = dict(app.exception_handlers)

    async def signin(request: Request, exc: SignInRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?next={exc.next_path}", status_code=303)

    def page_or_api(kind: type[Exception]):
        api_handler = api_handlers[kind]

        async def handle(request: Request, exc: Exception):
            if not is_page(request):
                return await api_handler(request, exc)
            if isinstance(exc, DATABASE_UNAVAILABLE):
                if not database_unavailable(exc):
                    raise exc  # a bug: the 500 of the API's last-resort handler
                page = render(request, "error.html", None, status=503, status_code=503,
                              detail="the database cannot be reached just now; try again "
                                     "in a few seconds")
                page.headers["Retry-After"] = str(RETRY_AFTER_S)
                return page
            status = getattr(exc, "status", None) or getattr(exc, "status_code", None) or 422
            detail = getattr(exc, "detail", "")
            return render(request, "error.html", None, status=status,
                          status_code=status, detail=detail if isinstance(detail, str) else "")

        return handle

    app.add_exception_handler(SignInRequired, signin)
    for kind in (Problem, StarletteHTTPException, RequestValidationError,
                 *DATABASE_UNAVAILABLE):
        app.add_exception_handler(kind, page_or_api(kind))
