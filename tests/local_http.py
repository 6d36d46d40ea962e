"""HTTP to the tests' own servers, with one TLS context for every client.

httpx builds a new TLS context for each client it makes, loading the CA bundle each time
(about 20 ms of CPU, twice that on a busy machine), although the tests speak plain HTTP to
127.0.0.1; the suite makes thousands of clients. These stand-ins for ``httpx.Client``,
``httpx.get`` … pass one context made once instead (tests/test_suite_rules.py keeps the tests
on them). Everything else (errors, responses) is httpx's own.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx

TLS = ssl.create_default_context()


def Client(*args: Any, **kwargs: Any) -> httpx.Client:  # noqa: N802 - stands in for httpx.Client
    return httpx.Client(*args, verify=TLS, **kwargs)


def get(*args: Any, **kwargs: Any) -> httpx.Response:
    return httpx.get(*args, verify=TLS, **kwargs)


def post(*args: Any, **kwargs: Any) -> httpx.Response:
    return httpx.post(*args, verify=TLS, **kwargs)
