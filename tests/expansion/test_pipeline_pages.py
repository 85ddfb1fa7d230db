"""The expansion pipeline's pages (docs/expansion.md, docs/pages.md): the board with its columns, totals and weighted
values, its filters, moving and editing opportunities in place with HTMX or as plain forms under the pipeline's
rules, adding them by hand, converting and dismissing signals; another CSM's opportunities and signals
are out of reach; the managers' forecast with exact figures."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from expansion.models import ExpansionSignal, Opportunity, SignalStatus, StageChange
from expansion.pipeline import forecast
from expansion.services import opportunity_create, opportunity_update
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
D = Decimal


def make(account, title, amount, stage="identified", user=None, expected_close=None, now=None, closed_at=None,
         **changes):
    """An opportunity created (and moved) through the services, as the pages and API do (amount and
    expected close as typed: "1000", "2025-06-15")."""
    opportunity = opportunity_create(account=account, user=user, title=title, amount=Decimal(amount),
                                     expected_close=dt.date.fromisoformat(expected_close) if expected_close else None,
                                     now=now)
    if stage != "identified" or changes:
        opportunity = opportunity_update(opportunity=opportunity, user=user, changes={"stage": stage, **changes},
                                         now=closed_at or now)
    return opportunity


@pytest.fixture
def book(csm, other_csm, own_account, foreign_account):
    """casey's Lakeside (Mid-Market) and Brookside (SMB), robin's Harbor; one won and one long-lost
    opportunity besides the open ones."""
    brookside = AccountFactory(external_id="A-SMB", name="Brookside Clinic", csm=csm, segment="SMB")
    long_ago = timezone.now() - dt.timedelta(days=200)
    return {
        "seats": make(own_account, "Add 10 seats", "1000", user=csm, expected_close="2025-06-15"),
        "api": make(own_account, "API tier", "2500", stage="proposal", user=csm, expected_close="2025-06-30"),
        "sites": make(brookside, "Two more sites", "800", stage="qualified", user=csm, expected_close="2025-07-01"),
        "won": make(own_account, "Analytics add-on", "300", stage="won", user=csm),
        "old": make(own_account, "Old idea", "100", stage="lost", user=csm, lost_reason="No budget",
                    now=long_ago),
        "foreign": make(foreign_account, "Harbor upsell", "5000", user=other_csm),
    }


def totals(response, stage) -> tuple:
    column = next(c for c in response.context["board"].columns if c.stage == stage)
    return column.totals.count, column.totals.amount, column.totals.weighted


def titles(response, stage) -> list[str]:
    column = next(c for c in response.context["board"].columns if c.stage == stage)
    return [card.opportunity.title for card in column.cards]


# The board -----------------------------------------------------------------------------------------------

def test_the_board_has_a_column_per_stage_with_exact_totals(client, csm, book):
    client.force_login(csm)

    response = client.get(reverse("pipeline"))

    assert [c.stage for c in response.context["board"].columns] == [
        "identified", "qualified", "proposal", "negotiation", "won", "lost"]
    assert totals(response, "identified") == (1, D("1000.00"), D("100.00"))
    assert totals(response, "qualified") == (1, D("800.00"), D("200.00"))
    assert totals(response, "proposal") == (1, D("2500.00"), D("1250.00"))
    assert totals(response, "negotiation") == (0, D("0"), D("0"))
    assert totals(response, "won") == (1, D("300.00"), D("300.00"))
    assert totals(response, "lost") == (0, D("0"), D("0"))  # lost 200 days ago: no longer on the board
    assert titles(response, "proposal") == ["API tier"]
    html = response.content.decode()
    proposal = re.search(r'id="totals-proposal".*?</p>', html, re.S).group(0)
    assert "$2,500" in proposal and "weighted" in proposal and "$1,250" in proposal
    assertContains(response, f'href="{reverse("account_detail", args=["A-OWN"])}"')
    assertNotContains(response, "Harbor upsell")
    assertNotContains(response, "Old idea")


def test_a_card_shows_its_facts_and_opens_its_actions_on_demand(client, csm, book):
    client.force_login(csm)

    html = client.get(reverse("pipeline")).content.decode()

    seats = re.search(rf'<li[^>]*id="opp-{book["seats"].pk}".*?</li>', html, re.S).group(0)
    for text in ("Lakeside Family Practice", "Add 10 seats", "$1,000/mo", "10%", "2025-06-15",
                 csm.get_full_name(), "Edit / move"):
        assert text in seats, text
    # compact: no form and no select box on the board; the actions come with the card's own address
    assert "<form" not in seats and "<select" not in seats
    card_url = reverse("opportunity", args=[book["seats"].pk])
    assert f'href="{card_url}" hx-get="{card_url}" hx-target="#opp-{book["seats"].pk}"' in seats
    opened = client.get(card_url, headers=HTMX).content.decode()
    assert opened.lstrip().startswith(f'<li class="opp opened" id="opp-{book["seats"].pk}"')
    for text in ("next stage →", "Mark won", "Mark lost", "<details open><summary>Edit</summary>", 'name="owner"'):
        assert text in opened, text
    assert "← previous stage" not in opened  # identified is the first stage
    api = client.get(reverse("opportunity", args=[book["api"].pk]), headers=HTMX).content.decode()
    assert "← previous stage" in api and "next stage →" in api
    won = re.search(rf'<li[^>]*id="opp-{book["won"].pk}".*?</li>', html, re.S).group(0)
    assert "Won on" in won and "Edit / move" not in won and "data-move-url" not in won  # closed stays closed
    won_opened = client.get(reverse("opportunity", args=[book["won"].pk]), headers=HTMX).content.decode()
    assert "<form" not in won_opened


def test_the_filters_narrow_the_board_by_owner_segment_and_close_month(client, manager, csm, other_csm, book):
    client.force_login(manager)

    everyone = client.get(reverse("pipeline"))
    by_email = client.get(reverse("pipeline"), {"owner": "ROBIN@example.org"})
    by_id = client.get(reverse("pipeline"), {"owner": str(csm.pk)})
    smb = client.get(reverse("pipeline"), {"segment": "smb"})
    june = client.get(reverse("pipeline"), {"close_month": "2025-06"})

    assert titles(everyone, "identified") == ["Add 10 seats", "Harbor upsell"]
    assert titles(by_email, "identified") == ["Harbor upsell"] and totals(by_email, "proposal")[0] == 0
    assert titles(by_id, "identified") == ["Add 10 seats"] and titles(by_id, "proposal") == ["API tier"]
    assert [c.opportunity.title for c in smb.context["board"].cards] == ["Two more sites"]
    assert [c.opportunity.title for c in june.context["board"].cards] == ["Add 10 seats", "API tier"]
    assert totals(june, "identified") == (1, D("1000.00"), D("100.00"))


def test_a_filter_that_cannot_be_read_is_named_and_left_out(client, csm, book):
    client.force_login(csm)

    response = client.get(reverse("pipeline"), {"close_month": "June", "segment": "SMB"})

    assert response.context["board"].problems == {"close_month": "'June' is not a month; use YYYY-MM, e.g. 2025-06."}
    assert [c.opportunity.title for c in response.context["board"].cards] == ["Two more sites"]
    assertContains(response, "&#x27;June&#x27; is not a month")


def test_filtering_with_htmx_returns_the_board_and_keeps_the_address_in_step(client, csm, book):
    client.force_login(csm)

    response = client.get(reverse("pipeline"), {"owner": "", "segment": "SMB", "close_month": ""}, headers=HTMX)

    assert response["HX-Push-Url"] == "/pipeline/?segment=SMB"
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="board"') and "<html" not in html
    assert "Two more sites" in html and "Add 10 seats" not in html
    # the cards and their forms carry the filters, so the board comes back filtered after a move
    sites = book["sites"].pk
    assert f'data-move-url="/pipeline/{sites}/move/?segment=SMB"' in html
    assert f'hx-get="/pipeline/{sites}/?segment=SMB"' in html
    opened = client.get(f"/pipeline/{sites}/?segment=SMB", headers=HTMX).content.decode()
    assert f'hx-post="/pipeline/{sites}/move/?segment=SMB"' in opened
    assert 'name="next" value="/pipeline/?segment=SMB"' in opened
    assert f'hx-get="/pipeline/{sites}/?view=card&amp;segment=SMB"' in opened  # "Close": the compact card


def test_the_board_costs_the_same_queries_for_one_or_many_cards(client, csm, own_account):
    client.force_login(csm)
    make(own_account, "First", "100", user=csm)
    client.get(reverse("pipeline"))  # warm: session, user and role

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("pipeline")).status_code == 200
        return len(captured.captured_queries)

    one = queries()
    for n, stage in enumerate(["identified", "qualified", "proposal", "negotiation", "won", "lost"] * 3):
        account = AccountFactory(csm=csm)
        make(account, f"More {n}", "250", stage=stage, user=csm, lost_reason="Timing")
        ExpansionSignal.objects.create(account=account, kind="usage_limit", first_detected_on=dt.date(2025, 3, 1),
                                       last_detected_on=dt.date(2025, 3, 2), summary="Usage at 90%")
    assert queries() == one


# Moving a card -------------------------------------------------------------------------------------------

def test_moving_with_htmx_returns_the_whole_board_with_the_new_totals(client, csm, book):
    seats = book["seats"]
    client.force_login(csm)

    response = client.post(reverse("opportunity_move", args=[seats.pk]), {"stage": "qualified"}, headers=HTMX)

    seats.refresh_from_db()
    assert (seats.stage, seats.probability) == ("qualified", 25)
    change = seats.stage_changes.last()
    assert (change.from_stage, change.to_stage, change.changed_by) == ("identified", "qualified", csm)
    assert response["HX-Trigger"] == "pipelineChanged"
    assert totals(response, "identified") == (0, D("0"), D("0"))
    assert totals(response, "qualified") == (2, D("1800.00"), D("450.00"))
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="board"') and "<html" not in html
    assert "Moved to Qualified." in html


def test_without_javascript_a_move_returns_to_the_board_it_came_from(client, csm, book):
    client.force_login(csm)
    url = reverse("opportunity_move", args=[book["api"].pk])

    response = client.post(url, {"stage": "negotiation", "next": "/pipeline/?segment=Mid-Market"})

    assert response.status_code == 302 and response["Location"] == "/pipeline/?segment=Mid-Market"
    assert Opportunity.objects.get(pk=book["api"].pk).stage == "negotiation"
    page = client.get(response["Location"])
    assertContains(page, "API tier (Lakeside Family Practice): moved to Negotiation.")
    response = client.post(url, {"stage": "proposal", "next": "https://evil.example/"})
    assert response["Location"] == reverse("pipeline")


def test_marking_lost_needs_a_reason(client, csm, book):
    seats = book["seats"]
    client.force_login(csm)
    changes = StageChange.objects.count()

    response = client.post(reverse("opportunity_move", args=[seats.pk]), {"stage": "lost", "lost_reason": " "},
                           headers=HTMX)

    seats.refresh_from_db()
    assert (seats.stage, StageChange.objects.count()) == ("identified", changes)
    assertContains(response, "Say why the opportunity was lost.")
    assert "HX-Trigger" not in response
    html = response.content.decode()
    card = re.search(rf'<li[^>]*id="opp-{seats.pk}".*?</li>', html, re.S).group(0)
    assert "<details open><summary>Mark lost</summary>" in card

    response = client.post(reverse("opportunity_move", args=[seats.pk]),
                           {"stage": "lost", "lost_reason": "Chose a competitor"}, headers=HTMX)
    seats.refresh_from_db()
    assert (seats.stage, seats.lost_reason, seats.probability) == ("lost", "Chose a competitor", 0)
    assert totals(response, "lost") == (1, D("1000.00"), D("0.00"))


def test_marking_won_needs_an_amount(client, csm, own_account):
    free = make(own_account, "Pilot", "0", user=csm)
    client.force_login(csm)

    response = client.post(reverse("opportunity_move", args=[free.pk]), {"stage": "won"}, headers=HTMX)

    free.refresh_from_db()
    assert free.stage == "identified" and free.closed_at is None
    assertContains(response, "A won opportunity needs its amount (added MRR) above zero.")

    plain = client.post(reverse("opportunity_move", args=[free.pk]), {"stage": "won"})  # without JavaScript
    assertContains(plain, "A won opportunity needs its amount (added MRR) above zero.", status_code=400)
    assertContains(plain, "<h1>Expansion pipeline</h1>", status_code=400)
    assert Opportunity.objects.get(pk=free.pk).stage == "identified"


def test_a_closed_opportunity_stays_closed(client, csm, book):
    won = book["won"]
    client.force_login(csm)

    response = client.post(reverse("opportunity_move", args=[won.pk]), {"stage": "proposal"}, headers=HTMX)

    won.refresh_from_db()
    assert (won.stage, won.probability) == ("won", 100)
    assertContains(response, "This opportunity is won; a closed opportunity stays closed.")


def test_an_unknown_stage_is_refused(client, csm, book):
    client.force_login(csm)

    response = client.post(reverse("opportunity_move", args=[book["seats"].pk]), {"stage": "signed"}, headers=HTMX)

    assert Opportunity.objects.get(pk=book["seats"].pk).stage == "identified"
    assertContains(response, "&#x27;signed&#x27; is not a stage")


# Editing a card ------------------------------------------------------------------------------------------

def edit_form(opportunity, **changes) -> dict:
    form = {"amount": str(opportunity.amount), "probability": str(opportunity.probability),
            "expected_close": opportunity.expected_close.isoformat() if opportunity.expected_close else "",
            "next_step": opportunity.next_step, "notes": opportunity.notes, "owner": str(opportunity.owner_id or "")}
    return {**form, **changes}


def test_an_inline_edit_returns_the_card_and_the_totals_out_of_band(client, csm, book):
    seats = book["seats"]
    client.force_login(csm)

    response = client.post(reverse("opportunity_edit", args=[seats.pk]),
                           edit_form(seats, amount="2000", probability="30", next_step="Send the quote"),
                           headers=HTMX)

    seats.refresh_from_db()
    assert (seats.amount, seats.probability, seats.probability_edited, seats.next_step) == (
        D("2000.00"), 30, True, "Send the quote")
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li class="opp" id="opp-{seats.pk}"') and "Saved." in html
    identified = re.search(r'<p class="column-totals" id="totals-identified"[^>]*>.*?</p>', html, re.S).group(0)
    assert 'hx-swap-oob="true"' in identified and "$2,000" in identified and "$600" in identified
    assert response["HX-Trigger"] == "pipelineChanged"


def test_an_inline_edit_that_breaks_a_rule_keeps_what_was_typed_and_changes_nothing(client, csm, book):
    seats = book["seats"]
    client.force_login(csm)
    form = edit_form(seats, amount="-5", next_step="Call the CFO", notes="Wants a discount")

    response = client.post(reverse("opportunity_edit", args=[seats.pk]), form, headers=HTMX)

    assert Opportunity.objects.get(pk=seats.pk).amount == D("1000.00")
    assert Opportunity.objects.get(pk=seats.pk).next_step == ""
    html = response.content.decode()
    assert "The amount (added MRR) must be zero or more." in html
    assert 'name="amount" value="-5"' in html and 'value="Call the CFO"' in html and "Wants a discount" in html
    assert "<details open><summary>Edit</summary>" in html and "HX-Trigger" not in response

    plain = client.post(reverse("opportunity_edit", args=[seats.pk]), {**form, "amount": "1000", "probability": "150"})
    assert plain.status_code == 400
    assertContains(plain, "The probability must be from 0 to 100.", status_code=400)
    assertContains(plain, 'name="probability" value="150"', status_code=400)
    assertContains(plain, "<h1>Expansion pipeline</h1>", status_code=400)


def test_an_unknown_owner_is_refused(client, csm, book, admin_user):
    client.force_login(csm)
    nobody = book["foreign"].owner.pk + 1000

    response = client.post(reverse("opportunity_edit", args=[book["seats"].pk]),
                           edit_form(book["seats"], owner=str(nobody)), headers=HTMX)

    assertContains(response, "Unknown owner.")
    assert Opportunity.objects.get(pk=book["seats"].pk).owner == csm
    client.post(reverse("opportunity_edit", args=[book["seats"].pk]),
                edit_form(book["seats"], owner=str(admin_user.pk)))
    assert Opportunity.objects.get(pk=book["seats"].pk).owner == admin_user


# Adding by hand, signals -----------------------------------------------------------------------------------

def test_the_new_opportunity_form_starts_with_the_account(client, csm, book):
    client.force_login(csm)

    picker = client.get(reverse("pipeline"))
    found = client.get(reverse("pipeline"), {"add_q": "brook"}, headers={**HTMX, "HX-Target": "new-opportunity"})
    by_id = client.get(reverse("pipeline"), {"add_q": "a-smb"})
    others = client.get(reverse("pipeline"), {"add_q": "harbor"})
    form = client.get(reverse("pipeline"), {"add": "A-SMB"}, headers={**HTMX, "HX-Target": "new-opportunity"})

    # the account is found by what is typed, not picked from a select box of every account
    assertContains(picker, '<input type="search" id="add-account" name="add_q" value="" maxlength="100" required>',
                   html=True)
    assertNotContains(picker, '<option value="A-SMB">')
    assert [a.external_id for a in found.context["add_matches"]] == ["A-SMB"]
    assertContains(found, '<a href="/pipeline/?add=A-SMB" hx-get="/pipeline/?add=A-SMB"')
    assert [a.external_id for a in by_id.context["add_matches"]] == ["A-SMB"]
    assert others.context["add_matches"] == []  # robin's account is out of reach
    assertContains(others, "None of your live accounts is called or has the id “harbor”.")
    assertContains(form, f'action="{reverse("opportunity_add", args=["A-SMB"])}"')
    assert client.get(reverse("pipeline"), {"add": "A-FOREIGN"}).status_code == 404


def test_adding_an_opportunity_by_hand(client, csm, own_account):
    client.force_login(csm)
    url = reverse("opportunity_add", args=["A-OWN"])

    response = client.post(url, {"title": "Telehealth module", "amount": "450", "expected_close": "2025-08-01",
                                 "next_step": "Demo", "next": "/pipeline/"})

    assert response.status_code == 302 and response["Location"] == "/pipeline/"
    added = Opportunity.objects.get()
    assert (added.account, added.stage, added.amount, added.probability, added.owner, added.created_by,
            added.expected_close, added.next_step) == (own_account, "identified", D("450.00"), 10, csm, csm,
                                                       dt.date(2025, 8, 1), "Demo")

    response = client.post(url, {"title": "E-prescribing", "amount": "200"}, headers=HTMX)
    html = response.content.decode()
    assert "Added: E-prescribing on Lakeside Family Practice." in html
    assert '<div id="board" class="board" data-testid="board" hx-swap-oob="true">' in html
    assert "E-prescribing" in html.split('<div id="board"')[1]


def test_adding_without_a_title_keeps_what_was_typed(client, csm, own_account):
    client.force_login(csm)

    response = client.post(reverse("opportunity_add", args=["A-OWN"]), {"title": " ", "amount": "450",
                                                                         "next_step": "Demo"}, headers=HTMX)

    assert Opportunity.objects.count() == 0
    assertContains(response, "Give the opportunity a title.")
    assertContains(response, 'name="amount" value="450"')
    plain = client.post(reverse("opportunity_add", args=["A-OWN"]), {"title": "Telehealth", "amount": "lots"})
    assertContains(plain, "&#x27;lots&#x27; is not an amount", status_code=400)
    assert Opportunity.objects.count() == 0


def signal(account, kind="usage_limit", status=SignalStatus.OPEN, opportunity=None, estimated="600"):
    return ExpansionSignal.objects.create(
        account=account, kind=kind, status=status, first_detected_on=dt.date(2025, 3, 1),
        last_detected_on=dt.date(2025, 3, 20), summary="Usage at 92% of the plan's limit",
        estimated_mrr=D(estimated), opportunity=opportunity)


def test_converting_a_signal_adds_it_to_the_board(client, csm, own_account):
    found = signal(own_account)
    client.force_login(csm)

    page = client.get(reverse("pipeline"))
    assertContains(page, "Usage above 80% of the plan&#x27;s limit")
    response = client.post(reverse("signal_convert", args=[found.pk]), headers=HTMX)

    found.refresh_from_db()
    opportunity = found.opportunity
    assert (found.status, opportunity.source_kind, opportunity.amount, opportunity.stage) == (
        "open", "usage_limit", D("600.00"), "identified")  # it stays open (and refreshed), now in the pipeline
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="signals"') and "No open signal waiting." in html
    assert 'hx-swap-oob="true"' in html and f'id="opp-{opportunity.pk}"' in html


def test_dismissing_a_signal(client, csm, own_account):
    found = signal(own_account)
    client.force_login(csm)

    response = client.post(reverse("signal_dismiss", args=[found.pk]), {"next": "/pipeline/"})

    found.refresh_from_db()
    assert found.status == "dismissed" and found.opportunity is None
    assert response["Location"] == "/pipeline/"


# Another CSM's --------------------------------------------------------------------------------------------

def test_a_csm_cannot_touch_another_csms_opportunities_or_signals(client, csm, book, foreign_account):
    foreign = book["foreign"]
    foreign_signal = signal(foreign_account)
    client.force_login(csm)
    before = (list(Opportunity.objects.order_by("pk").values()), StageChange.objects.count())

    for headers in ({}, HTMX):
        assert client.post(reverse("opportunity_move", args=[foreign.pk]), {"stage": "qualified"},
                           headers=headers).status_code == 404
        assert client.post(reverse("opportunity_edit", args=[foreign.pk]), edit_form(foreign, amount="1"),
                           headers=headers).status_code == 404
        assert client.post(reverse("signal_convert", args=[foreign_signal.pk]), headers=headers).status_code == 404
        assert client.post(reverse("signal_dismiss", args=[foreign_signal.pk]), headers=headers).status_code == 404
        assert client.post(reverse("opportunity_add", args=["A-FOREIGN"]), {"title": "Sneaky", "amount": "1"},
                           headers=headers).status_code == 404

    assert (list(Opportunity.objects.order_by("pk").values()), StageChange.objects.count()) == before
    foreign_signal.refresh_from_db()
    assert (foreign_signal.status, foreign_signal.opportunity) == ("open", None)


def test_a_manager_moves_any_opportunity(client, manager, book):
    client.force_login(manager)

    client.post(reverse("opportunity_move", args=[book["foreign"].pk]), {"stage": "proposal"}, headers=HTMX)

    assert Opportunity.objects.get(pk=book["foreign"].pk).stage == "proposal"


# The forecast ---------------------------------------------------------------------------------------------

@pytest.fixture
def history(csm, other_csm, own_account, foreign_account):
    """A small portfolio with a known answer: four open opportunities (casey two, robin two), two won,
    three lost, and signals of three types."""
    now = timezone.now()
    ago = lambda days: now - dt.timedelta(days=days)  # noqa: E731
    make(own_account, "Seats", "1000", user=csm)                                    # identified: 100
    make(foreign_account, "Sites", "600", stage="qualified", user=other_csm, probability="40")  # 240
    make(own_account, "API", "2000", stage="proposal", user=csm)                    # proposal: 1000
    negotiation = make(foreign_account, "Enterprise", "4000", stage="negotiation", user=other_csm)  # 3000
    won_recently = make(own_account, "Analytics", "1500", stage="won", now=ago(50), closed_at=ago(10))  # 40 days
    make(foreign_account, "Scribe", "900", stage="won", now=ago(200), closed_at=ago(150))               # 50 days
    make(own_account, "Pop health", "700", stage="lost", lost_reason="Budget", now=ago(30), closed_at=ago(5))
    make(own_account, "Training", "200", stage="lost", lost_reason="Timing", now=ago(60), closed_at=ago(20))
    make(foreign_account, "Reports", "300", stage="lost", lost_reason="Built it", now=ago(300), closed_at=ago(120))
    # usage_limit: four signals, three in the pipeline (two, an old and a current one, in the same won
    # opportunity), one not
    signal(own_account, status=SignalStatus.EXPIRED, opportunity=won_recently)
    signal(own_account, opportunity=won_recently)
    signal(foreign_account, status=SignalStatus.EXPIRED, opportunity=negotiation)
    signal(foreign_account)
    signal(own_account, kind="promoter", opportunity=won_recently)
    signal(foreign_account, kind="api_growth", status=SignalStatus.DISMISSED)


def test_the_forecast_figures_on_a_small_portfolio(manager, history):
    found = forecast(manager)

    assert [(stage.value, t.count, t.amount, t.weighted) for stage, t in found.by_stage] == [
        ("identified", 1, D("1000.00"), D("100.00")), ("qualified", 1, D("600.00"), D("240.00")),
        ("proposal", 1, D("2000.00"), D("1000.00")), ("negotiation", 1, D("4000.00"), D("3000.00"))]
    assert (found.pipeline.count, found.pipeline.amount, found.pipeline.weighted) == (4, D("7600.00"), D("4340.00"))
    assert [(row.email, row.totals.count, row.totals.amount, row.totals.weighted) for row in found.by_owner] == [
        ("robin@example.org", 2, D("4600.00"), D("3240.00")), ("casey@example.org", 2, D("3000.00"), D("1100.00"))]
    assert (found.win_rate.won, found.win_rate.lost, found.win_rate.percent) == (2, 3, 40.0)
    assert (found.recent_win_rate.won, found.recent_win_rate.lost, found.recent_win_rate.percent) == (1, 2, 33.3)
    assert (found.cycle_days, found.cycle_won) == (45.0, 2)
    rows = {row.kind: (row.signals, row.converted, row.won, row.won_amount, row.percent) for row in found.conversion}
    assert rows["usage_limit"] == (4, 3, 2, D("1500.00"), 50.0)
    assert rows["promoter"] == (1, 1, 1, D("1500.00"), 100.0)
    assert rows["api_growth"] == (1, 0, 0, D("0"), 0.0)
    assert rows["overage"] == (0, 0, 0, D("0"), None)
    assert len(found.conversion) == 8


def test_the_forecast_page_shows_the_figures_charts_and_tables(client, manager, history):
    client.force_login(manager)

    response = client.get(reverse("pipeline_forecast"))

    assert response.status_code == 200
    for text in ('data-testid="win-rate">40.0%', 'data-testid="recent-win-rate">33.3%',
                 'data-testid="cycle-days">45.0 days', 'data-testid="weighted-amount">$4,340',
                 'data-chart="stage"', 'data-chart="owner"', 'data-chart="conversion"', 'data-chart-table="owner"'):
        assertContains(response, text)
    charts = response.context["charts"]
    assert charts["stage"]["datasets"][1]["data"] == [100.0, 240.0, 1000.0, 3000.0]
    assert charts["owner"]["labels"] == [response.context["forecast"].by_owner[0].name,
                                         response.context["forecast"].by_owner[1].name]
    assert charts["conversion"]["labels"] == ["Usage above 80% of the plan's limit", "API usage growth above 1.5x",
                                              "Promoter (NPS 9-10) with a healthy score"]
    assert charts["conversion"]["datasets"][2]["data"] == [2, 0, 1]


def test_an_empty_forecast_says_where_the_figures_come_from(client, manager):
    client.force_login(manager)

    response = client.get(reverse("pipeline_forecast"))

    assertContains(response, "No open opportunities.")
    assertContains(response, "No signals detected yet")
    assert response.context["charts"] == {}
    assertContains(response, 'data-testid="win-rate">—')


def test_the_forecast_is_for_managers(client, csm, history):
    client.force_login(csm)

    assert client.get(reverse("pipeline_forecast")).status_code == 403
    assertNotContains(client.get(reverse("pipeline")), "Open the forecast")
