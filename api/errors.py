"""Errors as RFC 9457 problem+json: a title, what to fix, and the field at fault.

Every route raises :class:`Problem` (or lets FastAPI's validation fail); the handlers below
turn both, and Starlette's own HTTP errors, into one shape, declared in the OpenAPI document
as :class:`ProblemModel` so that clients (and schemathesis) can rely on it.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("matcher.api")

MEDIA_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request", 401: "Sign-in required", 403: "Not allowed", 404: "Not found",
    405: "Method not allowed", 406: "Not acceptable", 409: "Conflict", 412: "Precondition failed",
    413: "Request too large", 415: "Unsupported media type", 422: "Invalid input",
    428: "Precondition required", 429: "Too many attempts", 500: "Internal error",
    503: "Not ready",
}

# The database cannot be reached or cannot serve just now (a lost or refused connection, a
# restart, the connection pool exhausted, a lock it gave up waiting for): 503, try again.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError,
                                                      PoolTimeout, DBAPIError)
RETRY_AFTER_S = 5
UNAVAILABLE_DETAIL = (
    "the database cannot be reached just now; try again in a few seconds. A change sent "
    "with this request is either kept in full or not at all: look before sending it again")
CRASH_DETAIL = "Something went wrong; nothing was changed. The error has been logged."


class FieldError(BaseModel):
    field: str
    message: str
    row: int | None = None


class ProblemModel(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    field: str | None = None
    errors: list[FieldError] | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entry of a route for these error statuses."""
    return {s: {"model": ProblemModel, "description": TITLES.get(s, "Error"),
                "content": {MEDIA_TYPE: {}}} for s in statuses}


class Problem(Exception):
    """An error a route reports to the caller; ``field`` names what to fix."""

    def __init__(self, status: int, detail: str, *, field: str | None = None,
                 errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None, title: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.field = status, detail, field
        self.errors, self.headers = errors, headers
        self.title = title or TITLES.get(status, "Error")


def problem_response(status: int, detail: str, *, field: str | None = None,
                     errors: list[dict[str, Any]] | None = None,
                     headers: dict[str, str] | None = None,
                     title: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title or TITLES.get(status, "Error"),
                            "status": status, "detail": detail}
    if field is not None:
        body["field"] = field
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _location(loc: tuple | list) -> str:
    return ".".join(str(part) for part in loc)


def _message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field: remove it"
    if kind == "missing":
        return "required: add it"
    if kind == "json_invalid":
        return f"malformed JSON: {err.get('ctx', {}).get('error', 'cannot be parsed')}"
    return str(err.get("msg", "invalid value"))


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.detail, field=exc.field, errors=exc.errors,
                                headers=exc.headers, title=exc.title)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _location(e.get("loc", ())), "message": _message(e)}
                  for e in exc.errors()]
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        return problem_response(422, detail, field=first["field"], errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
        return problem_response(exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(DataError)
    async def _unstorable(_request: Request, exc: DataError) -> JSONResponse:
        # PostgreSQL refuses some values the schema allows (a NUL character in a text, a
        # number out of its column's range): the request is at fault, and nothing was kept.
        log.info("refused a value the database cannot store: %s", type(exc.orig).__name__)
        return problem_response(422, "a value cannot be stored (a NUL character in a text, "
                                     "or a number out of range): correct it and try again")

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        if not database_unavailable(exc):
            raise exc  # a bug, not an outage: the 500 below, as before
        # The transaction of the request never committed (or its commit's answer was lost):
        # the session is rolled back by the route and closed by get_session, and a broken
        # connection has made SQLAlchemy discard the worker's pooled ones, so the next
        # request connects afresh. The message may hold data values: log the types only.
        log.warning("database unavailable (%s: %s) on %s %s", type(exc).__name__,
                    type(getattr(exc, "orig", None) or exc).__name__, request.method,
                    request.url.path)
        return problem_response(503, UNAVAILABLE_DETAIL, title="Database unavailable",
                                headers={"Retry-After": str(RETRY_AFTER_S)})

    for kind in DATABASE_UNAVAILABLE:
        app.add_exception_handler(kind, _unavailable)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        # The message may hold data values: log the type and the path only.
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method,
                  request.url.path, exc_info=False)
        return problem_response(500, CRASH_DETAIL)


def database_unavailable(exc: BaseException) -> bool:
    """True for an error that says the database is out of reach, not that a request or a
    route is at fault: a refused or lost connection, the pool's timeout, an operational
    error (restart, shutdown, lock or deadlock given up on). Any other DBAPI error (an
    integrity error, a bad statement) is a bug and stays a 500."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)
