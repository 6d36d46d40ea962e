"""Request body limits, checked before a route reads the body (pure ASGI, so streamed too)."""

from __future__ import annotations

import json

from matcher.settings import get_settings

UPLOAD_PREFIX = "/v1/imports"


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


async def _too_large(send, limit: int) -> None:
    body = json.dumps({"type": "about:blank", "title": "Request too large", "status": 413,
                       "detail": f"the request body is over the limit of {limit:,} bytes"}
                      ).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
