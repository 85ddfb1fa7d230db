"""A CSM keeps an account's contacts on Account 360 in a real browser: adds a decision maker, edits a contact in
place, and marks the champion as left; each change shows in the section at once (HTMX), the champion's badge
goes, and the history of champion changes says who left."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import ChampionChange, Contact
from tests.browser.helpers import login_as
from tests.factories import AccountFactory, ContactFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csm_adds_a_contact_edits_one_and_marks_the_champion_as_left(page, live_server, app_url, csm):
    account = AccountFactory(external_id="A-OWN", name="Lakeside Family Practice", csm=csm)
    ContactFactory(external_id="C-DANA", account=account, name="Dana Reyes", title="Practice Manager",
                   role="champion")
    login_as(page, live_server, "casey")
    page.goto(app_url("/accounts/A-OWN/"))
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    section = page.get_by_test_id("contacts")
    expect(section.get_by_test_id("champion-badge")).to_have_count(1)

    page.get_by_test_id("log-contact").select_option("C-DANA")  # half-way through logging a call with Dana
    add = page.get_by_test_id("contact-form-add")
    add.get_by_label("Name").fill("Lee Park")
    add.get_by_label("Title").fill("Medical Director")
    add.get_by_label("Role").select_option("decision_maker")
    add.get_by_label("E-mail").fill("lee@lakeside.example.org")
    add.get_by_label("Phone").fill("call me")
    add.get_by_role("button", name="Add contact").click()
    expect(page.get_by_test_id("contact-form-add")).to_contain_text("'call me' is not a phone number")
    expect(page.get_by_test_id("contact-form-add").get_by_label("Name")).to_have_value("Lee Park")
    page.get_by_test_id("contact-form-add").get_by_label("Phone").fill("+1 555 010 2030")
    page.get_by_test_id("contact-form-add").get_by_label("Sentiment").select_option("positive")
    page.get_by_test_id("contact-form-add").get_by_role("button", name="Add contact").click()

    expect(page.get_by_test_id("contact-flash")).to_have_text("Added Lee Park (Decision maker).")
    lee = page.get_by_test_id("contact-row").filter(has_text="Lee Park")
    expect(lee).to_contain_text("Decision maker")
    expect(lee).to_contain_text("Positive")
    # The Log activity form's contact list takes the new contact in, and Dana stays chosen.
    expect(page.get_by_test_id("log-contact").locator("option")).to_have_text(
        ["Nobody in particular", "Dana Reyes (Practice Manager)", "Lee Park (Medical Director)"])
    expect(page.get_by_test_id("log-contact")).to_have_value("C-DANA")
    expect(page.get_by_test_id("contact-form-add").get_by_label("Name")).to_have_value("")

    lee.get_by_test_id("contact-edit").click()
    editing = page.get_by_test_id("contact-form-edit")
    editing.get_by_label("Sentiment").select_option("neutral")
    editing.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("contact-flash")).to_have_text("Saved Lee Park (Decision maker).")
    expect(page.get_by_test_id("contact-row").filter(has_text="Lee Park")).to_contain_text("Neutral")

    dana = page.get_by_test_id("contact-row").filter(has_text="Dana Reyes")
    dana.get_by_role("button", name="Mark as left").click()

    today = timezone.localdate()
    expect(page.get_by_test_id("contact-flash")).to_contain_text(f"Marked Dana Reyes as left on {today:%Y-%m-%d}.")
    expect(page.get_by_test_id("contact-row").filter(has_text="Dana Reyes")).to_contain_text(
        f"Left {today:%Y-%m-%d}")
    expect(page.get_by_test_id("contacts").get_by_test_id("champion-badge")).to_have_count(0)
    expect(page.get_by_test_id("champion-history")).to_contain_text(f"{today:%Y-%m-%d} · Dana Reyes: Champion left")
    assert page.evaluate("window.sameDocument") is True
    assert sorted(Contact.objects.values_list("name", "role", "sentiment", "is_active")) == [
        ("Dana Reyes", "champion", "", False), ("Lee Park", "decision_maker", "neutral", True)]
    assert list(ChampionChange.objects.values_list("contact__name", "kind", "by__username")) == [
        ("Dana Reyes", "left", "casey")]
