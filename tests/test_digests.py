"""The daily CSM digest and the weekly executive summary (docs/operations.md#digests, docs/pages.md#my-digest): what
each holds on a small book, the e-mails (HTML and plain text, the right recipients, each sent once however often
the task runs), a real worker sending them, the beat schedule, and the My digest and Weekly summary pages."""

import datetime as dt
import time
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from celery.schedules import crontab
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from accounts.models import AuditEvent
from expansion.models import Opportunity, Stage
from healthcs.celery import app
from interventions.models import Arm, Intervention, InterventionStatus, Outcome, Playbook, Task, TaskStatus
from scoring.models import Alert
from tests.factories import AccountFactory, AlertFactory, ChurnEventFactory, SnapshotFactory, UserFactory
from workspace.digests import daily_digest, daily_digests, daily_digests_send, weekly_summaries_send, weekly_summary
from workspace.models import DigestDelivery
from workspace.tasks import send_daily_digests

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 16)
NOW = timezone.make_aware(dt.datetime(2026, 3, 16, 6, 30))
SITE = "https://cs.example.org"
HTMX = {"HX-Request": "true"}


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def alert(account, kind: str, created: dt.datetime, status: str = "open") -> Alert:
    made = AlertFactory(account=account, kind=kind, status=status, message=f"{kind} on {account.name}")
    Alert.objects.filter(pk=made.pk).update(created_at=created)  # created_at is set on insert
    return made


def snapshots(account, before: tuple[str, str], after: tuple[str, str], arr: str = "0") -> None:
    """The account's tier and risk level on the scoring day before DAY and on DAY."""
    for day, (tier, level) in ((DAY - dt.timedelta(days=1), before), (DAY, after)):
        SnapshotFactory(account=account, as_of=day, health_tier=tier, risk_level=level, arr=Decimal(arr))


@pytest.fixture
def playbook(db):
    return Playbook.objects.create(name="Failed payment", trigger_kind="alert", trigger_value="failed_payment",
                                   control_share=Decimal("0"))


def task(account, playbook, due: dt.datetime, assignee=None, status=TaskStatus.OPEN, title="Call") -> Task:
    intervention, _ = Intervention.objects.get_or_create(
        account=account, playbook=playbook, triggered_on=DAY - dt.timedelta(days=3),
        defaults={"triggered_at": at(DAY - dt.timedelta(days=3)), "reason": "failed payment", "draw": 0.5,
                  "group": Arm.TREATED, "status": InterventionStatus.OPEN})
    order = Task.objects.filter(intervention=intervention).count() + 1
    return Task.objects.create(intervention=intervention, account=account, order=order, title=title, channel="call",
                               assignee_role="csm", assignee=assignee, due_at=due, status=status)


@pytest.fixture
def book(csm, other_csm, manager, playbook):
    """Casey: three accounts (two renew within 30 days, one got worse and one better), four new alerts, two overdue
    tasks and two due today; Robin: one of each; one unassigned account, for the managers."""
    own = AccountFactory(external_id="A-OWN", name="Lakeside Family Practice", csm=csm,
                         renewal_date=DAY + dt.timedelta(days=10))
    bay = AccountFactory(external_id="A-BAY", name="Bayview Cardiology", csm=csm,
                         renewal_date=DAY + dt.timedelta(days=31))
    river = AccountFactory(external_id="A-RIV", name="Riverside Clinic", csm=csm,
                           renewal_date=DAY + dt.timedelta(days=30))
    harbor = AccountFactory(external_id="A-FOREIGN", name="Harbor Pediatrics", csm=other_csm,
                            renewal_date=DAY + dt.timedelta(days=5))
    nobody = AccountFactory(external_id="A-NOBODY", name="Summit Orthopedics", csm=None,
                            renewal_date=DAY + dt.timedelta(days=3))
    AccountFactory(external_id="A-GONE", name="Gone Clinic", csm=csm, churned=True, renewal_date=DAY)

    recent = NOW - dt.timedelta(hours=1)
    for account in (own, bay, river):
        alert(account, "failed_payment", recent)
    alert(own, "champion_left", NOW - dt.timedelta(hours=20))
    alert(bay, "usage_cliff", NOW - dt.timedelta(days=2))  # before the window
    alert(river, "silent_account", recent, status="resolved")
    alert(harbor, "failed_payment", recent)
    alert(nobody, "failed_payment", recent)

    task(own, playbook, at(DAY - dt.timedelta(days=2)), assignee=csm, title="Call about the invoice")
    task(own, playbook, at(DAY - dt.timedelta(days=1)), assignee=csm, title="Send the invoice again")
    task(own, playbook, at(DAY, 15), assignee=csm, title="Confirm the payment")
    task(own, playbook, at(DAY + dt.timedelta(days=1)), assignee=csm, title="Tomorrow's step")
    task(own, playbook, at(DAY - dt.timedelta(days=3)), assignee=csm, status=TaskStatus.DONE, title="Done step")
    task(bay, playbook, at(DAY, 9), assignee=None, title="Unheld step")
    task(harbor, playbook, at(DAY - dt.timedelta(days=1)), assignee=other_csm, title="Robin's call")
    task(nobody, playbook, at(DAY, 10), assignee=manager, title="Manager review")

    snapshots(own, ("Healthy", "Low"), ("At risk", "Medium"), arr="12000")
    snapshots(bay, ("High risk", "High"), ("Healthy", "Low"), arr="30000")
    snapshots(river, ("Healthy", "Low"), ("Healthy", "Low"), arr="5000")
    snapshots(harbor, ("Healthy", "Low"), ("Critical", "High"), arr="8000")
    snapshots(nobody, ("At risk", "Medium"), ("Healthy", "Medium"), arr="2000")
    return {"own": own, "bay": bay, "river": river, "harbor": harbor, "nobody": nobody}


# What a daily digest holds -----------------------------------------------------------------------------------

def test_a_csms_digest_holds_their_new_alerts_tasks_renewals_and_changes(book, csm):
    digest = daily_digest(csm, DAY, now=NOW)

    assert [(g.label, g.count, [a["account__external_id"] for a in g.top]) for g in digest.alert_groups] == [
        ("Failed payment", 3, ["A-RIV", "A-BAY", "A-OWN"]), ("Champion left", 1, ["A-OWN"])]
    assert (digest.new_alerts, digest.overdue_tasks, digest.due_tasks) == (4, 2, 2)
    assert [(t["title"], t["overdue"]) for t in digest.tasks] == [
        ("Call about the invoice", True), ("Send the invoice again", True), ("Unheld step", False),
        ("Confirm the payment", False)]
    assert [(r["external_id"], r["risk_level"], r["arr"]) for r in digest.renewals] == [
        ("A-OWN", "Medium", Decimal("12000.00")), ("A-RIV", "Low", Decimal("5000.00"))]
    assert digest.renewal_count == 2
    assert (digest.change_count, digest.worse_count) == (2, 1)
    assert [(c["account__external_id"], c["tier_before"], c["health_tier"], c["worse"]) for c in digest.changes] == [
        ("A-OWN", "Healthy", "At risk", True), ("A-BAY", "High risk", "Healthy", False)]
    assert (digest.scored_before, digest.scored_on) == (DAY - dt.timedelta(days=1), DAY)
    assert digest.subject == ("HealthCS digest for 2026-03-16: 4 new alerts, 2 overdue tasks, 2 tasks due, "
                              "2 renewals, 2 tier changes")


def test_a_managers_digest_is_about_the_unassigned_accounts_and_their_own_tasks(book, manager):
    digest = daily_digest(manager, DAY, now=NOW)

    assert digest.unassigned
    assert [(g.kind, g.count) for g in digest.alert_groups] == [("failed_payment", 1)]
    assert digest.alert_groups[0].top[0]["account__external_id"] == "A-NOBODY"
    assert (digest.overdue_tasks, digest.due_tasks, [t["title"] for t in digest.tasks]) == (0, 1, ["Manager review"])
    assert [r["external_id"] for r in digest.renewals] == ["A-NOBODY"]
    assert [(c["account__external_id"], c["worse"]) for c in digest.changes] == [("A-NOBODY", False)]


def test_a_digest_holds_nothing_of_another_csms_book(book, other_csm):
    digest = daily_digest(other_csm, DAY, now=NOW)

    assert [(g.count, g.top[0]["account__external_id"]) for g in digest.alert_groups] == [(1, "A-FOREIGN")]
    assert [t["title"] for t in digest.tasks] == ["Robin's call"]
    assert [r["external_id"] for r in digest.renewals] == ["A-FOREIGN"]
    assert [(c["account__external_id"], c["worse"]) for c in digest.changes] == [("A-FOREIGN", True)]


def test_a_book_with_nothing_new_gives_an_empty_digest(csm):
    digest = daily_digest(csm, DAY, now=NOW)

    assert digest.empty
    assert (digest.new_alerts, digest.task_count, digest.renewal_count, digest.change_count) == (0, 0, 0, 0)
    assert digest.subject == "HealthCS digest for 2026-03-16: nothing new"


def test_many_alerts_of_a_kind_are_counted_and_only_the_newest_listed(csm):
    accounts = AccountFactory.create_batch(780, csm=csm)
    Alert.objects.bulk_create(Alert(account=a, kind="failed_payment", as_of=DAY, message="failed") for a in accounts)
    Alert.objects.update(created_at=NOW - dt.timedelta(hours=1))

    digest = daily_digest(csm, DAY, now=NOW)

    assert [(g.count, len(g.top), g.more) for g in digest.alert_groups] == [(780, 3, 777)]


# Sending --------------------------------------------------------------------------------------------------------

def test_each_user_with_news_gets_one_html_email_with_a_plain_text_part(book, mailoutbox):
    UserFactory(username="quiet", email="quiet@example.org", role="CSM")  # nothing to tell
    UserFactory(username="silent", email="", role="CSM")  # no address
    UserFactory(username="gone", email="gone@example.org", role="CSM", is_active=False)

    result = daily_digests_send(day=DAY, now=NOW, site_url=SITE)

    assert (result.sent, result.empty, result.already, result.failed) == (3, 1, 0, 0)
    mails = {tuple(m.to): m for m in mailoutbox}
    assert sorted(mails) == [("casey@example.org",), ("morgan@example.org",), ("robin@example.org",)]
    casey = mails[("casey@example.org",)]
    assert casey.subject == ("HealthCS digest for 2026-03-16: 4 new alerts, 2 overdue tasks, 2 tasks due, "
                             "2 renewals, 2 tier changes")
    assert "NEW ALERTS (4)\nFailed payment: 3\n- Riverside Clinic (A-RIV): failed_payment on Riverside Clinic\n" \
           "  https://cs.example.org/accounts/A-RIV/\n" in casey.body
    assert "TASKS (2 overdue, 2 due today)" in casey.body
    assert "Harbor" not in casey.body and "Summit" not in casey.body
    [(html, mimetype)] = casey.alternatives
    assert mimetype == "text/html"
    assert '<a href="https://cs.example.org/accounts/A-OWN/">Lakeside Family Practice</a>' in html
    assert "https://cs.example.org/digest/?date=2026-03-16" in html
    assert list(DigestDelivery.objects.order_by("user__username").values_list("user__username", "kind", "day")) == [
        ("casey", "daily", DAY), ("morgan", "daily", DAY), ("robin", "daily", DAY)]
    assert all(d.sent_at is not None for d in DigestDelivery.objects.all())


def test_a_second_run_of_the_day_sends_nothing_again(book, mailoutbox):
    daily_digests_send(day=DAY, now=NOW, site_url=SITE)

    again = daily_digests_send(day=DAY, now=NOW + dt.timedelta(minutes=5), site_url=SITE)

    assert (again.sent, again.already) == (0, 3)
    assert len(mailoutbox) == 3
    assert DigestDelivery.objects.count() == 3


def test_the_next_digest_starts_where_the_last_one_sent_ended(book, csm, mailoutbox):
    daily_digests_send(day=DAY, now=NOW, site_url=SITE)
    later = alert(book["river"], "usage_cliff", NOW + dt.timedelta(hours=3))

    digest = daily_digest(csm, DAY + dt.timedelta(days=1), now=NOW + dt.timedelta(days=1))

    assert digest.since == NOW
    assert [(g.kind, g.count) for g in digest.alert_groups] == [("usage_cliff", 1)]
    assert digest.alert_groups[0].top[0]["message"] == later.message


def test_a_sent_days_page_shows_the_window_that_was_sent(book, csm, mailoutbox):
    daily_digests_send(day=DAY, now=NOW, site_url=SITE)
    alert(book["river"], "usage_cliff", NOW + dt.timedelta(hours=3))  # after the e-mail went

    digest = daily_digest(csm, DAY, now=NOW + dt.timedelta(hours=5))

    assert (digest.since, digest.until, digest.new_alerts) == (NOW - dt.timedelta(days=1), NOW, 4)


def test_a_claim_left_by_a_killed_worker_is_taken_over_after_half_an_hour(book, csm, mailoutbox):
    DigestDelivery.objects.create(user=csm, kind="daily", day=DAY, window_start=NOW, window_end=NOW,
                                  claimed_at=timezone.now() - dt.timedelta(minutes=10))
    daily_digests_send(day=DAY, now=NOW, site_url=SITE)
    assert "casey@example.org" not in [m.to[0] for m in mailoutbox]  # another worker may still be sending it

    DigestDelivery.objects.filter(user=csm).update(claimed_at=timezone.now() - dt.timedelta(minutes=31))
    daily_digests_send(day=DAY, now=NOW, site_url=SITE)

    assert [m.to[0] for m in mailoutbox].count("casey@example.org") == 1
    assert DigestDelivery.objects.get(user=csm).sent_at is not None


class BrokenSmtp(BaseEmailBackend):
    """An SMTP server that is down: every send raises like smtplib does."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError(111, "Connection refused")


def test_digests_the_mail_server_refused_are_sent_by_the_next_run(book, settings, mailoutbox):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenSmtp"
    refused = daily_digests_send(day=DAY, now=NOW, site_url=SITE)

    assert (refused.sent, refused.failed) == (0, 3)
    assert not DigestDelivery.objects.exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    retried = daily_digests_send(day=DAY, now=NOW, site_url=SITE)

    assert retried.sent == 3 and len(mailoutbox) == 3


def test_building_the_digests_costs_the_same_queries_for_two_csms_or_twelve(book, csm, other_csm, playbook):
    users = [csm, other_csm]
    with CaptureQueriesContext(connection) as few:
        daily_digests(users, DAY, now=NOW)
    for n in range(10):
        extra = UserFactory(username=f"extra{n}", role="CSM")
        account = AccountFactory(csm=extra, renewal_date=DAY + dt.timedelta(days=2))
        alert(account, "failed_payment", NOW - dt.timedelta(hours=1))
        task(account, playbook, at(DAY - dt.timedelta(days=1)), assignee=extra)
        snapshots(account, ("Healthy", "Low"), ("Critical", "High"))
        users.append(extra)

    with CaptureQueriesContext(connection) as many:
        digests = daily_digests(users, DAY, now=NOW)

    assert len(few) == len(many) == 9
    assert [d.new_alerts for d in digests[2:]] == [1] * 10


# The weekly summary -----------------------------------------------------------------------------------------------

@pytest.fixture
def week(book, manager, csm):
    """A week to DAY: A-GONE churned (8,000 ARR on its last snapshot), A-BAY renewed and out of High risk, one
    opportunity won (500) and one lost; the week before, A-BAY was at High risk."""
    gone = AccountFactory(external_id="A-LOST", name="Lost Clinic", csm=csm, churned=True)
    SnapshotFactory(account=gone, as_of=DAY - dt.timedelta(days=20), arr=Decimal("8000"), risk_level="High")
    ChurnEventFactory(account=gone, churn_date=DAY - dt.timedelta(days=2))
    ChurnEventFactory(account=gone, churn_date=DAY - dt.timedelta(days=30))  # an older one: not this week
    SnapshotFactory(account=book["bay"], as_of=DAY - dt.timedelta(days=8), health_tier="High risk",
                    risk_level="High", arr=Decimal("30000"))
    Outcome.objects.create(account=book["bay"], kind="renewed", created_by=csm,
                           created_at=at(DAY - dt.timedelta(days=1)))
    Outcome.objects.create(account=book["own"], kind="contacted", created_by=csm, created_at=at(DAY))
    opened = at(DAY - dt.timedelta(days=40))
    Opportunity.objects.create(account=book["own"], title="Seats", stage=Stage.WON, amount=Decimal("500"),
                               probability=100, created_at=opened, closed_at=at(DAY - dt.timedelta(days=1)))
    Opportunity.objects.create(account=book["own"], title="Lost", stage=Stage.LOST, amount=Decimal("900"),
                               probability=0, created_at=opened, closed_at=at(DAY - dt.timedelta(days=3)))
    Opportunity.objects.create(account=book["river"], title="Open", stage=Stage.IDENTIFIED, amount=Decimal("1000"),
                               probability=40, created_at=opened)
    return gone


def test_the_weekly_summary_holds_risk_churn_saves_playbooks_and_pipeline(week, manager):
    summary = weekly_summary(manager, DAY, now=NOW)

    assert (summary.start, summary.as_of, summary.week_ago_as_of) == (DAY - dt.timedelta(days=6), DAY,
                                                                      DAY - dt.timedelta(days=8))
    assert summary.risk_levels == [{"level": "High", "accounts": 1, "arr": 8000.0},
                                   {"level": "Medium", "accounts": 2, "arr": 14000.0},
                                   {"level": "Low", "accounts": 2, "arr": 35000.0}]
    assert (summary.book.arr_at_risk, summary.arr_at_risk_before, summary.high_risk_before) == (8000.0, 30000.0, 1)
    assert [(r["external_id"], r["arr"]) for r in summary.recovered] == [("A-BAY", Decimal("30000.00"))]
    assert [(r["account__external_id"], r["arr"]) for r in summary.churned] == [("A-LOST", Decimal("8000.00"))]
    assert (summary.churned_arr, summary.saved_arr) == (8000.0, 30000.0)
    assert [r["account__external_id"] for r in summary.saves] == ["A-BAY"]
    assert (summary.fired_treated, summary.fired_control) == (4, 0)
    assert [(r.playbook, r.treated) for r in summary.playbooks] == [("Failed payment", 4)]
    assert (summary.won_count, summary.won_amount, summary.lost_count) == (1, Decimal("500.00"), 1)
    assert (summary.pipeline.pipeline.count, summary.pipeline.pipeline.amount) == (1, Decimal("1000.00"))


def test_the_weekly_summary_goes_to_managers_and_admins_once(week, admin_user, mailoutbox):
    first = weekly_summaries_send(day=DAY, now=NOW, site_url=SITE)
    second = weekly_summaries_send(day=DAY, now=NOW, site_url=SITE)

    assert (first.sent, second.sent, second.already) == (2, 0, 2)
    assert sorted(m.to[0] for m in mailoutbox) == ["ada@example.org", "morgan@example.org"]
    mail = mailoutbox[0]
    assert mail.subject == "HealthCS weekly summary, 2026-03-10 to 2026-03-16"
    assert "ARR at risk: $8,000 of $57,000 (a week earlier $30,000)" in mail.body
    assert "Churned: 1 ($8,000 ARR)\n- Lost Clinic, 2026-03-14, $8,000" in mail.body
    [(html, mimetype)] = mail.alternatives
    assert mimetype == "text/html" and 'data-testid="weekly-arr-at-risk">$8,000<' in html


# The schedule and a real worker ----------------------------------------------------------------------------------

def test_the_digests_are_on_the_beat_schedule_after_the_recompute():
    daily = app.conf.beat_schedule["send-daily-digests"]
    weekly = app.conf.beat_schedule["send-weekly-summaries"]

    assert daily["task"] == "workspace.tasks.send_daily_digests"
    assert daily["schedule"] == crontab(hour=6, minute=30)
    assert weekly["task"] == "workspace.tasks.send_weekly_summaries"
    assert weekly["schedule"] == crontab(hour=7, minute=0, day_of_week="monday")
    assert app.conf.beat_schedule["recompute-scores-daily"]["schedule"] == crontab(hour=5, minute=30)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_the_days_digests_once_through_redis(csm, mailoutbox):
    assert settings.REDIS_URL, "this test needs REDIS_URL: the worker must go through a real Redis"
    account = AccountFactory(external_id="A-OWN", csm=csm, renewal_date=timezone.localdate())
    AlertFactory(account=account)  # created now: new

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        send_daily_digests.delay()
        send_daily_digests.delay()  # a second beat run the same day
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not DigestDelivery.objects.filter(sent_at__isnull=False).exists():
            time.sleep(0.2)
        time.sleep(1)  # the second run's turn: it must send nothing

    assert [m.to for m in mailoutbox] == [["casey@example.org"]]
    assert DigestDelivery.objects.get().day == timezone.localdate()


# The pages -------------------------------------------------------------------------------------------------------

def test_my_digest_shows_the_csms_own_digest(client, book, csm, other_csm):
    client.force_login(csm)

    response = client.get(reverse("digest"), {"date": "2026-03-16", "csm": other_csm.pk})  # csm: managers only

    # A past day never sent: the alerts created that day (the champion left the evening before).
    assertContains(response, "new alerts since 2026-03-16 00:00")
    assertContains(response, '<small data-testid="digest-alert-count">3</small>', html=True)
    assertContains(response, '<small data-testid="digest-task-count">2 overdue, 2 due today</small>', html=True)
    assertContains(response, '<a href="/accounts/A-OWN/">Lakeside Family Practice</a> <strong>worse</strong>')
    assertNotContains(response, "Harbor Pediatrics")
    assertNotContains(response, 'name="csm"')


def test_a_manager_picks_a_csms_digest(client, book, manager, other_csm):
    client.force_login(manager)

    own = client.get(reverse("digest"), {"date": "2026-03-16"})
    robins = client.get(reverse("digest"), {"date": "2026-03-16", "csm": other_csm.pk})

    assertContains(own, "The unassigned accounts and your own tasks")
    assertContains(own, "Summit Orthopedics")
    assertContains(robins, "Harbor Pediatrics")
    assertNotContains(robins, "Summit Orthopedics")


@pytest.mark.parametrize(("typed", "problem"), [
    ("31.03.2026", "&#x27;31.03.2026&#x27; is not a date; give it as YYYY-MM-DD, e.g. 2026-03-31."),
    ("\uff12\uff10\uff12\uff16-03-16", "is not a date; give it as YYYY-MM-DD"),
    ("2026-03-16\x00", "The parameter 'date' contains a NUL character (%00); remove it."),
    ("1999-12-31", "Choose a day from 2000-01-01 to today."),
    ("9999-12-31", "Choose a day from 2000-01-01 to today."),
])
def test_a_bad_day_is_refused_with_a_clear_message(client, csm, typed, problem):
    client.force_login(csm)

    response = client.get(reverse("digest"), {"date": typed})

    assert response.status_code == 400
    assertContains(response, problem, status_code=400)
    assertNotContains(response, 'data-testid="digest"', status_code=400)


LISTED_ONLY = "Choose one of the CSMs listed."


@pytest.mark.parametrize(("picked", "problem"), [
    ("admin", LISTED_ONLY), ("99999999999999999999999", LISTED_ONLY), ("\u0661\u0662", LISTED_ONLY),
    ("1\x00", "The parameter 'csm' contains a NUL character (%00); remove it."),
])
def test_a_manager_picks_only_a_csm_listed(client, manager, admin_user, csm, picked, problem):
    client.force_login(manager)
    value = str(admin_user.pk) if picked == "admin" else picked

    response = client.get(reverse("digest"), {"csm": value})

    assert response.status_code == 400
    assert problem in response.content.decode()
    assert 'data-testid="digest"' not in response.content.decode()


def test_the_day_without_news_says_so(client, csm):
    client.force_login(csm)

    response = client.get(reverse("digest"))

    assertContains(response, 'data-testid="digest-empty"')
    assertContains(response, "No e-mail is sent for a day like this.")


def test_htmx_gets_the_digest_alone(client, book, csm):
    client.force_login(csm)

    response = client.get(reverse("digest"), {"date": "2026-03-16"}, headers=HTMX)

    assertContains(response, 'data-testid="digest"')
    assertNotContains(response, "<h1>My digest</h1>")


def test_the_digest_page_costs_the_same_queries_for_a_bigger_book(client, book, csm, playbook):
    client.force_login(csm)
    client.get(reverse("digest"), {"date": "2026-03-16"})
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("digest"), {"date": "2026-03-16"})
    for n in range(20):
        account = AccountFactory(csm=csm, renewal_date=DAY + dt.timedelta(days=n % 30))
        alert(account, "silent_account", NOW - dt.timedelta(hours=2))
        task(account, playbook, at(DAY - dt.timedelta(days=1)), assignee=csm)
        snapshots(account, ("Healthy", "Low"), ("At risk", "Medium"))

    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("digest"), {"date": "2026-03-16"})

    assert len(large) == len(small)
    assertContains(response, '<small data-testid="digest-alert-count">23</small>', html=True)


def test_the_weekly_summary_page_is_for_managers(client, week, csm, manager):
    client.force_login(csm)
    assert client.get(reverse("weekly_summary")).status_code == 403

    client.force_login(manager)
    response = client.get(reverse("weekly_summary"), {"date": "2026-03-16"})

    assertContains(response, '<strong data-testid="weekly-arr-at-risk">$8,000</strong>', html=True)
    assertContains(response, "1 account churned ($8,000 ARR)")
    fragment = client.get(reverse("weekly_summary"), {"date": "2026-03-16"}, headers=HTMX)
    assertNotContains(fragment, "<h1>Weekly summary</h1>")
    assertContains(client.get(reverse("weekly_summary"), {"date": "soon"}), "is not a date", status_code=400)


def test_an_empty_portfolio_gets_a_helpful_weekly_summary(client, manager):
    client.force_login(manager)

    response = client.get(reverse("weekly_summary"))

    assertContains(response, "risk figures appear after the first recompute")
    assertContains(response, "No playbook has fired yet.")
    assertContains(response, "No open opportunities.")


def test_an_admin_deleting_a_delivery_is_audited_and_lets_it_be_sent_again(client, book, admin_user, mailoutbox):
    daily_digests_send(day=DAY, now=NOW, site_url=SITE)
    delivery = DigestDelivery.objects.get(user__username="casey")
    client.force_login(admin_user)

    response = client.post(reverse("admin:workspace_digestdelivery_delete", args=[delivery.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="deleted", object_type="workspace.DigestDelivery").count() == 1
    assert daily_digests_send(day=DAY, now=NOW, site_url=SITE).sent == 1
