"""The web pages: server-rendered templates over the API's own route functions.

A page calls the same function its API route runs, with the same signed-in caller, so a
page can show or change exactly what that user's token could, no more. Pages are not in
the OpenAPI document.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.web import (
    errors,
    pages_account,
    pages_admin,
    pages_audit,
    pages_auth,
    pages_client,
    pages_clubs,
    pages_cohort,
    pages_dashboard,
    pages_provider,
    pages_providers,
    pages_referral,
    pages_report,
    pages_review,
    pages_suggest,
    pages_tasks,
)

PAGE_ROUTERS = [pages_auth.router, pages_client.router, pages_clubs.router, pages_suggest.router,
                pages_tasks.router,
                pages_dashboard.router, pages_cohort.router, pages_audit.router,
                pages_review.router, pages_report.router, pages_provider.router,
                pages_referral.router,
                pages_providers.router,
                pages_account.router,
                pages_admin.router]


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for router in PAGE_ROUTERS:
        app.include_router(router)
    errors.install(app)
