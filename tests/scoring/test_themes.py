"""Ticket themes across customers on Drivers & insights (issue 7, item 7): category × EHR system × segment
with accounts, MRR at risk, ticket counts and their trend, competitors and account links (the demo's planted
integration crisis: tests/demo_book/test_themes.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from scoring.texts.service import texts_read_pending
from tests.factories import (
    AccountFactory,
    SnapshotFactory,
    SubscriptionFactory,
    SupportTicketFactory,
    TouchpointFactory,
)
from workspace.dashboards import ticket_themes

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 3, 31)
SYNC = "The Cerner sync failed again overnight, the HL7 interface is down and charts are missing."


def at(days_before: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(AS_OF - dt.timedelta(days=days_before), dt.time(10)))


@pytest.fixture
def crisis(csm, other_csm):
    """Four SMB clinics on Cerner with sync tickets this week (one named a competitor), one a month ago;
    an Epic clinic with a billing question."""
    clinics = [AccountFactory(name=f"Clinic {n}", ehr_system="Cerner", segment="SMB", csm=csm if n % 2 else other_csm)
               for n in range(4)]
    for n, clinic in enumerate(clinics):
        SubscriptionFactory(account=clinic, mrr=Decimal(100 * (n + 1)), end_date=None)
        SupportTicketFactory(account=clinic, subject="Sync down", body=SYNC, submitted_at=at(n))
        SupportTicketFactory(account=clinic, subject="Still down", body=SYNC, submitted_at=at(n + 1))
    SupportTicketFactory(account=clinics[0], subject="Sync", body=SYNC, submitted_at=at(40))
    TouchpointFactory(account=clinics[1], subject="Call", text="They said they are looking at CareLoop instead.",
                      occurred_at=at(2))
    epic = AccountFactory(name="Epic Clinic", ehr_system="Epic", segment="SMB", csm=csm)
    SupportTicketFactory(account=epic, subject="Invoice", body="We were charged twice on the last invoice, "
                                                               "please refund.", submitted_at=at(3))
    texts_read_pending()
    return clinics


def test_themes_group_category_ehr_and_segment_with_counts_trend_and_mrr(crisis, manager):
    themes = ticket_themes(manager, AS_OF)

    top = themes[0]
    assert (top.label, top.ehr_system, top.segment, top.accounts) == ("Integration", "Cerner", "SMB", 4)
    assert (top.tickets_30, top.tickets_prior_30, top.tickets_7, top.spike) == (8, 1, 8, True)
    assert top.mrr_at_risk == 1000.0
    assert top.competitors == ["CareLoop"]
    assert [name for _, name in top.top_accounts] == ["Clinic 3", "Clinic 2", "Clinic 1", "Clinic 0"]
    billing = next(t for t in themes if t.category == "billing")
    assert (billing.ehr_system, billing.accounts, billing.tickets_30, billing.spike) == ("Epic", 1, 1, False)


def test_a_csm_sees_the_themes_of_their_own_accounts(crisis, csm):
    top = ticket_themes(csm, AS_OF)[0]

    assert (top.accounts, top.tickets_30, top.spike) == (2, 4, False)


def test_the_insights_page_shows_the_themes_with_links(client, crisis, manager):
    SnapshotFactory(account=crisis[0], as_of=AS_OF)  # the page reads the themes up to the latest scoring date
    client.force_login(manager)

    response = client.get("/insights/")

    content = response.content.decode()
    assert '<span class="badge bad" data-testid="spike">Spike</span>' in content
    assert f'href="/accounts/{crisis[3].external_id}/"' in content
    assert response.context["charts"]["themes"]["datasets"][0]["data"][0] == 8
