"""API tests over real HTTP: one uvicorn server per database backend for the whole session.

The server runs on a database seeded with the demo world and the demo accounts, and on a
model trained once from it. Tests share the server, so each test makes the records it
changes (its own clients, its own seats) and never relies on another test's writes.
"""

from __future__ import annotations

# The servers (api, web), the model they serve and the db fixture are in tests/conftest.py.
