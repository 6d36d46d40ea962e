"""The API's routers, in the order the OpenAPI page lists them."""

from api.routes import (
    audit_log,
    auth,
    capacity,
    clients,
    directory,
    health,
    imports,
    model,
    placements,
    plans,
    referrals,
    review,
    suggestions,
    users,
)

ROUTERS = [
    health.router, auth.router, clients.router, suggestions.router, placements.router,
    plans.router, directory.router, capacity.router, referrals.router, imports.router,
    model.router, review.router, audit_log.router, users.router,
]
