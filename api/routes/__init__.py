"""The API's routers, in the order the OpenAPI page lists them."""

from api.routes import auth, health, users

ROUTERS = [health.router, auth.router, users.router]
