"""Account 360's timeline: tickets, touchpoints, alerts and score changes, newest first, paged."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.timeline import PAGE_SIZE, account_timeline
from scoring.models import Snapshot
from tests.factories import AlertFactory, SupportTicketFactory, TouchpointFactory

pytestmark = pytest.mark.django_db


def at(day: int) -> dt.datetime:
    return dt.datetime(2025, 3, day, 12, tzinfo=dt.UTC)


def snapshot(account, day: int, tier: str, level: str, risk: int) -> None:
    from scoring.configs import ensure_active_config

    Snapshot.objects.create(account=account, as_of=dt.date(2025, 3, day), config=ensure_active_config(),
                            computed_at=at(day), health_score=50, health_tier=tier, risk_score=risk, risk_level=level)


def test_events_of_every_kind_come_newest_first(own_account):
    SupportTicketFactory(account=own_account, external_id="T-1", subject="Sync broken", submitted_at=at(3),
                         satisfaction_score=2, escalated=True)
    TouchpointFactory(account=own_account, kind="call", direction="outbound", subject="Check-in", occurred_at=at(5),
                      text="Talked about the sync.")
    alert = AlertFactory(account=own_account, kind="failed_payment", message="Invoice failed")
    snapshot(own_account, 1, "Healthy", "Low", 10)
    snapshot(own_account, 2, "Healthy", "Low", 12)  # no change: not an event
    snapshot(own_account, 4, "At risk", "Medium", 45)

    events = account_timeline(own_account).events

    assert [(e.kind, e.title) for e in events] == [
        ("alert", "Alert: Failed payment"),  # created now
        ("touchpoint", "Call (outbound): Check-in"),
        ("score", "Score change: health tier Healthy → At risk, risk Low → Medium"),
        ("ticket", "Ticket T-1: Sync broken"),
    ]
    assert events[3].detail == "Medium priority, rated 2/5, escalated"
    assert events[0].at == alert.created_at


def test_the_timeline_is_paged(own_account):
    for n in range(PAGE_SIZE + 5):
        SupportTicketFactory(account=own_account, external_id=f"T-{n:02d}",
                             submitted_at=at(1) + dt.timedelta(hours=n))

    first, second = account_timeline(own_account, 1), account_timeline(own_account, 2)

    assert (len(first.events), first.has_next, len(second.events), second.has_next) == (PAGE_SIZE, True, 5, False)
    assert first.events[0].title.startswith(f"Ticket T-{PAGE_SIZE + 4:02d}")
    assert second.events[-1].title.startswith("Ticket T-00")


def test_the_account_page_shows_the_timeline_and_its_pages(client, csm, own_account):
    for n in range(PAGE_SIZE + 1):
        SupportTicketFactory(account=own_account, submitted_at=at(1) + dt.timedelta(hours=n))
    client.force_login(csm)

    first = client.get(reverse("account_detail", args=["A-OWN"])).content.decode()
    second = client.get(reverse("account_detail", args=["A-OWN"]), {"timeline": "2"}).content.decode()
    junk = client.get(reverse("account_detail", args=["A-OWN"]), {"timeline": "x"})

    assert first.count('class="event event-ticket"') == PAGE_SIZE and 'href="?timeline=2#timeline"' in first
    assert second.count('class="event event-ticket"') == 1 and 'href="?timeline=1#timeline"' in second
    assert junk.status_code == 200


def test_an_account_without_history_says_what_will_appear(client, csm, own_account):
    client.force_login(csm)

    page = client.get(reverse("account_detail", args=["A-OWN"])).content.decode()

    assert "Nothing has happened on this account yet" in page


def test_account_360_takes_the_same_queries_for_one_ticket_and_touchpoint_as_for_many(client, csm, own_account):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(csm)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("account_detail", args=["A-OWN"])).status_code == 200
        return len(captured.captured_queries)

    SupportTicketFactory(account=own_account, external_id="T-FIRST", submitted_at=at(1))
    TouchpointFactory(account=own_account, occurred_at=at(1))
    one = queries()
    for n in range(25):
        SupportTicketFactory(account=own_account, external_id=f"T-{n:02d}", submitted_at=at(2) + dt.timedelta(hours=n))
        TouchpointFactory(account=own_account, occurred_at=at(2) + dt.timedelta(hours=n))

    assert queries() == one


def test_account_360_lists_open_alerts_and_interventions_older_than_the_timelines_page(client, csm, own_account):
    from scoring.models import Alert
    from tests.factories import InterventionFactory, PlaybookFactory, TaskFactory

    old_alert = AlertFactory(account=own_account, kind="usage_cliff", message="Usage fell off a cliff")
    for n in range(PAGE_SIZE + 3):  # newer, resolved: the timeline's first page is theirs
        AlertFactory(account=own_account, status="resolved", message=f"Resolved {n:02d}")
    Alert.objects.filter(pk=old_alert.pk).update(created_at=at(1))
    urgent, routine = PlaybookFactory(name="Save the account", priority=1), PlaybookFactory(name="Check in",
                                                                                           priority=50)
    late = InterventionFactory(account=own_account, playbook=routine, triggered_on=dt.date(2025, 1, 20))
    early = InterventionFactory(account=own_account, playbook=urgent, triggered_on=dt.date(2025, 1, 2))
    TaskFactory(intervention=early, title="Call the sponsor")
    TaskFactory(intervention=late, title="Send the survey")
    for n in range(PAGE_SIZE + 3):  # newer, done
        InterventionFactory(account=own_account, playbook=PlaybookFactory(), status="completed",
                            triggered_on=dt.date(2025, 2, 1) + dt.timedelta(days=n))
    snapshot(own_account, 10, "At risk", "Medium", 45)  # the open interventions show with the scores
    client.force_login(csm)

    response = client.get(reverse("account_detail", args=["A-OWN"]))

    page = response.content.decode()
    open_alerts = page[page.index('id="account-alerts"'):page.index("</section>", page.index('id="account-alerts"'))]
    assert "Usage fell off a cliff" in open_alerts and "Resolved" not in open_alerts
    assert [i.playbook.name for i in response.context["interventions"]] == ["Save the account", "Check in"]
    section = page[page.index('id="interventions"'):]
    assert section.index("Call the sponsor") < section.index("Send the survey")
    timeline = response.context["timeline"]
    assert [e.detail for e in timeline.events if e.kind == "alert"][:1] == ["Resolved 22 (resolved)"]
    assert "Usage fell off a cliff (open)" not in [e.detail for e in timeline.events]  # older than the page
    assert sum(e.kind == "intervention" for e in timeline.events) <= PAGE_SIZE and timeline.has_next
