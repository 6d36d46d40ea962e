"""The review pages stay short enough to read: /review is a summary of a few screens, and the
providers' page shows one page of the league table, not every provider.

Heights are ``document.documentElement.scrollHeight`` in Chromium at a desktop window
(1280 × 800) and a phone's (360 × 740), on the demo world the browser tests use; each
measure is printed (``pytest -s``) so a change in length shows in the log.
"""

from __future__ import annotations

import pytest

STAFF = "canbo.chuongtrinh"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


def _height(page, path: str, window: dict[str, int]) -> int:
    page.set_viewport_size(window)
    page.goto(path)
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"\n{path} at {window['width']}x{window['height']}: {height} px "
          f"({height / window['height']:.1f} screens)")
    return height


@pytest.mark.parametrize(("path", "window", "screens"), [
    ("/review", DESKTOP, 3),
    ("/review", PHONE, 4),
    ("/review/providers", PHONE, 5),
], ids=["summary-desktop", "summary-phone", "providers-phone"])
def test_review_page_fits_in_a_few_screens(open_page, path, window, screens):
    page = open_page(STAFF, phone=window is PHONE)
    assert _height(page, path, window) < screens * window["height"]
