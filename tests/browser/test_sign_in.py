"""Sign-in, sign-out, the home page of each role and the language switch, in Chromium."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import shot, sign_in


def test_sign_in_page_is_vietnamese_and_refuses_a_wrong_password(open_page, web):
    page = open_page()
    sign_in(page, web, "ctv.halong", "wrong-password")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert "Sai tên đăng nhập hoặc mật khẩu" in page.get_by_role("alert").inner_text()
    assert "/login" in page.url
    shot(page, "login-error")


@pytest.mark.parametrize(("username", "home"), [
    ("ctv.halong", "/clients"), ("canbo.chuongtrinh", "/dashboard"),
    ("truong.nghe", "/my/options"), ("quantri", "/admin")])
def test_each_role_lands_on_its_home_page(open_page, username, home):
    page = open_page(username)
    assert page.url.endswith(home)


def test_sign_out_ends_the_session(open_page, web):
    page = open_page("quantri")
    with page.expect_navigation():
        page.get_by_role("button", name="Đăng xuất").click()
    assert page.url.endswith("/login")
    page.goto("/admin")
    assert re.search(r"/login\?next=/admin$", page.url)


def test_language_switch_turns_the_page_to_english_and_back(open_page):
    page = open_page("quantri")
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Sign out").is_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="Tiếng Việt").click()
    assert page.get_by_role("button", name="Đăng xuất").is_visible()


def test_a_page_without_a_sign_in_redirects_to_the_sign_in_page(open_page):
    page = open_page()
    page.goto("/admin")
    assert "/login" in page.url
    assert page.get_by_role("heading", name="Đăng nhập").is_visible()
