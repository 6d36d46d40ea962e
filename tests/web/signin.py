"""Signing in through the /login form as a browser does: the page first, then the form with
the page's CSRF token (the form is refused without it)."""

from __future__ import annotations

import re

import httpx

from tests.api.server import TEST_PASSWORD

TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


def login_form(client: httpx.Client, username: str, password: str = TEST_PASSWORD,
               **fields: str) -> httpx.Response:
    page = client.get("/login")
    assert page.status_code == 200, page.text[:300]
    found = TOKEN.search(page.text)
    token = found.group(1) if found else ""
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf": token, **fields})
