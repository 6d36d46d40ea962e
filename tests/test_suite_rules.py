"""Rules of the test suite itself, which keep `make test` quick."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
DIRECT = re.compile(r"\bhttpx\.(Client|get|post|put|patch|delete|request|stream)\(")


def test_tests_make_http_clients_through_local_http():
    """A client made by httpx itself loads the CA bundle (20–40 ms of CPU each time)."""
    direct = [f"{path.relative_to(TESTS)}:{n}" for path in sorted(TESTS.rglob("*.py"))
              if path.name != "local_http.py"
              for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if DIRECT.search(line)]
    assert direct == [], "use tests.local_http instead of httpx directly:\n" + "\n".join(direct)


def test_one_tls_context_serves_every_client():
    from tests import local_http

    with local_http.Client() as first, local_http.Client() as second:
        contexts = {id(c._transport._pool._ssl_context) for c in (first, second)}  # noqa: SLF001
    assert contexts == {id(local_http.TLS)}
