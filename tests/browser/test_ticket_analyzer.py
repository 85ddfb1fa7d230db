"""The Ticket Analyzer in a real browser (SPEC §2f, §5): a CSM pastes a customer's e-mail and reads the
churn-intent verdict with the deciding phrase highlighted, in place without a page reload; an empty text
asks for one. The screenshot is docs/screenshots/ticket-analyzer.png (the README shows it)."""

import pytest
from playwright.sync_api import expect

from scoring.analysis import analyse
from tests.browser.helpers import login_as
from tests.browser.test_scoring_pages import screenshot_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHURN_MAIL = ("Hi, after the third Epic sync outage this month we've decided we're moving to CareLoop when our "
              "contract ends.")


def test_a_csm_reads_the_churn_verdict_of_an_email_without_reloading(page, live_server, app_url, csm):
    # Given casey (a CSM) on the Ticket Analyzer, reached from the main navigation
    login_as(page, live_server, "casey")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Ticket Analyzer").click()
    expect(page).to_have_url(app_url("/analyzer/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ticket Analyzer")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    # When casey pastes a customer's e-mail and asks for the analysis
    page.get_by_label("Text to analyse").fill(CHURN_MAIL)
    with page.expect_response(lambda r: r.url.endswith("/analyzer/") and r.request.method == "POST"
                              and r.request.headers.get("hx-request") == "true") as answer:
        page.get_by_role("button", name="Analyse").click()

    # Then the verdict appears in place: churn intent, the deciding phrase and the competitor
    assert answer.value.status == 200
    analysis = page.get_by_test_id("analysis")
    phrase = analyse(CHURN_MAIL).intent_phrase  # the built-in analyser's, e.g. "we're moving to CareLoop"
    assert phrase.endswith("moving to CareLoop"), phrase
    expect(analysis.get_by_test_id("churn-intent")).to_have_text(f"Yes “{phrase}”")
    expect(analysis.get_by_test_id("category")).to_have_text("Account / cancellation")
    expect(analysis.get_by_test_id("competitor")).to_have_text("CareLoop")
    expect(analysis.get_by_test_id("recommended-action")).to_contain_text("Call the customer today")
    expect(analysis.get_by_test_id("analyser")).to_have_text("Analysed by the built-in analyser (builtin-2).")
    # ...and the phrase is highlighted in the text, the competitor inside it
    text = analysis.get_by_test_id("analysed-text")
    expect(text).to_have_text(CHURN_MAIL)
    expect(text.locator('mark[data-kind="churn_intent"]')).to_have_text(phrase)
    expect(text.locator('mark[data-kind="competitor"]')).to_have_text("CareLoop")
    # ...the page did not reload and what casey pasted is still in the box
    assert page.evaluate("window.sameDocument") is True
    expect(page.get_by_label("Text to analyse")).to_have_value(CHURN_MAIL)
    page.screenshot(path=screenshot_path("ticket-analyzer.png"), full_page=True)

    # When casey clears the box and asks again, then the page asks for a text
    page.get_by_label("Text to analyse").fill("")
    page.get_by_role("button", name="Analyse").click()
    expect(page.get_by_role("alert")).to_have_text("Paste the text of a ticket, an e-mail or a call note to "
                                                   "analyse it.")
    expect(page.get_by_test_id("churn-intent")).to_have_count(0)
    assert page.evaluate("window.sameDocument") is True


def test_without_javascript_the_form_still_analyses(browser, live_server, app_url, csm):
    context = browser.new_context(java_script_enabled=False, locale="en-US", timezone_id="UTC")
    page = context.new_page()
    try:
        login_as(page, live_server, "casey")
        page.goto(app_url("/analyzer/"))
        page.get_by_label("Text to analyse").fill(CHURN_MAIL)
        with page.expect_navigation():
            page.get_by_role("button", name="Analyse").click()

        phrase = analyse(CHURN_MAIL).intent_phrase
        expect(page.get_by_test_id("churn-intent")).to_have_text(f"Yes “{phrase}”")
        expect(page.get_by_test_id("analysed-text").locator('mark[data-kind="churn_intent"]')).to_have_text(phrase)
        expect(page.get_by_label("Text to analyse")).to_have_value(CHURN_MAIL)
    finally:
        context.close()
