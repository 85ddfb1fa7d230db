"""The pipeline board stays light however full the pipeline (issue 13, docs/security.md): compact cards without
forms or select boxes, each column's first 25 with "show more" for the next ones (in place with HTMX,
a page of its own without JavaScript), and a card's actions and edit form fetched on demand into the
card (a page of its own without JavaScript, whose forms lead back to the board)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from expansion.models import Opportunity
from expansion.pipeline import COLUMN_PAGE

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def bulk(account, owner, stage: str, count: int, close_from: dt.date, prefix: str = "", **extra
         ) -> list[Opportunity]:
    """`count` opportunities in one stage, closing a day apart from `close_from` on (titles "<stage> 01"...)."""
    now = timezone.now()
    return Opportunity.objects.bulk_create(
        Opportunity(account=account, owner=owner, title=f"{prefix}{stage} {n:02d}", stage=stage,
                    amount=Decimal(100 + n), probability=10, expected_close=close_from + dt.timedelta(days=n - 1),
                    created_at=now, **extra)
        for n in range(1, count + 1))


@pytest.fixture
def crowded(csm, other_csm, own_account, foreign_account):
    """casey: 60 identified (closing on the 60 days from 2025-07-01 on, 31 of them in July), 3 qualified,
    30 won in the last 30 days; robin: 5 identified."""
    now = timezone.now()
    bulk(own_account, csm, "identified", 60, dt.date(2025, 7, 1))
    bulk(own_account, csm, "qualified", 3, dt.date(2025, 8, 1))
    won = bulk(own_account, csm, "won", 30, dt.date(2025, 5, 1), probability_edited=False)
    for n, opportunity in enumerate(won):  # the latest close first on the board
        Opportunity.objects.filter(pk=opportunity.pk).update(probability=100, closed_at=now - dt.timedelta(days=n))
    bulk(foreign_account, other_csm, "identified", 5, dt.date(2025, 7, 1), prefix="robin's ")


def card_titles(html: str) -> list[str]:
    return re.findall(r'<strong class="opp-title">([^<]+)</strong>', html)


def column_html(html: str, stage: str) -> str:
    return re.search(rf'<section class="stage-column stage-{stage}".*?</section>', html, re.S).group(0)


def test_each_column_shows_its_first_cards_and_how_many_more_there_are(client, csm, crowded):
    client.force_login(csm)

    html = client.get(reverse("pipeline")).content.decode()

    identified = column_html(html, "identified")
    assert card_titles(identified) == [f"identified {n:02d}" for n in range(1, COLUMN_PAGE + 1)]  # soonest close first
    assert 'data-testid="count">60<' in identified  # the totals are the whole column's
    more = f"{reverse('pipeline_column', args=['identified'])}?offset={COLUMN_PAGE}"
    assert f'<a href="{more}" hx-get="{more}" hx-target="closest li" hx-swap="outerHTML">Show 25 more of 35</a>' \
        in identified
    assert card_titles(column_html(html, "qualified")) == ["qualified 01", "qualified 02", "qualified 03"]
    assert "more of" not in column_html(html, "qualified")
    assert card_titles(column_html(html, "won"))[:2] == ["won 01", "won 02"]  # the latest won first
    board = re.search(r'<div id="board".*?<p class="note">', html, re.S).group(0)
    assert "<form" not in board and "<select" not in board and "<option" not in board


def test_show_more_brings_the_next_cards_in_place(client, csm, crowded):
    client.force_login(csm)
    url = reverse("pipeline_column", args=["identified"])

    second = client.get(url, {"offset": "25"}, headers=HTMX).content.decode()
    last = client.get(url, {"offset": "50"}, headers=HTMX).content.decode()

    assert second.lstrip().startswith('<li class="opp"') and "<html" not in second
    assert card_titles(second) == [f"identified {n:02d}" for n in range(26, 51)]
    assert f'href="{url}?offset=50"' in second and "Show 10 more of 10" in second
    assert card_titles(last) == [f"identified {n:02d}" for n in range(51, 61)]
    assert "more of" not in last


def test_show_more_keeps_the_filters(client, csm, crowded):
    client.force_login(csm)

    html = client.get(reverse("pipeline"), {"close_month": "2025-07"}).content.decode()
    more = client.get(reverse("pipeline_column", args=["identified"]), {"offset": "25", "close_month": "2025-07"},
                      headers=HTMX).content.decode()

    assert f'href="{reverse("pipeline_column", args=["identified"])}?offset=25&amp;close_month=2025-07"' in html
    assert "Show 6 more of 6" in html  # July holds 31 of the 60
    assert card_titles(more) == [f"identified {n:02d}" for n in range(26, 32)]
    assert f'hx-get="/pipeline/{Opportunity.objects.get(title="identified 26").pk}/?close_month=2025-07"' in more


def test_without_javascript_show_more_is_a_page_of_the_column(client, csm, crowded):
    client.force_login(csm)

    response = client.get(reverse("pipeline_column", args=["identified"]), {"offset": "25"})

    assertContains(response, "<h1>Identified <small>cards 26–50 of 60</small></h1>", html=True)
    assert card_titles(response.content.decode()) == [f"identified {n:02d}" for n in range(26, 51)]
    assertContains(response, f'href="{reverse("pipeline")}">Back to the board</a>')
    assertContains(response, "Show 10 more of 10")


def test_show_more_shows_only_the_users_own_cards(client, other_csm, crowded):
    client.force_login(other_csm)

    response = client.get(reverse("pipeline_column", args=["identified"]), {"offset": "0"}, headers=HTMX)

    assert card_titles(response.content.decode()) == [f"robin&#x27;s identified {n:02d}" for n in range(1, 6)]


@pytest.mark.parametrize(("stage", "offset", "message"), [
    ("signed", "0", "'signed' is not a stage; use one of: identified, qualified, proposal, negotiation, won, lost."),
    ("identified", "-1", "The offset must be a whole number of cards, 0 or more."),
    ("identified", "²", "The offset must be a whole number of cards, 0 or more."),
    ("identified", "1e3", "The offset must be a whole number of cards, 0 or more."),
    ("identified", "99999999999", "The offset must be at most 1,000,000 cards."),
])
def test_a_column_page_that_cannot_be_read_is_refused_with_what_to_give(client, csm, crowded, stage, offset, message):
    client.force_login(csm)

    response = client.get(reverse("pipeline_column", args=[stage]), {"offset": offset}, headers=HTMX)

    assert response.status_code == 400
    assert response.content.decode() == message


def test_a_cards_actions_and_edit_form_come_on_demand(client, csm, crowded):
    opportunity = Opportunity.objects.get(title="identified 03")
    client.force_login(csm)
    url = reverse("opportunity", args=[opportunity.pk])

    opened = client.get(url, {"segment": "Mid-Market"}, headers=HTMX).content.decode()
    closed_again = client.get(url, {"view": "card", "segment": "Mid-Market"}, headers=HTMX).content.decode()

    assert opened.lstrip().startswith(f'<li class="opp opened" id="opp-{opportunity.pk}"') and "<html" not in opened
    edit = reverse("opportunity_edit", args=[opportunity.pk])
    assert f'hx-post="{edit}?segment=Mid-Market" hx-target="#opp-{opportunity.pk}"' in opened
    assert 'name="amount" value="103.00"' in opened and f'<option value="{csm.pk}" selected>' in opened
    assert f'hx-post="{reverse("opportunity_move", args=[opportunity.pk])}?segment=Mid-Market"' in opened
    assert "<form" not in closed_again and "Edit / move" in closed_again
    assert closed_again.lstrip().startswith(f'<li class="opp" id="opp-{opportunity.pk}"')


def test_without_javascript_the_edit_form_is_a_page_that_saves_and_returns_to_the_board(client, csm, crowded):
    opportunity = Opportunity.objects.get(title="identified 03")
    client.force_login(csm)
    url = reverse("opportunity", args=[opportunity.pk])

    page = client.get(url, {"segment": "Mid-Market"})

    assertContains(page, "<h1>identified 03 <small>Lakeside Family Practice · Identified</small></h1>", html=True)
    assertContains(page, f'action="{reverse("opportunity_edit", args=[opportunity.pk])}?segment=Mid-Market"')
    assertContains(page, 'name="next" value="/pipeline/?segment=Mid-Market"')
    saved = client.post(f'{reverse("opportunity_edit", args=[opportunity.pk])}?segment=Mid-Market',
                        {"amount": "450", "probability": "20", "expected_close": "2025-07-04", "next_step": "Call",
                         "notes": "", "owner": str(csm.pk), "next": "/pipeline/?segment=Mid-Market"})
    assert saved.status_code == 302 and saved["Location"] == "/pipeline/?segment=Mid-Market"
    opportunity.refresh_from_db()
    assert (opportunity.amount, opportunity.probability, opportunity.next_step) == (Decimal("450.00"), 20, "Call")


def test_another_csms_card_cannot_be_opened(client, other_csm, crowded):
    opportunity = Opportunity.objects.get(title="identified 03")
    client.force_login(other_csm)

    for headers in ({}, HTMX):
        response = client.get(reverse("opportunity", args=[opportunity.pk]), headers=headers)
        assert response.status_code == 404
        assertNotContains(response, "identified 03", status_code=404)
