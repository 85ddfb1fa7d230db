"""Helpers for browser tests: build live-server URLs and log in through the real form."""

import re

from playwright.sync_api import Page, Response, expect
from pytest_django.live_server_helper import LiveServer

# The password tests/factories.py gives every user.
DEFAULT_PASSWORD = "correct horse battery"


def url_for(live_server: LiveServer, path: str) -> str:
    """The absolute URL of `path` (e.g. "/accounts/?q=lake") on the live server."""
    return live_server.url + (path if path.startswith("/") else f"/{path}")


def submit_login_form(page: Page, live_server: LiveServer, username: str, password: str) -> Response:
    """Open /login/, fill in the form and submit it; return the response that ended the navigation
    (after redirects), so callers can check both the status and the page that was shown."""
    page.goto(url_for(live_server, "/login/"))
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Log in").click()
    response = navigation.value
    assert response is not None, "submitting the login form did not load a page"
    return response


def login_as(page: Page, live_server: LiveServer, username: str, password: str = DEFAULT_PASSWORD) -> None:
    """Log in through the real form and fail at once unless the user ends up logged in."""
    submit_login_form(page, live_server, username, password)
    expect(page, f"logging in as {username!r} did not leave the login page").not_to_have_url(re.compile(r"/login/"))
    expect(page.get_by_test_id("current-user")).to_be_visible()


def open_from_menu(page: Page, name: str) -> None:
    """Follow the main menu's link `name` and wait until the new page has loaded: htmx takes over links and
    forms only then, so a click right after the navigation's start would follow the plain link instead."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()
    page.wait_for_load_state()


def htmx_settled(page: Page) -> None:
    """Wait until htmx has settled what it swapped in: it binds the new content's hx- attributes only then (about
    20 ms after the swap, the settle delay), so a change made at once on a swapped-in form would go unheard."""
    page.wait_for_function("!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
