"""The one way customer texts are read and stored (scoring.texts.service, docs/text-intelligence.md): one reading
stores every field under one version in one write; imports leave texts waiting, an admin edit reads at once, a change of
the competitor list marks every text unread, the recompute reads what waits before it scores, the preview
writes nothing, and with an LLM configured what scoring reads is the LLM's verdict."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.importing.services import import_files
from accounts.models import SupportTicket, Touchpoint
from scoring import configs, preview, services
from scoring.models import Competitor, Snapshot
from scoring.texts import service
from scoring.texts.clean import MAX_TEXT, sanitise
from scoring.texts.llm import FALLBACK
from scoring.texts.reader import NAME, read
from scoring.texts.service import lexicon, reader_name, texts_read, texts_read_pending
from tests.factories import AccountFactory, SubscriptionFactory, SupportTicketFactory, TouchpointFactory, UserFactory
from tests.scoring.llm_stub import GOOD_ANSWER, answer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("migration_defaults")]  # the shipped competitors

CHURN = "After the third Epic sync outage this month we have decided we are moving to CareLoop."
AS_OF = dt.date(2025, 3, 31)
STORED = ("intent_phrase", "feature_request", "case_study", "category", "sentiment", "competitors", "facts",
          "summary", "recommended_action", "evidence", "analysis_version", "analysis_note")


def stored(item) -> dict:
    return type(item).objects.filter(pk=item.pk).values(*STORED).get()


def as_stored(text: str) -> dict:
    """What storing the built-in reader's reading of `text` writes."""
    reading = read(text, lexicon())
    return {"intent_phrase": reading.intent_phrase, "feature_request": reading.feature_request,
            "case_study": reading.case_study, "category": reading.category, "sentiment": reading.sentiment,
            "competitors": reading.competitors, "facts": reading.facts.as_dict(), "summary": reading.summary,
            "recommended_action": reading.recommended_action,
            "evidence": [{"kind": e.kind, "phrase": e.phrase, "start": e.start, "end": e.end}
                         for e in reading.evidence],
            "analysis_version": reading.reader, "analysis_note": reading.note}


def scored_account():
    """An account with a running subscription, scored as of AS_OF."""
    account = AccountFactory()
    SubscriptionFactory(account=account, start_date=dt.date(2024, 1, 1), end_date=None)
    return account


def fired_rules(account) -> set[str]:
    return {rule["rule"] for rule in Snapshot.objects.get(account=account, as_of=AS_OF).fired_rules}


# One reading, one version, one write


def test_a_reading_stores_every_field_under_the_readers_name_in_one_write():
    tickets = [SupportTicketFactory(subject="Sync outage", body=CHURN),
               SupportTicketFactory(subject="Idea", body="Feature request: a case study export, please."),
               SupportTicketFactory(subject="", body="We were charged twice on the last invoice.")]

    with CaptureQueriesContext(connection) as queries:
        assert texts_read("accounts.SupportTicket", [t.pk for t in tickets]) == 3

    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert len(writes) == 1  # every field of every row in one statement
    for ticket in tickets:
        assert stored(ticket) == as_stored(f"{ticket.subject}\n{ticket.body}".strip())
    assert {stored(t)["analysis_version"] for t in tickets} == {NAME} == {reader_name()}
    churn = stored(tickets[0])
    assert (churn["category"], churn["competitors"]) == ("account_cancellation", ["CareLoop"])
    assert "moving to CareLoop" in churn["intent_phrase"]


def test_rows_read_already_are_not_read_again():
    ticket = SupportTicketFactory(body=CHURN)
    texts_read("accounts.SupportTicket", [ticket.pk])

    with CaptureQueriesContext(connection) as queries:
        assert texts_read("accounts.SupportTicket", [ticket.pk]) == 0

    assert len(queries.captured_queries) == 1  # the look for waiting rows, no write


def test_an_imported_text_waits_and_is_read_by_texts_read_pending(own_account):
    header = ("ticket_id,account_id,submitted_at,closed_at,resolution_time_hours,priority,"
              "first_response_time_minutes,satisfaction_score,escalation_flag,subject,body\n")
    files = {"ravenstack_support_tickets.csv": (header + f"T-9,A-OWN,2025-03-01 10:00:00,,,high,,,False,Sync,{CHURN}\n"
                                                ).encode()}

    assert import_files(files).ok
    ticket = SupportTicket.objects.get()
    assert stored(ticket)["analysis_version"] == ""

    assert texts_read_pending() == 1
    assert stored(ticket) == as_stored(f"Sync\n{CHURN}")
    assert texts_read_pending() == 0


def test_texts_read_pending_reads_tickets_and_touchpoints_and_stops_at_the_limit():
    SupportTicketFactory.create_batch(3, body="The invoice is wrong.")
    TouchpointFactory.create_batch(2, text="Thanks for the training.")

    assert texts_read_pending(limit=4) == 4
    assert texts_read_pending() == 1
    assert not SupportTicket.objects.filter(analysis_version="").exists()
    assert not Touchpoint.objects.filter(analysis_version="").exists()


def test_reading_many_texts_takes_their_tables_statistics_again(monkeypatch):
    """Once the statistics say (as after an import) that the touchpoints wait to be read, reading many of them
    takes the statistics again: the planner then knows that none waits."""
    TouchpointFactory.create_batch(30, text="Thanks for the training session.")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_touchpoint")
    monkeypatch.setattr(service, "ANALYZE_FROM", 30)

    assert texts_read_pending() == 30

    with connection.cursor() as cursor:
        cursor.execute("SELECT most_common_vals::text FROM pg_stats WHERE tablename = 'accounts_touchpoint' "
                       "AND attname = 'analysis_version'")
        assert cursor.fetchone()[0] == "{" + NAME + "}"


def test_a_text_edited_while_it_is_read_keeps_waiting(monkeypatch):
    ticket = SupportTicketFactory(subject="Renewal", body="We plan to cancel our subscription.")
    reading_texts = service.read_texts

    def edited_meanwhile(texts, names=None):
        readings = reading_texts(texts, names)
        SupportTicket.objects.filter(pk=ticket.pk).update(body="Thanks, all good now.")  # an import meanwhile
        return readings

    monkeypatch.setattr(service, "read_texts", edited_meanwhile)
    assert texts_read("accounts.SupportTicket", [ticket.pk]) == 0

    assert stored(ticket)["analysis_version"] == ""  # the reading of the old text was not stored
    assert stored(ticket)["intent_phrase"] == ""
    monkeypatch.setattr(service, "read_texts", reading_texts)
    assert texts_read_pending() == 1
    assert stored(ticket) == as_stored("Renewal\nThanks, all good now.")


# The admin


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="root", role="Admin", is_staff=True, is_superuser=True))
    return client


def test_an_admin_save_of_a_ticket_reads_it_at_once(superuser_client):
    ticket = SupportTicketFactory(subject="Question", body="How do I add a user?")
    texts_read_pending()
    data = {"external_id": ticket.external_id, "account": ticket.account_id, "submitted_at_0": "2024-06-01",
            "submitted_at_1": "09:00:00", "closed_at_0": "", "closed_at_1": "", "resolution_hours": "",
            "priority": "medium", "first_response_minutes": "", "satisfaction_score": "", "subject": "Renewal",
            "body": "We plan to cancel our subscription."}

    response = superuser_client.post(reverse("admin:accounts_supportticket_change", args=[ticket.pk]), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert stored(ticket) == as_stored("Renewal\nWe plan to cancel our subscription.")
    assert "cancel" in stored(ticket)["intent_phrase"]


def test_a_touchpoint_added_in_admin_is_read_at_once(superuser_client):
    account = AccountFactory()
    data = {"external_id": "TP-NEW", "account": account.pk, "occurred_at_0": "2025-03-01", "occurred_at_1": "10:00:00",
            "kind": "call", "direction": "inbound", "contact": "", "subject": "Call",
            "text": "They told us they are moving to CareLoop."}

    response = superuser_client.post(reverse("admin:accounts_touchpoint_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    touchpoint = Touchpoint.objects.get(external_id="TP-NEW")
    assert stored(touchpoint) == as_stored("Call\nThey told us they are moving to CareLoop.")
    assert stored(touchpoint)["competitors"] == ["CareLoop"]


def test_a_competitor_added_in_admin_marks_every_text_unread_and_the_new_name_is_found(
        superuser_client, django_capture_on_commit_callbacks):
    ticket = SupportTicketFactory(body="The invoice mentions Zephyr Health twice.")
    touchpoint = TouchpointFactory(text="Thanks for the training.")
    texts_read_pending()
    assert stored(ticket)["competitors"] == []

    with django_capture_on_commit_callbacks() as callbacks:
        response = superuser_client.post(reverse("admin:scoring_competitor_add"), {"name": "Zephyr Health",
                                                                                     "note": ""}, follow=True)

    assert Competitor.objects.filter(name="Zephyr Health").exists()
    assert "2 customer texts will be read again with the new list." in response.content.decode()
    assert stored(ticket)["analysis_version"] == stored(touchpoint)["analysis_version"] == ""
    assert len(callbacks) >= 1  # the workers are asked after the commit
    texts_read_pending()
    assert stored(ticket)["competitors"] == ["Zephyr Health"]


def test_a_competitor_deleted_in_admin_marks_every_text_unread(superuser_client):
    ticket = SupportTicketFactory(body="We are moving to CareLoop.")
    texts_read_pending()
    careloop = Competitor.objects.get(name="CareLoop")

    superuser_client.post(reverse("admin:scoring_competitor_delete", args=[careloop.pk]), {"post": "yes"})

    assert not Competitor.objects.filter(name="CareLoop").exists()
    assert stored(ticket)["analysis_version"] == ""


def test_the_competitor_changelist_lists_the_shipped_names(superuser_client):
    response = superuser_client.get(reverse("admin:scoring_competitor_changelist"))

    assert response.status_code == 200
    for name in ("CareLoop", "MedRelay", "PraxisPro"):
        assert name in response.content.decode()


# Scoring reads what the reader stored


def test_the_recompute_reads_waiting_texts_before_it_scores():
    account = scored_account()
    ticket = SupportTicketFactory(account=account, subject="Renewal", body="We plan to cancel our subscription.",
                                  submitted_at=dt.datetime(2025, 3, 20, 9, tzinfo=dt.UTC))
    assert stored(ticket)["analysis_version"] == ""

    services.recompute_scores(as_of=AS_OF)

    assert stored(ticket)["analysis_version"] == NAME
    assert "churn_intent" in fired_rules(account)
    assert Snapshot.objects.get(account=account, as_of=AS_OF).churn_intent_30d == 1


def test_the_config_preview_writes_nothing():
    account = scored_account()
    services.recompute_scores(as_of=AS_OF)
    waiting = SupportTicketFactory(account=account, body="We plan to cancel our subscription.",
                                   submitted_at=dt.datetime(2025, 3, 20, 9, tzinfo=dt.UTC))
    read_already = SupportTicketFactory(account=account, body="The invoice is wrong.",
                                        submitted_at=dt.datetime(2025, 3, 21, 9, tzinfo=dt.UTC))
    texts_read("accounts.SupportTicket", [read_already.pk])
    draft = configs.config_draft_create(user=None, name="Draft")
    before = sorted(SupportTicket.objects.values_list("id", "analysis_version", "intent_phrase"))

    preview.config_preview(config=draft, as_of=AS_OF)

    assert sorted(SupportTicket.objects.values_list("id", "analysis_version", "intent_phrase")) == before
    assert stored(waiting)["analysis_version"] == ""


# With the LLM


def test_with_the_llm_what_scoring_reads_is_the_llms_verdict(llm):
    llm.play(
        answer({**GOOD_ANSWER, "category": "account_cancellation", "churn_intent": True,
                "intent_phrase": "the board meets on Friday about the contract", "competitors": [],
                "evidence": ["the board meets on Friday about the contract"]}),
        answer({**GOOD_ANSWER, "churn_intent": False, "intent_phrase": "", "competitors": ["CareLoop"]}))
    said_yes, said_no = scored_account(), scored_account()
    at = dt.datetime(2025, 3, 20, 9, tzinfo=dt.UTC)
    quiet = SupportTicketFactory(account=said_yes, subject="", submitted_at=at,
                                 body="FYI the board meets on Friday about the contract.")
    loud = SupportTicketFactory(account=said_no, subject="", submitted_at=at, body=CHURN)

    services.recompute_scores(as_of=AS_OF)

    assert reader_name() == "llm-stub-model"
    assert (stored(quiet)["intent_phrase"], stored(quiet)["analysis_version"]) == (
        "the board meets on Friday about the contract", "llm-stub-model")
    assert (stored(loud)["intent_phrase"], stored(loud)["competitors"]) == ("", ["CareLoop"])
    assert "churn_intent" in fired_rules(said_yes)
    assert "churn_intent" not in fired_rules(said_no)
    assert len(llm.requests) == 2


def test_an_llm_fallback_is_stored_with_the_builtin_name_and_its_reason(llm):
    llm.play(answer({**GOOD_ANSWER, "category": "weather"}))
    ticket = SupportTicketFactory(subject="", body=CHURN)

    texts_read_pending()

    row = stored(ticket)
    assert row["analysis_version"] == NAME
    assert row["analysis_note"] == FALLBACK + "invalid LLM answer: unknown category 'weather'"
    assert row["intent_phrase"] == read(CHURN, lexicon()).intent_phrase


# Hostile texts


HOSTILE = [
    "We plan to cancel\x00 our subscription\x07 now.",
    "Renewal in ٤٧ days, ١٢ seats, $١٢,٤٠٠ — we won't renew. ５０ Lizenzen, Kündigung in ２ Wochen. x² ½ Ⅻ",
    "We won't renew. " + "A" * 100_000,
    "\u202e\u200b\ufeff" + "🙂" * 500 + " <script>alert(1)</script> '; DROP TABLE accounts_supportticket; --",
    "",
    "   \n\t  ",
]


@pytest.mark.parametrize("text", HOSTILE, ids=["nul", "unicode-digits", "100-kb", "unicode-and-markup", "empty",
                                               "blank"])
def test_hostile_texts_are_read_without_error(text):
    reading = read(text, lexicon())

    assert reading.reader == NAME
    assert len(reading.intent_phrase) <= 200
    clean, _ = sanitise(text)
    for evidence in reading.evidence:
        assert 0 <= evidence.start <= evidence.end <= len(clean)


@pytest.mark.parametrize("text", [t.replace("\x00", "") for t in HOSTILE],
                         ids=["control", "unicode-digits", "100-kb", "unicode-and-markup", "empty", "blank"])
def test_hostile_texts_are_stored_and_scored_without_error(text):
    account = scored_account()
    ticket = SupportTicketFactory(account=account, subject="", body=text,
                                  submitted_at=dt.datetime(2025, 3, 20, 9, tzinfo=dt.UTC))

    services.recompute_scores(as_of=AS_OF)

    row = stored(ticket)
    assert row["analysis_version"] == NAME
    assert len(row["summary"]) <= 200 and len(row["intent_phrase"]) <= 200
    if len(text) > MAX_TEXT:
        assert row["analysis_note"] == f"text cut to {MAX_TEXT:,} characters"
