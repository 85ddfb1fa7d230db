"""The text-analysis pipeline (SPEC §2f, issue 7 item 4-5): texts wait after they are written, are read
in batches and stored with the analyser's name, a changed text is read again, an unchanged re-import
keeps its reading, and the support-sentiment measure reads the stored sentiment."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from accounts.importing.services import import_files
from accounts.models import SupportTicket, Touchpoint
from scoring.text_analysis import analyse_batch, analyse_pending, pending_batches, reset_all
from tests.factories import AccountFactory, SupportTicketFactory, TouchpointFactory

pytestmark = pytest.mark.django_db

CHURN = "After the third Epic sync outage this month we have decided we are moving to CareLoop."


def test_a_saved_text_waits_and_is_then_read_and_stored(own_account):
    ticket = SupportTicketFactory(account=own_account, subject="Sync outage", body=CHURN)
    assert ticket.analysis_version == ""

    assert analyse_pending() == 1

    ticket.refresh_from_db()
    assert (ticket.category, ticket.competitor, ticket.analysis_version) == ("account_cancellation", "CareLoop",
                                                                            "builtin-2")
    assert ticket.sentiment is not None and ticket.summary.startswith("After the third Epic sync outage")
    assert {"kind": "churn_intent", "phrase": "we are moving to CareLoop"}.items() <= ticket.evidence[0].items()
    assert ticket.recommended_action.startswith("Call the customer today")


def test_a_batch_is_idempotent_and_a_changed_text_is_read_again(own_account):
    ticket = SupportTicketFactory(account=own_account, subject="Invoice", body="We were charged twice, refund please")
    assert analyse_batch("accounts.SupportTicket", [ticket.pk]) == 1
    assert analyse_batch("accounts.SupportTicket", [ticket.pk]) == 0  # a redelivered batch

    ticket.body = "The page takes forever to load, very slow since Monday"
    ticket.save()
    assert pending_batches() == [("accounts.SupportTicket", [ticket.pk])]
    analyse_pending()
    ticket.refresh_from_db()
    assert ticket.category == "performance"


def test_touchpoints_are_read_too_and_everything_can_be_read_again(own_account):
    TouchpointFactory(account=own_account, subject="Call notes", text="Customer asked how to set up new users; "
                                                                      "onboarding training requested.")
    analyse_pending()
    assert Touchpoint.objects.get().category == "onboarding"

    assert reset_all() == 1
    output = io.StringIO()
    call_command("refresh_text_analysis", stdout=output)
    assert "1 texts read by builtin-2" in output.getvalue()


def ticket_file(body: str) -> dict[str, bytes]:
    header = "ticket_id,account_id,submitted_at,closed_at,resolution_time_hours,priority,first_response_time_minutes," \
             "satisfaction_score,escalation_flag,subject,body\n"
    row = f"T-9,A-OWN,2025-03-01 10:00:00,,,high,,,False,Epic sync,{body}\n"
    return {"ravenstack_support_tickets.csv": (header + row).encode()}


def test_an_unchanged_reimport_keeps_the_reading_and_a_changed_text_waits_again(own_account):
    assert import_files(ticket_file("The Epic sync is failing again")).ok
    analyse_pending()
    assert SupportTicket.objects.get().analysis_version == "builtin-2"

    again = import_files(ticket_file("The Epic sync is failing again"))
    assert SupportTicket.objects.get().analysis_version == "builtin-2"
    assert again.tables[0].updated == 0

    import_files(ticket_file("We will take our business elsewhere"))
    assert SupportTicket.objects.get().analysis_version == ""


def test_the_support_sentiment_measure_averages_satisfaction_and_text_sentiment(csm):
    from scoring.models import Snapshot
    from scoring.services import recompute_scores

    happy, unhappy, unrated = (AccountFactory(csm=csm) for _ in range(3))
    at = dt.datetime(2025, 3, 10, 9, tzinfo=dt.UTC)
    SupportTicketFactory(account=happy, satisfaction_score=5, submitted_at=at)
    SupportTicketFactory(account=unhappy, satisfaction_score=5, submitted_at=at)
    SupportTicketFactory(account=unrated, satisfaction_score=None, submitted_at=at)
    SupportTicket.objects.filter(account=happy).update(sentiment=1.0, analysis_version="builtin-2")
    SupportTicket.objects.filter(account=unhappy).update(sentiment=-1.0, analysis_version="builtin-2")
    SupportTicket.objects.filter(account=unrated).update(sentiment=0.5, analysis_version="builtin-2")

    recompute_scores(as_of=dt.date(2025, 3, 31))

    raw = {s.account_id: s.breakdown()["support_sentiment"]["raw"] for s in Snapshot.objects.all()}
    assert raw == {happy.pk: 1.0, unhappy.pk: 0.5, unrated.pk: 0.75}
