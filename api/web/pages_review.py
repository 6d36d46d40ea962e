"""The programme staff's match-quality review page (filled in by its own change)."""

from __future__ import annotations

from fastapi import APIRouter

from api.routing import ReleasingRoute

router = APIRouter(route_class=ReleasingRoute, include_in_schema=False)
