"""The Content-Security-Policy in a real browser: the main pages, the charts, htmx, the API docs (Swagger
UI) and Django's admin all work under it, and the browser reports no violation (no inline script or
style, nothing from elsewhere)."""

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from scoring.services import recompute_scores
from tests.browser.helpers import login_as
from tests.scoring.page_data import AS_OF, build_book

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each page's `securitypolicyviolation` events, kept across navigations in the tab's session storage.
COLLECT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const seen = JSON.parse(sessionStorage.getItem("csp-violations") || "[]");
  seen.push(`${location.pathname}: ${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
  sessionStorage.setItem("csp-violations", JSON.stringify(seen));
});
"""


def watch(page: Page) -> list[str]:
    """The console's CSP complaints (Chromium logs each blocked script, style or eval there too)."""
    console: list[str] = []
    page.add_init_script(COLLECT_VIOLATIONS)
    page.on("console", lambda message: console.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text else None)
    return console


def violations(page: Page) -> list[str]:
    return page.evaluate("() => JSON.parse(sessionStorage.getItem('csp-violations') || '[]')")


def test_the_main_pages_work_under_the_policy_without_a_violation(page, live_server, app_url, admin_user,
                                                                  own_account, foreign_account):
    build_book(own_account, foreign_account)
    for days in (60, 30, 0):
        recompute_scores(as_of=AS_OF - dt.timedelta(days=days))
    console = watch(page)
    login_as(page, live_server, "ada")

    page.goto(app_url("/"))
    assert page.evaluate("() => [htmx.config.includeIndicatorStyles, htmx.config.allowEval]") == [False, False]

    page.goto(app_url("/accounts/"))
    page.get_by_label("Search").fill("Lakeside")  # htmx swaps the rows in place
    expect(page.locator("tbody tr")).to_have_count(1)

    page.goto(app_url("/accounts/A-OWN/"))  # Account 360 with its Chart.js trend
    expect(page.get_by_test_id("trend-chart")).to_have_attribute("data-drawn", "true")

    page.goto(app_url("/executive/"))  # dashboard charts
    expect(page.locator("canvas[data-chart]").first).to_have_attribute("data-drawn", "true")

    for path in ("/pipeline/", "/analyzer/", "/insights/", "/alerts/"):
        assert page.goto(app_url(path)).status == 200, path

    page.goto(app_url("/api/docs/"))  # Swagger UI, started by its script file
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("HealthCS API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()

    page.goto(app_url("/admin/"))
    expect(page.locator("#site-name")).to_contain_text("HealthCS administration")
    page.goto(app_url(f"/admin/accounts/account/{own_account.pk}/change/"))  # admin's form scripts
    expect(page.locator("#account_form")).to_be_visible()
    page.goto(app_url("/admin/scoring/scoringconfig/add/"))
    expect(page.locator("textarea#id_data")).to_have_css("font-family", "monospace")

    assert violations(page) == []
    assert console == []


def test_an_inline_script_is_blocked_and_reported(page, live_server, app_url, csm):
    """The watch above is not blind: a script injected into the page is refused and seen."""
    console = watch(page)
    login_as(page, live_server, "casey")

    page.evaluate("""() => { const s = document.createElement("script"); s.textContent = "window.ran = 1";
                             document.body.append(s); }""")

    expect(page.locator("body")).to_be_visible()
    page.wait_for_function("() => sessionStorage.getItem('csp-violations')")
    assert page.evaluate("() => window.ran") is None
    assert [v.split(" ")[1] for v in violations(page)] == ["script-src-elem"]
    assert len(console) == 1
