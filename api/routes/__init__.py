"""The API's routers, in the order the OpenAPI page lists them."""

from api.routes import (
    audit_log,
    auth,
    capacity,
    clients,
    clubs,
    directory,
    health,
    imports,
    model,
    placement_reports,
    placements,
    plans,
    provider_merges,
    referral_answers,
    referrals,
    reports,
    review,
    suggestions,
    tasks,
    users,
)

ROUTERS = [
    health.router, auth.router, clients.router, suggestions.router, placements.router,
    clubs.router, plans.router, directory.router, capacity.router, referrals.router,
    referral_answers.router, placement_reports.provider_router,
    placement_reports.worker_router, tasks.router, imports.router, provider_merges.router,
    model.router, review.router, reports.router, audit_log.router, users.router,
]
