"""Ask the book in a real browser (docs/pages.md#ask-the-book): a CSM opens it from the menu, asks a question and
sees, in place without a page reload, the answer's numbered passages with their sources and the texts grouped by
account, each account linked to Account 360; another CSM's account never shows."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import login_as, open_from_menu
from tests.factories import AccountFactory, SupportTicketFactory, TouchpointFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AT = dt.datetime(2025, 2, 3, 9, 0, tzinfo=dt.UTC)


def test_a_csm_asks_who_mentioned_athenahealth_and_reads_the_sources(page, live_server, app_url, csm, other_csm):
    # Given casey's two accounts that mention athenahealth, and robin's that does too
    juniper = AccountFactory(name="Juniper Medical Group", csm=csm, ehr_system="athenahealth")
    willow = AccountFactory(name="Willow Creek Health", csm=csm, ehr_system="Epic")
    harbor = AccountFactory(name="Harbor Pediatrics", csm=other_csm)
    SupportTicketFactory(account=juniper, submitted_at=AT, subject="athenahealth feed delayed",
                         body="The athenahealth interface is dropping messages since Tuesday. Please look today.")
    TouchpointFactory(account=willow, occurred_at=AT - dt.timedelta(days=5), kind="call", subject="Renewal call",
                      text="They are evaluating a move from Epic to athenahealth next year.")
    SupportTicketFactory(account=harbor, submitted_at=AT, subject="athenahealth question", body="Is athenahealth ok?")
    login_as(page, live_server, "casey")
    open_from_menu(page, "Ask the book")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask the book")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    # When casey asks who mentioned athenahealth
    page.get_by_label("Question").fill("who mentioned athenahealth")
    with page.expect_response(lambda r: "/search/?" in r.url and r.request.headers.get("hx-request") == "true"):
        page.get_by_role("button", name="Ask").click()

    # Then the answer quotes the sentences, numbered, with account, source and date
    passages = page.get_by_test_id("passages").get_by_role("listitem")
    expect(passages).to_have_count(3)
    expect(passages.nth(0)).to_contain_text("“athenahealth feed delayed.” — Juniper Medical Group, Support ticket, "
                                            "2025-02-03")
    expect(page.get_by_test_id("passages")).to_contain_text("“They are evaluating a move from Epic to athenahealth "
                                                            "next year.” — Willow Creek Health, Call, 2025-01-29")
    expect(passages.nth(0).locator("mark")).to_have_text("athenahealth")
    # ...the texts grouped by account, each linked to Account 360, robin's account nowhere
    accounts = page.get_by_test_id("result-account")
    expect(accounts).to_have_count(2)
    expect(page.get_by_test_id("result-count")).to_have_text("2 texts in 2 accounts.")
    expect(page.get_by_test_id("search-results")).not_to_contain_text("Harbor Pediatrics")
    assert page.evaluate("window.sameDocument") is True
    expect(page).to_have_url(app_url("/search/?q=who+mentioned+athenahealth"))
    accounts.get_by_role("link", name="Willow Creek Health").click()
    expect(page).to_have_url(app_url(f"/accounts/{willow.external_id}/"))
