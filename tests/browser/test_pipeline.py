"""The expansion pipeline board in a real browser: a CSM opens a card's actions (fetched into the card on
demand), moves it to the next stage with its button and drags another to a later column; both land without
a reload and the columns' totals follow. A card's edit form saves in place; a long column shows its first
cards and brings the next ones with "show more", in place.

A screenshot of the board is saved as pipeline.png (see screenshot_path).
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from expansion.models import ExpansionSignal, Opportunity
from expansion.services import opportunity_create, opportunity_update
from tests.browser.helpers import login_as, open_from_menu
from tests.browser.test_scoring_pages import screenshot_path
from tests.factories import AccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csm_moves_cards_by_button_and_by_drag_and_drop(page, live_server, app_url, csm, own_account):
    # Given casey's pipeline: three identified opportunities, one in proposal, one won, and a promoter
    # signal waiting outside the pipeline
    brookside = AccountFactory(external_id="A-SMB", name="Brookside Clinic", csm=csm, segment="SMB")
    seats = opportunity_create(account=own_account, user=csm, title="Add 10 seats", amount=Decimal("1000"),
                               expected_close=dt.date(2025, 6, 15), next_step="Confirm the seat count")
    api = opportunity_create(account=brookside, user=csm, title="API tier", amount=Decimal("2000"),
                             expected_close=dt.date(2025, 7, 1), next_step="Demo the API to IT")
    sites = opportunity_create(account=own_account, user=csm, title="Two more sites", amount=Decimal("800"),
                               expected_close=dt.date(2025, 6, 30), next_step="Send the proposal")
    opportunity_update(opportunity=sites, user=csm, changes={"stage": "proposal"})
    opportunity_create(account=own_account, user=csm, title="Population health module", amount=Decimal("1200"),
                       expected_close=dt.date(2025, 9, 30), next_step="Find the clinical sponsor")
    ExpansionSignal.objects.create(account=brookside, kind="promoter", first_detected_on=dt.date(2025, 3, 20),
                                   last_detected_on=dt.date(2025, 3, 28), estimated_mrr=Decimal("150"),
                                   summary="NPS 10 from the practice manager; health Thriving")
    analytics = opportunity_create(account=brookside, user=csm, title="Analytics add-on", amount=Decimal("300"))
    opportunity_update(opportunity=analytics, user=csm, changes={"stage": "won"})
    login_as(page, live_server, "casey")
    open_from_menu(page, "Pipeline")
    expect(page).to_have_url(app_url("/pipeline/"))
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    column = lambda stage: page.get_by_test_id(f"column-{stage}")  # noqa: E731
    totals = lambda stage: page.get_by_test_id(f"totals-{stage}")  # noqa: E731
    expect(totals("identified")).to_have_text("3 · $4,200 · weighted $420")
    expect(totals("qualified")).to_have_text("0 · $0 · weighted $0")

    # When casey opens the actions of "Add 10 seats" (the compact card has none) and moves it on
    card = page.locator(f"#opp-{seats.pk}")
    expect(card.get_by_role("button")).to_have_count(0)
    card.get_by_role("link", name="Edit / move").click()
    card.get_by_role("button", name="next stage →").click()

    # Then it lands in Qualified and both columns' totals follow, without a reload
    expect(column("qualified").locator(f"#opp-{seats.pk}")).to_contain_text("Moved to Qualified.")
    expect(totals("qualified")).to_have_text("1 · $1,000 · weighted $250")
    expect(totals("identified")).to_have_text("2 · $3,200 · weighted $320")
    assert page.evaluate("window.sameDocument") is True

    # When casey drags "API tier" onto the Proposal column
    page.locator(f"#opp-{api.pk}").drag_to(column("proposal"), target_position={"x": 60, "y": 20})  # its heading

    # Then it lands there, the totals follow, and the page was still not reloaded
    expect(column("proposal").locator(f"#opp-{api.pk}")).to_contain_text("Moved to Proposal.")
    expect(totals("proposal")).to_have_text("2 · $2,800 · weighted $1,400")
    expect(totals("identified")).to_have_text("1 · $1,200 · weighted $120")
    assert page.evaluate("window.sameDocument") is True
    moved = Opportunity.objects.get(pk=api.pk)
    assert (moved.stage, moved.probability) == ("proposal", 50)
    assert [(c.from_stage, c.to_stage, c.changed_by) for c in moved.stage_changes.all()] == [
        ("", "identified", csm), ("identified", "proposal", csm)]

    page.screenshot(path=screenshot_path("pipeline.png"), full_page=True)


def test_a_csm_edits_a_card_in_place_and_shows_more_of_a_long_column(page, live_server, app_url, csm, own_account):
    # Given 30 identified opportunities, the soonest closing first
    for n in range(1, 31):
        opportunity_create(account=own_account, user=csm, title=f"Seats {n:02d}", amount=Decimal("100"),
                           expected_close=dt.date(2025, 6, 1) + dt.timedelta(days=n))
    first = Opportunity.objects.get(title="Seats 01")
    login_as(page, live_server, "casey")
    page.goto(app_url("/pipeline/"))
    page.evaluate("window.sameDocument = true")
    column = page.get_by_test_id("column-identified")
    expect(column.get_by_test_id("card")).to_have_count(25)

    # When casey opens the first card's edit form and saves a new amount
    card = page.locator(f"#opp-{first.pk}")
    card.get_by_role("link", name="Edit / move").click()
    card.get_by_label("Amount (added MRR)").fill("400")
    card.get_by_role("button", name="Save").click()

    # Then the card shows it, closed again, and the column's totals follow, without a reload
    expect(card).to_contain_text("Saved.")
    expect(card.get_by_test_id("amount")).to_have_text("$400/mo")
    expect(card.get_by_role("link", name="Edit / move")).to_be_visible()
    expect(page.get_by_test_id("totals-identified")).to_have_text("30 · $3,300 · weighted $330")
    assert Opportunity.objects.get(pk=first.pk).amount == Decimal("400.00")

    # When casey asks for more of the column, the last five come in place of the link
    column.get_by_role("link", name="Show 5 more of 5").click()
    expect(column.get_by_test_id("card")).to_have_count(30)
    expect(column.get_by_test_id("card").last).to_contain_text("Seats 30")
    expect(column.get_by_role("link", name=re.compile("more of"))).to_have_count(0)
    assert page.evaluate("window.sameDocument") is True
