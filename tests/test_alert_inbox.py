"""The alert inbox page (docs/pages.md#alerts): filters by type, severity, CSM, segment, age and status, sorting, the
playbook an alert fired, and acknowledging, snoozing and resolving the ticked alerts or all those matching the filter,
with HTMX (the counts in place) and without JavaScript. A CSM works only their own alerts; a refused request changes
nothing and keeps what was chosen."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from accounts.models import AuditEvent
from interventions.models import Intervention, Playbook
from scoring.models import Alert, AlertSeverity, AlertStatus
from tests.factories import AccountFactory, AlertFactory

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
DAY_PROBLEM = "Give the day to snooze until as YYYY-MM-DD, e.g. 2025-04-02."


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


@pytest.fixture
def inbox(csm, other_csm, own_account, foreign_account):
    """Four alerts of the CSM's (two accounts, segments Mid-Market and SMB, raised today to 40 days ago) and one
    of another CSM's."""
    smb = AccountFactory(external_id="A-SMB", name="Birch Street Clinic", csm=csm, segment="SMB")
    return {
        "cliff": AlertFactory(account=own_account, kind="usage_cliff", as_of=days_ago(0), message="Usage fell 80%"),
        "payment": AlertFactory(account=own_account, kind="failed_payment", as_of=days_ago(3), message="Invoice due"),
        "silent": AlertFactory(account=smb, kind="silent_account", as_of=days_ago(12), message="Quiet for 60 days"),
        "old_cliff": AlertFactory(account=smb, kind="usage_cliff", as_of=days_ago(40), message="Usage fell 50%"),
        "foreign": AlertFactory(account=foreign_account, kind="usage_cliff", as_of=days_ago(1), message="Theirs"),
    }


def listed(response) -> list[str]:
    """The messages of the listed alerts, in order."""
    return [alert.message for alert in response.context["page"].object_list]


def counts(html: str) -> dict[str, int]:
    return {status: int(n) for status, n in re.findall(r'data-status="(\w+)">\w+ <span class="count">(\d+)</span>',
                                                        html)}


def test_a_csm_sees_the_open_alerts_of_their_own_accounts_newest_first(client, csm, inbox):
    client.force_login(csm)

    response = client.get(reverse("alert_list"))

    assert response.status_code == 200
    assert listed(response) == ["Usage fell 80%", "Invoice due", "Quiet for 60 days", "Usage fell 50%"]
    html = response.content.decode()
    assert counts(html) == {"open": 4, "new": 4, "acknowledged": 0, "snoozed": 0, "resolved": 0, "all": 4}
    assert 'data-severity="high">High</span>' in html and 'data-severity="medium">Medium</span>' in html
    assert 'name="csm"' not in html  # a CSM has no CSM filter
    assertNotContains(response, "Theirs")


@pytest.mark.parametrize("query,expected", [
    ("kind=usage_cliff", ["Usage fell 80%", "Usage fell 50%"]),
    ("severity=medium", ["Quiet for 60 days"]),
    ("segment=smb", ["Quiet for 60 days", "Usage fell 50%"]),
    ("age=today", ["Usage fell 80%"]),
    ("age=7d", ["Usage fell 80%", "Invoice due"]),
    ("age=30d", ["Usage fell 80%", "Invoice due", "Quiet for 60 days"]),
    ("age=older", ["Usage fell 50%"]),
    ("kind=usage_cliff&segment=Mid-Market&age=7d", ["Usage fell 80%"]),
    ("ordering=oldest", ["Usage fell 50%", "Quiet for 60 days", "Invoice due", "Usage fell 80%"]),
    ("ordering=-severity", ["Quiet for 60 days", "Usage fell 80%", "Invoice due", "Usage fell 50%"]),
    ("ordering=account&kind=usage_cliff", ["Usage fell 50%", "Usage fell 80%"]),
])
def test_the_filters_and_orderings(client, csm, inbox, query, expected):
    client.force_login(csm)

    response = client.get(reverse("alert_list") + "?" + query, headers=HX)

    assert response.status_code == 200
    assert listed(response) == expected
    assert response["HX-Push-Url"] == reverse("alert_list") + "?" + query


def test_the_severity_an_admin_sets_is_shown_filtered_and_sorted(client, csm, inbox):
    AlertSeverity.objects.update_or_create(kind="silent_account", defaults={"severity": "critical"})
    client.force_login(csm)

    critical = client.get(reverse("alert_list") + "?severity=critical")
    by_severity = client.get(reverse("alert_list") + "?ordering=severity")

    assert listed(critical) == ["Quiet for 60 days"]
    assertContains(critical, '<span class="severity severity-critical" data-severity="critical">Critical</span>',
                   html=True)
    assert listed(by_severity)[0] == "Quiet for 60 days"


def test_the_status_filter_shows_acknowledged_snoozed_and_resolved_alerts(client, csm, inbox):
    Alert.objects.filter(pk=inbox["cliff"].pk).update(acknowledged_at=timezone.now(), acknowledged_by=csm)
    Alert.objects.filter(pk=inbox["payment"].pk).update(snoozed_until=days_ago(-5), snoozed_by=csm)
    Alert.objects.filter(pk=inbox["silent"].pk).update(status=AlertStatus.RESOLVED, resolved_by=csm)
    client.force_login(csm)

    seen = {status: listed(client.get(reverse("alert_list") + f"?status={status}"))
            for status in ("open", "new", "acknowledged", "snoozed", "resolved")}

    assert seen == {"open": ["Usage fell 80%", "Usage fell 50%"], "new": ["Usage fell 50%"],
                    "acknowledged": ["Usage fell 80%"], "snoozed": ["Invoice due"], "resolved": ["Quiet for 60 days"]}
    snoozed = client.get(reverse("alert_list") + "?status=snoozed").content.decode()
    assert f"Snoozed until {days_ago(-5)} by {csm.get_full_name()}" in snoozed


def test_a_manager_filters_by_csm(client, manager, csm, other_csm, inbox):
    client.force_login(manager)

    everyone = client.get(reverse("alert_list"))
    robin = client.get(reverse("alert_list") + "?csm=ROBIN@example.org")

    assert len(listed(everyone)) == 5
    assert listed(robin) == ["Theirs"]
    assertContains(everyone, '<option value="robin@example.org">robin@example.org</option>', html=True)


@pytest.mark.parametrize("query,problem", [
    ("kind=nothing", "kind: 'nothing' is not an alert type; use one of: critical_drop, usage_cliff, failed_payment, "
                     "core_feature_unused, champion_left, silent_account, renewal_risk."),
    ("age=٧d", "age: '٧d' is not an age; use one of: today, 7d, 30d, older."),
    ("severity=" + "x" * 500, "severity: '" + "x" * 40 + "…' is not a severity; use one of: critical, high, medium, "
                                                        "low."),
])
def test_a_bad_filter_value_is_named_and_the_others_still_apply(client, csm, inbox, query, problem):
    client.force_login(csm)

    response = client.get(reverse("alert_list") + f"?{query}&segment=SMB")

    assert response.status_code == 200
    assert response.context["problems"] == {query.split("=")[0]: problem.split(": ", 1)[1]}
    assert listed(response) == ["Quiet for 60 days", "Usage fell 50%"]


def test_acknowledging_two_ticked_alerts_with_htmx_updates_rows_and_counts_in_place(client, csm, inbox):
    client.force_login(csm)
    ticked = [inbox["cliff"].pk, inbox["old_cliff"].pk]

    response = client.post(reverse("alert_bulk") + "?kind=usage_cliff",
                           {"alert": ticked, "action": "acknowledge", "scope": "checked"}, headers=HX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "2 alerts acknowledged." in html and "<html" not in html
    assert counts(html) == {"open": 2, "new": 0, "acknowledged": 2, "snoozed": 0, "resolved": 0, "all": 2}
    assert html.count(f"Acknowledged by {csm.get_full_name()}") == 2
    assert set(Alert.objects.filter(acknowledged_by=csm).values_list("pk", flat=True)) == set(ticked)
    assert AuditEvent.objects.filter(action="acknowledged", user=csm).count() == 2


def test_resolving_all_matching_the_filter_without_javascript(client, csm, inbox):
    client.force_login(csm)

    response = client.post(reverse("alert_bulk") + "?kind=usage_cliff&segment=SMB",
                           {"action": "resolve", "scope": "matching"})

    assert response.status_code == 302
    assert response["Location"] == reverse("alert_list") + "?kind=usage_cliff&segment=SMB"
    assert list(Alert.objects.filter(status=AlertStatus.RESOLVED).values_list("message", flat=True)) == [
        "Usage fell 50%"]
    page = client.get(response["Location"])
    assertContains(page, "1 alert resolved.")


def test_a_csms_all_matching_never_reaches_another_csms_alerts(client, csm, inbox):
    client.force_login(csm)

    client.post(reverse("alert_bulk") + "?kind=usage_cliff", {"action": "resolve", "scope": "matching"})

    assert Alert.objects.get(pk=inbox["foreign"].pk).status == AlertStatus.OPEN
    assert Alert.objects.filter(status=AlertStatus.RESOLVED).count() == 2


def test_snoozing_the_ticked_alerts_until_a_day(client, csm, inbox):
    client.force_login(csm)
    until = days_ago(-7)

    response = client.post(reverse("alert_bulk"), {"alert": [inbox["payment"].pk], "action": "snooze",
                                                   "scope": "checked", "until": until.isoformat()}, headers=HX)

    assert f"1 alert snoozed until {until}." in response.content.decode()
    assert listed(response) == ["Usage fell 80%", "Quiet for 60 days", "Usage fell 50%"]
    assert Alert.objects.get(pk=inbox["payment"].pk).snoozed_until == until


def test_ticking_another_csms_alert_refuses_the_whole_change_and_keeps_the_choice(client, csm, inbox):
    client.force_login(csm)
    ticked = [inbox["cliff"].pk, inbox["foreign"].pk]

    response = client.post(reverse("alert_bulk"), {"alert": ticked, "action": "resolve", "scope": "checked"})

    assert response.status_code == 400
    assertContains(response, "Some of the chosen alerts are not in your book or no longer exist; nothing was "
                             "changed.", status_code=400)
    assertContains(response, '<option value="resolve" selected>Resolve</option>', html=True, status_code=400)
    assert f'value="{inbox["cliff"].pk}" form="alert-bulk-form" ' in response.content.decode()
    assert re.search(rf'value="{inbox["cliff"].pk}" form="alert-bulk-form" [^>]* checked>', response.content.decode())
    assert not Alert.objects.filter(status=AlertStatus.RESOLVED).exists()
    assert not AuditEvent.objects.filter(action="resolved").exists()


@pytest.mark.parametrize("data,problem", [
    ({"action": "snooze", "until": ""}, DAY_PROBLEM),
    ({"action": "snooze", "until": "next week"}, DAY_PROBLEM),
    ({"action": "snooze", "until": "٢٠٣٠-٠١-٠١"}, DAY_PROBLEM),
    ({"action": "snooze", "until": "2030-01-01" * 1000}, DAY_PROBLEM),
    ({"action": "snooze", "until": "2020-01-01"}, "has come already."),
    ({"action": "archive"}, "Choose what to do with the alerts: acknowledge, snooze or resolve."),
    ({"action": "resolve", "alert": ["9" * 5000]},
     f"&#x27;{'9' * 40}…&#x27; is not an alert; tick the alerts on the page."),
    ({"action": "resolve", "alert": ["1\x00"]}, "&#x27;1\\x00&#x27; is not an alert; tick the alerts on the page."),
    ({"action": "resolve", "alert": ["١"]}, "&#x27;١&#x27; is not an alert; tick the alerts on the page."),
    ({"action": "resolve", "alert": ["0"]}, "&#x27;0&#x27; is not an alert; tick the alerts on the page."),
    ({"action": "resolve", "alert": [str(n) for n in range(1, 502)]},
     "Tick at most 500 alerts, or choose all the alerts matching the filter."),
    ({"action": "resolve", "alert": []}, "No alert was chosen: tick the alerts"),
])
def test_bad_input_is_refused_with_a_clear_message_and_changes_nothing(client, csm, inbox, data, problem):
    client.force_login(csm)
    data = {"scope": "checked", "alert": [inbox["payment"].pk], **data}

    plain = client.post(reverse("alert_bulk"), data)
    htmx = client.post(reverse("alert_bulk"), data, headers=HX)

    assert plain.status_code == 400 and htmx.status_code == 200
    for response in (plain, htmx):
        problems = re.search(r'data-testid="alert-bulk-problems">(.*?)</ul>', response.content.decode(), re.S)
        assert problems and problem in problems.group(1)
    assert Alert.objects.filter(status=AlertStatus.OPEN, acknowledged_at=None, snoozed_until=None).count() == 5
    assert not AuditEvent.objects.filter(action__in=("resolved", "snoozed", "acknowledged")).exists()


def test_acknowledging_one_alert_from_its_row(client, csm, inbox):
    client.force_login(csm)

    response = client.post(reverse("alert_acknowledge", args=[inbox["payment"].pk]) + "?status=new", headers=HX)

    html = response.content.decode()
    assert html.startswith(f'<tr id="alert-{inbox["payment"].pk}" data-kind="failed_payment">')
    assert f"Acknowledged by {csm.get_full_name()}" in html and "Acknowledge</button>" not in html
    assert response["HX-Trigger"] == "alertsChanged"
    refreshed = client.get(reverse("alert_list") + "?status=new&part=counts", headers=HX).content.decode()
    assert counts(refreshed) == {"open": 4, "new": 3, "acknowledged": 1, "snoozed": 0, "resolved": 0, "all": 4}


def test_acknowledging_another_csms_alert_is_404_and_changes_nothing(client, csm, inbox):
    client.force_login(csm)

    url = reverse("alert_acknowledge", args=[inbox["foreign"].pk])
    responses = [client.post(url), client.post(url, headers=HX)]

    assert [r.status_code for r in responses] == [404, 404]
    assert Alert.objects.get(pk=inbox["foreign"].pk).acknowledged_at is None


def test_an_alert_links_to_the_playbook_it_fired(client, csm, inbox, own_account):
    rescue = Playbook.objects.create(name="Payment rescue", trigger_kind="alert", trigger_value="failed_payment")
    other = Playbook.objects.create(name="Adoption push", trigger_kind="alert", trigger_value="core_feature_unused")
    fired_on = days_ago(2)
    for playbook in (rescue, other):
        Intervention.objects.create(account=own_account, playbook=playbook, triggered_on=fired_on,
                                    triggered_at=timezone.now(), reason="Open alert", draw=0.5, group="treated",
                                    status="open")
    client.force_login(csm)

    response = client.get(reverse("alert_list"))

    html = response.content.decode()
    row = re.search(rf'<tr id="alert-{inbox["payment"].pk}".*?</tr>', html, re.S).group(0)
    assert (f'<a href="/accounts/A-OWN/#interventions" data-testid="fired-playbook">Payment rescue</a> '
            f"<small>fired {fired_on}</small>") in row
    assert html.count('data-testid="fired-playbook"') == 1  # the usage cliff fired nothing; the other playbook no alert


def test_the_inbox_takes_the_same_number_of_queries_for_3_or_30_alerts(client, manager, csm, own_account):
    rescue = Playbook.objects.create(name="Payment rescue", trigger_kind="alert", trigger_value="failed_payment")

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            account = AccountFactory(csm=csm)
            AlertFactory(account=account, kind="failed_payment", as_of=days_ago(i % 20))
            Intervention.objects.create(account=account, playbook=rescue, triggered_on=days_ago(0),
                                        triggered_at=timezone.now(), reason="Open alert", draw=0.5, group="treated",
                                        status="open")

    client.force_login(manager)
    add(3, 0)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("alert_list")).status_code == 200
    add(27, 3)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("alert_list"))

    assert response.content.decode().count('data-testid="fired-playbook"') == 30
    assert len(many) == len(few) <= 12, [q["sql"][:120] for q in many.captured_queries]


def test_the_home_page_hides_snoozed_alerts(client, csm, inbox):
    Alert.objects.filter(pk=inbox["cliff"].pk).update(snoozed_until=days_ago(-2))
    client.force_login(csm)

    response = client.get(reverse("home"))

    panel = re.search(r'<section class="card" id="alerts">.*?</section>', response.content.decode(), re.S).group(0)
    assert "Invoice due" in panel and "Usage fell 80%" not in panel
