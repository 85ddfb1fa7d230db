"""Browser-test harness: one headless Debian Chromium for all of tests/browser, driven by
Playwright's sync API, a fresh browser context (cookies, storage) per test, and a screenshot plus
the page's HTML in test-results/ when a browser test fails.

Playwright and the DJANGO_ALLOW_ASYNC_UNSAFE switch live only while tests/browser runs ("package"
scope, so one launch per test run): a running Playwright keeps an asyncio loop alive in the test
thread, which would break ORM calls in the tests collected after this package, and the switch
would leak into their subprocesses (`manage.py check --deploy` rejects it as async.E001).

A browser test module starts with

    pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

and uses the `page` and `app_url` fixtures with `login_as` from tests.browser.helpers:

    def test_it_lists_my_accounts(page, live_server, app_url, csm, own_account):
        login_as(page, live_server, "casey")
        page.goto(app_url("/accounts/"))
"""

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from pytest_django.live_server_helper import LiveServer

from tests.browser.helpers import url_for

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium: Playwright cannot download its own browser here, and nothing may phone home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ACTION_TIMEOUT_MS = 10_000
FAILURE_ARTIFACTS_DIR = "test-results"


@pytest.fixture(scope="package", autouse=True)
def allow_sync_orm_under_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an asyncio loop running in the test thread, and Django then
    refuses every ORM call from fixtures and tests (SynchronousOnlyOperation) although they are
    plain synchronous code."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="package")
def playwright(allow_sync_orm_under_playwright: None) -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # A missing browser is a broken machine, not a reason to skip: fail every browser test.
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; install it with `apt-get install -y chromium`.", pytrace=False)
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A new tab in a fresh browser context, so no cookie or session leaks between tests."""
    _require_browser_marks(request.node)
    context = browser.new_context(locale="en-US", timezone_id="UTC", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def app_url(live_server: LiveServer) -> Callable[[str], str]:
    """app_url("/accounts/") -> the absolute URL of that path on the live server."""
    return lambda path: url_for(live_server, path)


def _require_browser_marks(item: pytest.Item) -> None:
    """Browser tests must be selectable (-m browser) and see the live server's writes, so both
    marks are required rather than left to each author's memory."""
    db_mark = item.get_closest_marker("django_db")
    if (
        item.get_closest_marker("browser") is None
        or db_mark is None
        or not (db_mark.kwargs.get("transaction") or (db_mark.args and db_mark.args[0]))
    ):
        pytest.fail(
            "browser tests need pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]",
            pytrace=False,
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """When a browser test fails, save what the browser showed while the page is still open."""
    report = yield
    page = getattr(item, "funcargs", {}).get("page")
    if report.failed and report.when in ("setup", "call") and isinstance(page, Page):
        report.sections.append(("browser", _save_failure_artifacts(item, page)))
    return report


def _save_failure_artifacts(item: pytest.Item, page: Page) -> str:
    folder = item.config.rootpath / FAILURE_ARTIFACTS_DIR
    folder.mkdir(exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid).strip("_")
    screenshot, html = folder / f"{stem}.png", folder / f"{stem}.html"
    try:
        page.screenshot(path=screenshot, full_page=True)
        html.write_text(page.content(), encoding="utf-8")
    except PlaywrightError as error:  # a crashed or closed page must not hide the real failure
        return f"could not save the page at {page.url}: {error}"
    return f"page at {page.url}\nscreenshot: {screenshot}\nhtml: {html}"
