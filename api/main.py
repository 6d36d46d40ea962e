"""The FastAPI application: a thin layer over matcher/."""

from __future__ import annotations

from fastapi import FastAPI

from api import errors
from api.limits import BodyLimit
from api.metrics import Timing
from api.metrics import router as metrics_router
from api.routes import ROUTERS
from api.web import install as install_pages


def create_app() -> FastAPI:
    app = FastAPI(
        title="Quảng Ninh placement matcher",
        version="1.0.0",
        description=(
            "Suggestions of training, jobs and livelihood models for social workers, cohort "
            "plans for programme staff, and capacity for providers. Sign in at "
            "POST /v1/auth/token; every other route but /healthz and /readyz needs the token. "
            "Errors are RFC 9457 problem+json with the field at fault."
        ),
    )
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(metrics_router)
    install_pages(app)
    app.add_middleware(BodyLimit)
    app.add_middleware(Timing)
    return app


app = create_app()
