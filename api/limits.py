"""Request body limits, checked before a route reads the body (pure ASGI, so streamed too).

An upload is also refused before its body is read when the caller may not import: FastAPI
reads (and spools) a whole multipart body before it runs a route's dependencies, so without
this check anyone could make a worker take in 20 MB just to be told to sign in.
"""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from matcher.settings import get_settings

UPLOAD_PREFIX = "/v1/imports"
BODY_METHODS = {"POST", "PUT", "PATCH"}


class BodyLimit:
    """413 for a body over the limit: the import size for uploads, a small one for JSON."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        settings = get_settings()
        upload = scope["path"].startswith(UPLOAD_PREFIX)
        # Multipart framing adds a little to the file itself.
        limit = int(settings.import_max_mb * 1e6) + 64_000 if upload else (
            settings.max_body_kb * 1024)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _too_large(send, limit)
        if upload and scope.get("method") in BODY_METHODS:
            # The same sign-in check as the route's (a database read, so off the event loop),
            # made from the headers alone: the body is not touched until it passes.
            refusal = await run_in_threadpool(_upload_refusal, Request(scope))
            if refusal is not None:
                return await refusal(scope, receive, send)
        seen = 0

        async def counting_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _TooLarge:
            await _too_large(send, limit)


class _TooLarge(Exception):
    pass


def _upload_refusal(request: Request):
    """The 401/403 problem response for a caller who may not import, else None."""
    from fastapi.security.utils import get_authorization_scheme_param

    from api.deps import current_user, get_engine
    from api.errors import (
        RETRY_AFTER_S,
        UNAVAILABLE_DETAIL,
        Problem,
        database_unavailable,
        problem_response,
    )
    from api.routes.imports import IMPORT_ROLES
    from matcher.store.db import session_factory

    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    session = session_factory(get_engine())()
    try:
        caller = current_user(request, session, token if scheme.lower() == "bearer" else None)
    except Problem as exc:
        return problem_response(exc.status, exc.detail, field=exc.field, headers=exc.headers)
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        return problem_response(503, UNAVAILABLE_DETAIL, title="Database unavailable",
                                headers={"Retry-After": str(RETRY_AFTER_S)})
    finally:
        session.close()
    if caller.role not in IMPORT_ROLES:
        return problem_response(403, f"a {caller.role} account cannot do this")
    return None


async def _too_large(send, limit: int) -> None:
    body = json.dumps({"type": "about:blank", "title": "Request too large", "status": 413,
                       "detail": f"the request body is over the limit of {limit:,} bytes"}
                      ).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
