"""The Ticket Analyzer in a real browser (docs/text-intelligence.md, docs/pages.md): a CSM pastes a customer's e-mail
and reads the churn-intent verdict with the deciding phrase highlighted, in place without a page reload; an empty text
asks for one. The screenshot is docs/screenshots/ticket-analyzer.png (docs/text-intelligence.md shows it)."""

import pytest
from playwright.sync_api import expect

from scoring.texts.reader import NAME, read
from scoring.texts.service import lexicon
from tests.browser.helpers import login_as, open_from_menu
from tests.browser.test_scoring_pages import screenshot_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("migration_defaults")]  # the shipped competitors

CHURN_MAIL = ("Hi, after the third Epic sync outage this month we've decided we're moving to CareLoop when our "
              "contract ends.")


def test_a_csm_reads_the_churn_verdict_of_an_email_without_reloading(page, live_server, app_url, csm):
    # Given casey (a CSM) on the Ticket Analyzer, reached from the main navigation
    login_as(page, live_server, "casey")
    open_from_menu(page, "Ticket Analyzer")
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
    phrase = read(CHURN_MAIL, lexicon()).intent_phrase  # the built-in reader's, e.g. "we're moving to CareLoop"
    assert phrase.endswith("moving to CareLoop"), phrase
    expect(analysis.get_by_test_id("churn-intent")).to_have_text(f"Yes “{phrase}”")
    expect(analysis.get_by_test_id("category")).to_have_text("Account / cancellation")
    expect(analysis.get_by_test_id("competitor")).to_have_text("CareLoop")
    expect(analysis.get_by_test_id("recommended-action")).to_contain_text("Call the customer today")
    expect(analysis.get_by_test_id("analyser")).to_have_text(f"Read by the built-in reader ({NAME}).")
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

        phrase = read(CHURN_MAIL, lexicon()).intent_phrase
        expect(page.get_by_test_id("churn-intent")).to_have_text(f"Yes “{phrase}”")
        expect(page.get_by_test_id("analysed-text").locator('mark[data-kind="churn_intent"]')).to_have_text(phrase)
        expect(page.get_by_label("Text to analyse")).to_have_value(CHURN_MAIL)
    finally:
        context.close()


# The messages the old reader missed (issue "Text intelligence that holds on real language"), with the competitor
# each names ("" when none).
MISSED_BEFORE = [
    ("We are leaving you for athenahealth.", "athenahealth"),
    ("We quit.", ""),
    ("We're going to PatientPilot next quarter.", "PatientPilot"),
    ("Our clinic is switching from HealthCS to PatientPilot.", "PatientPilot"),
    ("Wir verlassen Sie zum Jahresende.", ""),
    ("Ich kündige hiermit meinen Vertrag.", ""),
    ("Wir gehen zu MedRelay.", "MedRelay"),
]
RENEWAL_MAIL = ("Hi Sam,\n\nThanks for the call on Tuesday, the team enjoyed the new dashboards.\n\n"
                "To be transparent: we are 47 days from renewal and our board wants to move to NovaChart unless the "
                "Epic sync is fixed. We also had a demo from Zentrix last week.\n\nBest,\nDana Morgan\n"
                "Practice Manager")


def test_a_csm_sees_each_verdict_with_its_evidence_competitor_renewal_and_summary(page, live_server, app_url, csm):
    login_as(page, live_server, "casey")
    page.goto(app_url("/analyzer/"))
    analysis = page.get_by_test_id("analysis")
    for message, competitor in MISSED_BEFORE:
        page.get_by_label("Text to analyse").fill(message)
        page.get_by_role("button", name="Analyse").click()
        phrase = read(message, lexicon()).intent_phrase
        assert phrase, message
        expect(analysis.get_by_test_id("churn-intent")).to_have_text(f"Yes “{phrase}”")
        expect(analysis.get_by_test_id("analysed-text").locator('mark[data-kind="churn_intent"]')).to_have_text(phrase)
        expect(analysis.get_by_test_id("competitor")).to_have_text(competitor or "None mentioned")

    page.get_by_label("Text to analyse").fill(RENEWAL_MAIL)
    page.get_by_role("button", name="Analyse").click()
    expect(analysis.get_by_test_id("churn-intent")).to_contain_text("Yes")
    expect(analysis.get_by_test_id("competitor")).to_have_text("NovaChart, Zentrix")
    expect(analysis.get_by_test_id("days-to-renewal")).to_have_text("in 47 days")
    expect(analysis.get_by_test_id("ehr")).to_have_text("Epic")
    # The summary is the sentence carrying the evidence, not the greeting or the thanks
    expect(analysis.get_by_test_id("summary")).to_contain_text("47 days from renewal")
    expect(analysis.get_by_test_id("summary")).not_to_contain_text("Thanks for the call")
    expect(analysis.get_by_test_id("recommended-action")).to_contain_text("NovaChart")
