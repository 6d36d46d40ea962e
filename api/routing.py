"""The route class of every router: a sync route gives its database connection back before
FastAPI serialises its answer.

FastAPI runs a sync route, and then the validation of its response, in separate threadpool
calls. A route that only read still holds its connection (an open transaction) in between;
under a burst every pool thread may then wait for a connection that only a request waiting
for a thread would give back: a deadlock until the pool's timeout. Rolling back as the route
returns (a no-op after a commit) closes that gap for every route, read or write.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

from fastapi.routing import APIRoute
from sqlalchemy.orm import Session


def releasing(endpoint: Callable) -> Callable:
    @functools.wraps(endpoint)
    def call(*args, **kwargs):
        try:
            return endpoint(*args, **kwargs)
        finally:
            for value in kwargs.values():
                if isinstance(value, Session):
                    value.rollback()

    return call


class ReleasingRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable, **kwargs) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = releasing(endpoint)
        super().__init__(path, endpoint, **kwargs)
