"""Customer texts are read once and the scoring engine reads the stored reading: an admin edit is read at
once; imported texts and rows written any other way wait, and are read by the background sweep or, at the
latest, by the recompute before it scores."""

import datetime as dt

import pytest

from accounts import models as m
from accounts.importing.services import import_files
from scoring import configs, services
from scoring.config import parse_config
from scoring.texts.reader import NAME, read
from scoring.texts.service import lexicon, text_edited, texts_read_pending
from tests import factories
from tests.importing import ACCOUNTS_HEADER, csv_bytes

pytestmark = pytest.mark.django_db

TICKETS_HEADER = ("ticket_id,account_id,submitted_at,closed_at,resolution_time_hours,priority,"
                  "first_response_time_minutes,satisfaction_score,escalation_flag,subject,body")
ACCOUNT_ROW = "A-1,Clinic One,Health,US,2024-01-01,partner,Pro,10,False,False"


def ticket_row(ticket_id: str, subject: str, body: str) -> str:
    return f"{ticket_id},A-1,2024-12-20 10:00:00,,,medium,,,False,{subject},{body}"


def stored(model, external_id: str) -> tuple:
    return model.objects.filter(external_id=external_id).values_list(
        "intent_phrase", "feature_request", "case_study", "analysis_version").get()


def phrase(subject: str, body: str) -> str:
    """The churn phrase the reader finds in a stored text (subject and body, as the service joins them)."""
    return read(f"{subject}\n{body}".strip(), lexicon()).intent_phrase


def test_an_edited_ticket_or_touchpoint_is_read_at_once():
    ticket = factories.SupportTicketFactory(subject="Renewal", body="Honestly we won't renew this year.")
    touchpoint = factories.TouchpointFactory(subject="Feature request", text="We would love a case study.")

    text_edited(ticket)
    text_edited(touchpoint)

    intent = stored(m.SupportTicket, ticket.external_id)
    assert intent == (phrase("Renewal", "Honestly we won't renew this year."), False, False, NAME)
    assert "renew" in intent[0]
    assert stored(m.Touchpoint, touchpoint.external_id) == ("", True, True, NAME)

    ticket.body = "Happy with the service, we are not leaving."
    ticket.save(update_fields=["body"])
    text_edited(ticket)
    assert stored(m.SupportTicket, ticket.external_id) == ("", False, False, NAME)


def test_imported_texts_wait_are_read_and_a_reimport_of_the_same_texts_writes_nothing():
    files = {"ravenstack_accounts.csv": csv_bytes(ACCOUNTS_HEADER, ACCOUNT_ROW),
             "ravenstack_support_tickets.csv": csv_bytes(
                 TICKETS_HEADER, ticket_row("T-1", "Contract", "We plan to cancel our subscription."),
                 ticket_row("T-2", "Idea", "Feature request: bulk export"),
                 ticket_row("T-3", "Meeting", "We need to cancel the meeting tomorrow."))}

    first = import_files(files)
    assert stored(m.SupportTicket, "T-1")[3] == ""  # waits for the workers or the next recompute
    assert texts_read_pending() == 3
    again = import_files(files)

    assert first.ok and again.ok
    assert stored(m.SupportTicket, "T-1") == (phrase("Contract", "We plan to cancel our subscription."), False,
                                              False, NAME)
    assert "cancel" in stored(m.SupportTicket, "T-1")[0]
    assert stored(m.SupportTicket, "T-2") == ("", True, False, NAME)
    assert stored(m.SupportTicket, "T-3") == ("", False, False, NAME)
    assert again.counts()["tickets"] == {"rows": 3, "inserted": 0, "updated": 0, "unchanged": 3}


def test_a_changed_text_on_reimport_is_read_again():
    accounts = csv_bytes(ACCOUNTS_HEADER, ACCOUNT_ROW)
    import_files({"ravenstack_accounts.csv": accounts, "ravenstack_support_tickets.csv": csv_bytes(
        TICKETS_HEADER, ticket_row("T-1", "Contract", "All good here."))})
    texts_read_pending()
    assert stored(m.SupportTicket, "T-1") == ("", False, False, NAME)
    import_files({"ravenstack_accounts.csv": accounts, "ravenstack_support_tickets.csv": csv_bytes(
        TICKETS_HEADER, ticket_row("T-1", "Contract", "We will take our business elsewhere."))})

    assert stored(m.SupportTicket, "T-1")[3] == ""
    assert texts_read_pending() == 1
    intent = stored(m.SupportTicket, "T-1")
    assert intent == (phrase("Contract", "We will take our business elsewhere."), False, False, NAME)
    assert "business elsewhere" in intent[0]


def test_a_file_with_only_part_of_the_text_leaves_the_row_waiting_and_the_whole_text_is_read():
    ticket = factories.SupportTicketFactory(external_id="T-1", account__external_id="A-1", subject="Contract",
                                            body="We won't renew.")
    texts_read_pending()
    assert "renew" in stored(m.SupportTicket, "T-1")[0]
    partial = TICKETS_HEADER.removesuffix(",body")
    result = import_files({"ravenstack_support_tickets.csv": csv_bytes(
        partial, ticket_row("T-1", "Feature request", "").removesuffix(","))})

    assert result.ok
    assert stored(m.SupportTicket, ticket.external_id)[3] == ""  # marked: the body was not in the file
    assert texts_read_pending() == 1
    # Read again from the whole stored text: the new subject and the old body.
    intent, request, study, version = stored(m.SupportTicket, ticket.external_id)
    assert (intent, request, study, version) == (phrase("Feature request", "We won't renew."), True, False, NAME)
    assert "renew" in intent


def test_rows_written_in_bulk_are_read_before_the_recompute_scores_them():
    account = factories.AccountFactory()
    factories.SubscriptionFactory(account=account, start_date=dt.date(2024, 1, 1), end_date=None)
    m.SupportTicket.objects.bulk_create([
        m.SupportTicket(external_id=f"T-{n}", account=account, submitted_at=dt.datetime(2024, 12, 20, tzinfo=dt.UTC),
                        subject="Renewal", body="We plan to cancel our subscription.") for n in range(3)])
    m.Touchpoint.objects.bulk_create([
        m.Touchpoint(external_id="TP-1", account=account, occurred_at=dt.datetime(2024, 12, 21, tzinfo=dt.UTC),
                     kind="email", direction="inbound", text="Feature request: a dark mode")])
    assert m.SupportTicket.objects.filter(analysis_version="").count() == 3

    services.recompute_scores(as_of=dt.date(2024, 12, 31))

    assert m.SupportTicket.objects.filter(analysis_version="").count() == 0
    assert stored(m.Touchpoint, "TP-1") == ("", True, False, NAME)
    config = parse_config(configs.ensure_active_config().data)
    scores, data = services.score_range(as_of=dt.date(2024, 12, 31), config=config)
    assert scores.accounts.loc[account.pk, "churn_intent_30"] == 3
    assert data.touchpoints.loc[account.pk, "feature_requests_90"] == 1
    assert texts_read_pending() == 0  # nothing left to do


def test_score_range_reads_nothing_and_writes_nothing():
    account = factories.AccountFactory()
    factories.SupportTicketFactory(account=account, body="We plan to cancel our subscription.")

    services.score_range(as_of=dt.date(2024, 12, 31), config=parse_config(configs.ensure_active_config().data))

    assert m.SupportTicket.objects.get().analysis_version == ""  # still waiting: the recompute reads it
