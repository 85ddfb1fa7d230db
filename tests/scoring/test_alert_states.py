"""Working alerts (docs/pages.md#alerts): acknowledging, snoozing until a day and resolving one or many, each change
audited; refusals change nothing; a snoozed alert comes back by itself; each alert type has a severity an admin
sets."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from healthcs.errors import DomainError
from scoring.alerts import alerts_acknowledge, alerts_resolve, alerts_snooze
from scoring.models import DEFAULT_SEVERITIES, Alert, AlertSeverity, AlertStatus, AlertType
from scoring.selectors import alerts_for_user, chosen_alerts, inbox_counts, inbox_status, open_alerts_for_user
from tests.factories import AlertFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 3, 20)


def state(alert: Alert) -> tuple:
    alert.refresh_from_db()
    return (alert.status, alert.acknowledged_by_id, alert.snoozed_until, alert.snoozed_by_id, alert.resolved_by_id)


@pytest.fixture
def two_alerts(own_account):
    return [AlertFactory(account=own_account, kind="failed_payment"),
            AlertFactory(account=own_account, kind="usage_cliff", message="Usage fell 80% over the last 3 days")]


def test_acknowledging_marks_the_open_alerts_seen_and_audits_each(csm, two_alerts):
    first, second = two_alerts

    changed = alerts_acknowledge(alerts=Alert.objects.filter(pk__in=[first.pk, second.pk]), user=csm)

    assert changed == 2
    assert state(first) == state(second) == (AlertStatus.OPEN, csm.pk, None, None, None)
    assert first.acknowledged_at is not None
    events = AuditEvent.objects.filter(action="acknowledged").order_by("object_id")
    assert [(e.object_type, e.object_id, e.user_id) for e in events] == [
        ("scoring.Alert", str(first.pk), csm.pk), ("scoring.Alert", str(second.pk), csm.pk)]


def test_acknowledging_again_changes_nothing_more(csm, manager, two_alerts):
    first, _ = two_alerts
    alerts_acknowledge(alerts=Alert.objects.filter(pk=first.pk), user=csm)

    changed = alerts_acknowledge(alerts=Alert.objects.filter(pk=first.pk), user=manager)

    assert changed == 0
    assert state(first)[1] == csm.pk
    assert AuditEvent.objects.filter(action="acknowledged").count() == 1


def test_resolving_many_closes_only_the_open_ones(csm, manager, two_alerts, own_account):
    closed = AlertFactory(account=own_account, kind="champion_left", status=AlertStatus.RESOLVED)

    changed = alerts_resolve(alerts=Alert.objects.filter(account=own_account), user=manager)

    assert changed == 2
    assert [state(a)[0] for a in (*two_alerts, closed)] == [AlertStatus.RESOLVED] * 3
    assert state(two_alerts[0])[4] == manager.pk and state(closed)[4] is None
    assert sorted(e.changes["status"][1] for e in AuditEvent.objects.filter(action="resolved")) == ["resolved"] * 2


def test_snoozing_hides_an_alert_until_the_day_it_comes_back_by_itself(csm, two_alerts):
    first, second = two_alerts
    until = TODAY + dt.timedelta(days=3)

    assert alerts_snooze(alerts=Alert.objects.filter(pk=first.pk), user=csm, until=until, today=TODAY) == 1

    assert state(first) == (AlertStatus.OPEN, None, until, csm.pk, None)
    event = AuditEvent.objects.get(action="snoozed")
    assert event.changes == {"snoozed_until": [None, "2025-03-23"]}
    shown = {day: sorted(alerts_for_user(csm).filter(inbox_status("open", day)).values_list("pk", flat=True))
             for day in (TODAY, until - dt.timedelta(days=1), until)}
    assert shown == {TODAY: [second.pk], until - dt.timedelta(days=1): [second.pk],
                     until: sorted([first.pk, second.pk])}
    assert list(alerts_for_user(csm).filter(inbox_status("snoozed", TODAY)).values_list("pk", flat=True)) == [first.pk]
    assert [a.pk for a in open_alerts_for_user(csm, today=TODAY)] == [second.pk]  # the home page's panel
    assert sorted(a.pk for a in open_alerts_for_user(csm, today=until)) == sorted([first.pk, second.pk])


@pytest.mark.parametrize("until,message", [
    (TODAY, "Snooze until a day after today (2025-03-20); 2025-03-20 has come already."),
    (TODAY - dt.timedelta(days=9), "Snooze until a day after today (2025-03-20); 2025-03-11 has come already."),
    (TODAY + dt.timedelta(days=366), "Snooze for at most 365 days, until 2026-03-20 at the latest."),
])
def test_a_snooze_to_a_day_that_has_come_or_too_far_is_refused_and_changes_nothing(csm, two_alerts, until, message):
    first, _ = two_alerts

    with pytest.raises(DomainError) as refused:
        alerts_snooze(alerts=Alert.objects.filter(pk=first.pk), user=csm, until=until, today=TODAY)

    assert (refused.value.message, refused.value.field) == (message, "until")
    assert state(first) == (AlertStatus.OPEN, None, None, None, None)
    assert not AuditEvent.objects.filter(action="snoozed").exists()


@pytest.mark.parametrize("change", [alerts_acknowledge, alerts_resolve])
def test_no_alert_chosen_is_refused(csm, change):
    with pytest.raises(DomainError) as refused:
        change(alerts=Alert.objects.none(), user=csm)

    assert refused.value.message == ("No alert was chosen: tick the alerts, or choose all the alerts matching the "
                                     "filter.")


def test_choosing_an_unknown_or_another_csms_alert_is_refused_whole(csm, two_alerts, foreign_account):
    foreign = AlertFactory(account=foreign_account)
    own = [a.pk for a in two_alerts]

    assert sorted(chosen_alerts(csm, own).values_list("pk", flat=True)) == sorted(own)
    for ids in ([*own, foreign.pk], [*own, 999_999]):
        with pytest.raises(DomainError) as refused:
            chosen_alerts(csm, ids)
        assert refused.value.message.startswith("Some of the chosen alerts are not in your book or no longer exist")


def test_each_type_has_its_seeded_severity_and_an_admin_can_change_it(migration_defaults, csm, two_alerts):
    seeded = dict(AlertSeverity.objects.values_list("kind", "severity"))
    assert seeded == {kind.value: severity.value for kind, severity in DEFAULT_SEVERITIES.items()}
    assert set(seeded) == set(AlertType.values)

    AlertSeverity.objects.filter(kind="usage_cliff").update(severity="low")

    assert dict(alerts_for_user(csm).values_list("kind", "severity")) == {"failed_payment": "high",
                                                                          "usage_cliff": "low"}


def test_a_type_without_a_row_takes_its_default_severity(csm, two_alerts):
    AlertSeverity.objects.all().delete()

    assert dict(alerts_for_user(csm).values_list("kind", "severity_rank")) == {"failed_payment": 1, "usage_cliff": 1}


def test_the_counts_per_status(csm, own_account, two_alerts):
    first, second = two_alerts
    alerts_acknowledge(alerts=Alert.objects.filter(pk=first.pk), user=csm)
    third = AlertFactory(account=own_account, kind="silent_account")
    alerts_snooze(alerts=Alert.objects.filter(pk=third.pk), user=csm, until=timezone.localdate() + dt.timedelta(1))
    AlertFactory(account=own_account, kind="champion_left", status=AlertStatus.RESOLVED)

    counts = inbox_counts(alerts_for_user(csm), timezone.localdate())

    assert counts == {"open": 2, "new": 1, "acknowledged": 1, "snoozed": 1, "resolved": 1, "all": 4}
