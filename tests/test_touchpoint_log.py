"""Logging a touchpoint by hand (issue 17, item 2): accounts.services.touchpoint_log creates it, records who
logged it, and has the text reader read it at once; a rule it breaks is refused with a sentence naming the
field, and nothing is written."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, Touchpoint
from accounts.services import touchpoint_log
from healthcs.errors import DomainError
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 4, 2, 12, 0, tzinfo=dt.UTC)


def test_it_logs_a_call_and_reads_it_at_once(csm, own_account):
    dana = ContactFactory(account=own_account, name="Dana Reyes")

    touchpoint = touchpoint_log(account=own_account, user=csm, kind="call", direction="outbound", contact=dana,
                                subject="Renewal call", text="We will cancel at renewal",
                                occurred_at=NOW - dt.timedelta(hours=1), now=NOW)

    stored = Touchpoint.objects.get()
    assert stored == touchpoint
    assert touchpoint.external_id.startswith("log-") and len(touchpoint.external_id) == 36
    assert (stored.account, stored.kind, stored.direction, stored.contact, stored.subject, stored.text,
            stored.occurred_at) == (own_account, "call", "outbound", dana, "Renewal call",
                                    "We will cancel at renewal", NOW - dt.timedelta(hours=1))
    assert stored.analysis_version == "builtin-3"
    assert stored.intent_phrase == "cancel at"
    assert stored.category == "account_cancellation"
    assert touchpoint.intent_phrase == "cancel at"  # the returned row carries its reading


def test_it_records_who_logged_it(csm, own_account):
    touchpoint = touchpoint_log(account=own_account, user=csm, kind="note", text="Spoke to the practice manager.")

    assert list(AuditEvent.objects.values_list("user", "action", "object_type", "object_id", "changes")) == [
        (csm.pk, "created", "accounts.Touchpoint", str(touchpoint.pk),
         {"account": [None, "A-OWN"], "kind": [None, "note"]})]


def test_without_a_moment_it_happened_now(csm, own_account):
    touchpoint = touchpoint_log(account=own_account, user=csm, kind="note", text="Quick check-in.", now=NOW)

    assert touchpoint.occurred_at == NOW


def test_a_moment_a_few_minutes_ahead_is_taken(csm, own_account):
    touchpoint = touchpoint_log(account=own_account, user=csm, kind="note", text="Clock skew.",
                                occurred_at=NOW + dt.timedelta(minutes=4), now=NOW)

    assert touchpoint.occurred_at == NOW + dt.timedelta(minutes=4)


def test_a_text_without_intent_is_read_as_such(csm, own_account):
    touchpoint = touchpoint_log(account=own_account, user=csm, kind="meeting",
                                text="Training went well, the team loves the new scheduling module.")

    assert (touchpoint.intent_phrase, touchpoint.analysis_version) == ("", "builtin-3")
    assert touchpoint.sentiment > 0


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"kind": ""}, "kind", "Choose what to log: one of call, meeting, email, note."),
    ({"kind": "qbr"}, "kind", "'qbr' is not something to log: one of call, meeting, email, note."),
    ({"direction": "sideways"}, "direction",
     "'sideways' is not a direction; use one of: inbound, outbound, internal, or leave it empty."),
    ({"text": ""}, "text", "Write the text: what was said or agreed."),
    ({"text": "  \n "}, "text", "Write the text: what was said or agreed."),
    ({"text": "a\x00b"}, "text", "The text contains a NUL character (\\0); remove it."),
    ({"text": "x" * 100_000}, "text", "The text has 100,000 characters; keep it to 20,000."),
    ({"subject": "x" * 301}, "subject", "The subject has 301 characters; keep it to 300."),
    ({"subject": "a\x00"}, "subject", "The subject contains a NUL character (\\0); remove it."),
    ({"occurred_at": NOW + dt.timedelta(minutes=6)}, "occurred_at",
     "The date and time is in the future; log what has happened."),
    ({"occurred_at": dt.datetime(1999, 12, 31, tzinfo=dt.UTC)}, "occurred_at",
     "The date and time is before 2000; give when it happened."),
])
def test_it_refuses_what_breaks_a_rule_and_writes_nothing(csm, own_account, changes, field, message):
    arguments = {"kind": "call", "text": "Renewal call", "direction": "", "subject": "", "occurred_at": None,
                 **changes}

    with pytest.raises(DomainError) as refusal:
        touchpoint_log(account=own_account, user=csm, now=NOW, **arguments)

    assert (refusal.value.field, refusal.value.message) == (field, message)
    assert not Touchpoint.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_refuses_a_contact_of_another_account(csm, own_account, foreign_account):
    stranger = ContactFactory(account=foreign_account)

    with pytest.raises(DomainError) as refusal:
        touchpoint_log(account=own_account, user=csm, kind="call", text="Hello", contact=stranger)

    assert (refusal.value.field, refusal.value.message) == (
        "contact", "That contact belongs to another account; choose one of this account's contacts.")
    assert not Touchpoint.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_shows_on_the_timeline_with_its_reading(csm, own_account):
    from accounts.timeline import account_timeline

    touchpoint_log(account=own_account, user=csm, kind="call", direction="inbound", subject="Renewal",
                   text="We will cancel at renewal", occurred_at=timezone.now())

    event = account_timeline(own_account).events[0]
    assert (event.kind, event.title, event.detail, event.alarm) == (
        "touchpoint", "Call (inbound): Renewal", "We will cancel at renewal", True)
    assert event.reading.startswith("Churn intent: \u201ccancel at\u201d; topic account cancellation; sentiment ")


def test_the_next_recompute_counts_the_logged_churn_intent(csm, own_account):
    from scoring.services import recompute_scores

    today = timezone.localdate()
    recompute_scores(as_of=today)
    before = own_account.snapshots.get(as_of=today)
    touchpoint_log(account=own_account, user=csm, kind="call", direction="inbound", text="We will cancel at renewal",
                   occurred_at=timezone.now() - dt.timedelta(hours=1))

    recompute_scores(as_of=today)

    after = own_account.snapshots.get(as_of=today)
    assert (before.churn_intent_30d, after.churn_intent_30d) == (0, 1)
    assert "churn_intent" in [rule["rule"] for rule in after.fired_rules]
