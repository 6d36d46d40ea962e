"""The FastAPI application: a thin layer over matcher/."""

from __future__ import annotations

from fastapi import FastAPI

from api.routes import health


def create_app() -> FastAPI:
    app = FastAPI(
        title="Quảng Ninh placement matcher",
        version="0.1.0",
        description="Suggestions of training, jobs and livelihood models for social workers.",
    )
    app.include_router(health.router)
    return app


app = create_app()
