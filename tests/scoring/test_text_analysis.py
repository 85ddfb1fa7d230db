"""The text-reading pipeline (docs/text-intelligence.md, issue 7 item 4-5): texts wait after they are written, are read
in batches and stored with the reader's name, a changed text is read again, an unchanged re-import keeps its
reading, and the support-sentiment measure reads the stored sentiment."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from accounts.importing.services import import_files
from accounts.models import SupportTicket, Touchpoint
from scoring.texts.reader import NAME
from scoring.texts.service import text_edited, texts_mark_unread, texts_read, texts_read_pending, waiting_batches
from tests.factories import AccountFactory, SupportTicketFactory, TouchpointFactory

pytestmark = pytest.mark.django_db

CHURN = "After the third Epic sync outage this month we have decided we are moving to CareLoop."


def test_a_written_text_waits_and_is_then_read_and_stored(own_account):
    ticket = SupportTicketFactory(account=own_account, subject="Sync outage", body=CHURN)
    assert ticket.analysis_version == ""

    assert texts_read_pending() == 1

    ticket.refresh_from_db()
    assert (ticket.category, ticket.competitors, ticket.analysis_version) == ("account_cancellation", ["CareLoop"],
                                                                             NAME)
    assert ticket.sentiment is not None and ticket.summary
    churn = next(e for e in ticket.evidence if e["kind"] == "churn_intent")
    assert churn["phrase"] == ticket.intent_phrase and "moving to CareLoop" in churn["phrase"]
    assert ticket.recommended_action.startswith("Call the customer today")


def test_a_batch_is_idempotent_and_a_changed_text_is_read_again(own_account):
    ticket = SupportTicketFactory(account=own_account, subject="Invoice", body="We were charged twice, refund please")
    assert texts_read("accounts.SupportTicket", [ticket.pk]) == 1
    assert texts_read("accounts.SupportTicket", [ticket.pk]) == 0  # a redelivered batch

    ticket.body = "The page takes forever to load, very slow since Monday"
    ticket.save()
    SupportTicket.objects.filter(pk=ticket.pk).update(analysis_version="")  # as an import of the change does
    assert waiting_batches() == [("accounts.SupportTicket", [ticket.pk])]
    texts_read_pending()
    ticket.refresh_from_db()
    assert ticket.category == "performance"

    ticket.body = "We were charged twice, refund please"
    ticket.save()
    text_edited(ticket)  # as an admin edit does: read at once
    ticket.refresh_from_db()
    assert (ticket.category, ticket.analysis_version) == ("billing", NAME)


def test_touchpoints_are_read_too_and_everything_can_be_read_again(own_account):
    TouchpointFactory(account=own_account, subject="Call notes", text="Customer asked how to set up new users; "
                                                                      "onboarding training requested.")
    texts_read_pending()
    assert Touchpoint.objects.get().category == "onboarding"

    assert texts_mark_unread() == 1
    output = io.StringIO()
    call_command("refresh_text_analysis", stdout=output)
    assert f"1 texts read by {NAME}" in output.getvalue()
    assert Touchpoint.objects.get().analysis_version == NAME


def test_refresh_all_marks_every_text_and_reads_it_again(own_account):
    SupportTicketFactory(account=own_account, body="The invoice is wrong.")
    texts_read_pending()
    output = io.StringIO()

    call_command("refresh_text_analysis", "--all", stdout=output)

    assert output.getvalue().splitlines()[0] == "1 texts marked to be read again"
    assert f"1 texts read by {NAME}" in output.getvalue()


def ticket_file(body: str) -> dict[str, bytes]:
    header = "ticket_id,account_id,submitted_at,closed_at,resolution_time_hours,priority,first_response_time_minutes," \
             "satisfaction_score,escalation_flag,subject,body\n"
    row = f"T-9,A-OWN,2025-03-01 10:00:00,,,high,,,False,Epic sync,{body}\n"
    return {"ravenstack_support_tickets.csv": (header + row).encode()}


def test_an_unchanged_reimport_keeps_the_reading_and_a_changed_text_waits_again(own_account):
    assert import_files(ticket_file("The Epic sync is failing again")).ok
    texts_read_pending()
    assert SupportTicket.objects.get().analysis_version == NAME

    again = import_files(ticket_file("The Epic sync is failing again"))
    assert SupportTicket.objects.get().analysis_version == NAME
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
    SupportTicket.objects.filter(account=happy).update(sentiment=1.0, analysis_version=NAME)
    SupportTicket.objects.filter(account=unhappy).update(sentiment=-1.0, analysis_version=NAME)
    SupportTicket.objects.filter(account=unrated).update(sentiment=0.5, analysis_version=NAME)

    recompute_scores(as_of=dt.date(2025, 3, 31))

    raw = {s.account_id: s.breakdown()["support_sentiment"]["raw"] for s in Snapshot.objects.all()}
    assert raw == {happy.pk: 1.0, unhappy.pk: 0.5, unrated.pk: 0.75}
