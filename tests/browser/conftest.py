"""Browser tests: headless Chromium (Debian's ``chromium``) driven by Playwright, against a
real server on a seeded database.

Without a Chromium on the machine the tests are skipped with the reason, unless
MATCHER_REQUIRE_BROWSER=1 (CI sets it), which turns the skip into a failure. Screenshots of
each main page go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.api.server import TEST_PASSWORD

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def chromium_path() -> str | None:
    return os.environ.get("MATCHER_CHROMIUM") or shutil.which("chromium") \
        or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        message = "no Chromium on this machine: apt-get install chromium"
        if os.environ.get("MATCHER_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path, headless=True,
                                      args=["--no-sandbox", "--disable-dev-shm-usage",
                                            "--lang=en-US"])  # date fields: mm/dd/yyyy
        yield chromium
        chromium.close()


def sign_in(page, web, username: str, password: str = TEST_PASSWORD) -> None:
    page.goto(f"{web.url}/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Đăng nhập").click()


@pytest.fixture
def open_page(browser, web) -> Iterator[Callable]:
    """``open_page(username, phone=False)``: a fresh browser context signed in as that user."""
    contexts = []

    def make(username: str | None = None, *, phone: bool = False, lang: str | None = None):
        context = browser.new_context(viewport=PHONE if phone else DESKTOP,
                                      locale="vi-VN", base_url=web.url)
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        if username:
            sign_in(page, web, username)
        if lang == "en":
            page.goto(f"/lang/en?next={page.url.replace(web.url, '') or '/'}")
        return page

    yield make
    for context in contexts:
        context.close()


def shot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artefact."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
