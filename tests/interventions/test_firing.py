"""Firing playbooks (docs/interventions.md): which accounts match, the tasks made from the steps, the control group's
recorded draw, cooldown and open interventions, and idempotency under re-runs and two runs at once."""

import datetime as dt
import random
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from healthcs.bulk import insert_rows
from interventions import firing
from interventions.firing import fire_playbooks, trigger_time
from interventions.models import Arm, Intervention, InterventionStatus, Playbook, PlaybookStep, Task
from scoring.models import ChurnModel, ChurnPrediction
from tests.factories import AccountFactory, AlertFactory, ContactFactory, SnapshotFactory, UserFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 3, 31)
MORNING = dt.datetime(2025, 3, 31, 8, tzinfo=dt.UTC)
NOW = dt.datetime(2025, 4, 20, 12, tzinfo=dt.UTC)


@pytest.fixture
def playbook(db):
    """The only active playbook: Critical tier, two steps, no control group."""
    Playbook.objects.update(active=False)
    playbook = Playbook.objects.create(name="Rescue", trigger_kind="tier", trigger_value="Critical", cooldown_days=30)
    PlaybookStep.objects.create(playbook=playbook, order=1, title="Call", due_offset_hours=2, channel="call",
                                assignee_role="csm", template="Call {contact} at {account} ({health}, {tier})",
                                escalate_after_hours=24)
    PlaybookStep.objects.create(playbook=playbook, order=2, title="Sponsor e-mail", due_offset_hours=1,
                                channel="email", assignee_role="executive", template="Dear {contact}: {reasons}")
    return playbook


def critical(account, as_of=AS_OF, **fields):
    return SnapshotFactory(account=account, as_of=as_of, health_tier="Critical", health_score=12.0, risk_score=80,
                           risk_level="High", arr=Decimal("24000"), top_reasons="Usage dropped 70%",
                           fired_rules=[{"rule": "usage_drop", "points": 40, "reason": "Usage dropped 70%"}], **fields)


def test_an_account_in_the_tier_gets_an_intervention_with_its_steps_as_tasks(playbook, csm):
    vp = UserFactory(username="vp", role="Manager")
    boss = UserFactory(username="boss", role="Manager", reports_to=vp)
    csm.reports_to = boss
    csm.save()
    account = AccountFactory(name="Lakeside", csm=csm)
    ContactFactory(account=account, name="Zoe Admin", role="user")
    ContactFactory(account=account, name="Ana Champion", role="champion")
    critical(account)
    SnapshotFactory(account=AccountFactory(csm=csm), as_of=AS_OF, health_tier="At risk")

    report = fire_playbooks(as_of=AS_OF, now=NOW)

    intervention = Intervention.objects.get()
    assert (report.treated, report.control, report.tasks) == (1, 0, 2)
    assert (intervention.account, intervention.playbook, intervention.group, intervention.status) == (
        account, playbook, Arm.TREATED, InterventionStatus.OPEN)
    assert (intervention.triggered_on, intervention.triggered_at, intervention.csm) == (AS_OF, MORNING, csm)
    assert (intervention.health_tier, intervention.risk_score, intervention.arr) == ("Critical", 80, Decimal("24000"))
    assert intervention.reason == "In the Critical tier (health 12)"
    tasks = list(intervention.tasks.order_by("order"))
    assert [(t.title, t.assignee, t.due_at, t.escalate_at) for t in tasks] == [
        ("Call", csm, MORNING + dt.timedelta(hours=2), MORNING + dt.timedelta(hours=24)),
        ("Sponsor e-mail", vp, MORNING + dt.timedelta(hours=1), None)]
    assert tasks[0].message == "Call Ana at Lakeside (12, Critical)"
    assert tasks[1].message == "Dear Ana: how your team is using the platform day to day"  # to the customer


def test_today_fires_now_and_a_past_day_fires_that_morning():
    now = timezone.now()

    assert trigger_time(timezone.localdate(now), now) == now
    assert trigger_time(AS_OF, NOW) == MORNING


def test_risk_level_and_alert_triggers(csm):
    Playbook.objects.update(active=False)
    by_level = Playbook.objects.create(name="High risk level", trigger_kind="risk_level", trigger_value="High")
    by_alert = Playbook.objects.create(name="Payment", trigger_kind="alert", trigger_value="failed_payment")
    risky, paying, calm = (AccountFactory(csm=csm) for _ in range(3))
    SnapshotFactory(account=risky, risk_level="High", risk_score=70, top_reasons="Escalation")
    SnapshotFactory(account=paying, risk_level="Low")
    SnapshotFactory(account=calm, risk_level="Low")
    AlertFactory(account=paying, kind="failed_payment", as_of=AS_OF)
    AlertFactory(account=calm, kind="failed_payment", as_of=AS_OF, status="resolved")

    fire_playbooks(as_of=AS_OF, now=NOW)

    assert sorted(Intervention.objects.values_list("account", "playbook", "reason")) == sorted([
        (risky.pk, by_level.pk, "High churn risk (70): Escalation"),
        (paying.pk, by_alert.pk, "Open alert: Failed payment")])


def test_a_churn_probability_band_of_the_day_fires_its_playbook(csm):
    Playbook.objects.update(active=False)
    by_band = Playbook.objects.create(name="Model says High", trigger_kind="probability", trigger_value="High")
    model = ChurnModel.objects.create(version=1, status="active", trigger="command", trained_from=AS_OF,
                                      trained_to=AS_OF)
    likely, unlikely, yesterday = (AccountFactory(csm=csm) for _ in range(3))
    for account in (likely, unlikely, yesterday):
        SnapshotFactory(account=account, risk_level="Low", risk_score=12)
    ChurnPrediction.objects.create(account=likely, as_of=AS_OF, model=model, probability=0.41, band="High")
    ChurnPrediction.objects.create(account=unlikely, as_of=AS_OF, model=model, probability=0.02, band="Low")
    ChurnPrediction.objects.create(account=yesterday, as_of=AS_OF - dt.timedelta(days=1), model=model,
                                   probability=0.5, band="High")

    fire_playbooks(as_of=AS_OF, now=NOW)

    assert list(Intervention.objects.values_list("account", "playbook", "reason")) == [
        (likely.pk, by_band.pk, "High churn probability (the churn model's band; risk Low 12)")]


def test_a_probability_trigger_names_a_band(db):
    playbook = Playbook(name="Model", trigger_kind="probability", trigger_value="Critical")

    with pytest.raises(ValidationError, match="'Critical' is not a valid churn probability band; use one of: "
                                              "High, Medium, Low"):
        playbook.clean()


def test_churned_accounts_and_inactive_playbooks_fire_nothing(playbook, csm):
    critical(AccountFactory(csm=csm, churned=True))
    critical(AccountFactory(csm=csm))
    playbook.active = False
    playbook.save()

    assert fire_playbooks(as_of=AS_OF, now=NOW).treated == 0
    assert not Intervention.objects.exists()


def test_a_rerun_of_the_day_adds_nothing(playbook, csm):
    for _ in range(3):
        critical(AccountFactory(csm=csm))
    fire_playbooks(as_of=AS_OF, now=NOW)

    again = fire_playbooks(as_of=AS_OF, now=NOW)

    assert (again.treated, again.control, again.tasks) == (0, 0, 0)
    assert (Intervention.objects.count(), Task.objects.count()) == (3, 6)


def test_an_open_intervention_and_the_cooldown_keep_it_from_firing_again(playbook, csm):
    still_open, cooling, cooled = (AccountFactory(csm=csm) for _ in range(3))
    for account in (still_open, cooling, cooled):
        critical(account, as_of=AS_OF - dt.timedelta(days=40))
    fire_playbooks(as_of=AS_OF - dt.timedelta(days=40), now=NOW)
    Intervention.objects.filter(account=cooling).update(status=InterventionStatus.COMPLETED,
                                                        triggered_on=AS_OF - dt.timedelta(days=29))
    Intervention.objects.filter(account=cooled).update(status=InterventionStatus.COMPLETED,
                                                       triggered_on=AS_OF - dt.timedelta(days=30))
    for account in (still_open, cooling, cooled):
        critical(account)

    report = fire_playbooks(as_of=AS_OF, now=NOW)

    assert (report.treated, report.skipped_open, report.skipped_cooldown) == (1, 1, 1)
    assert list(Intervention.objects.filter(triggered_on=AS_OF).values_list("account", flat=True)) == [cooled.pk]


def test_the_control_group_gets_the_configured_share_by_a_recorded_draw(playbook, csm):
    playbook.control_share = Decimal("0.25")
    playbook.save()
    for _ in range(1000):
        critical(AccountFactory(csm=csm))

    report = fire_playbooks(as_of=AS_OF, now=NOW, rng=random.Random(7))

    interventions = list(Intervention.objects.values_list("draw", "group", "status"))
    assert len(interventions) == 1000 and report.control + report.treated == 1000
    assert 0.21 <= report.control / 1000 <= 0.29  # ±4 standard deviations of a 25% draw over 1,000
    assert all((group == Arm.CONTROL) == (draw < 0.25) for draw, group, _ in interventions)
    assert all(status == (InterventionStatus.CONTROL if group == Arm.CONTROL else InterventionStatus.OPEN)
               for _, group, status in interventions)
    assert Task.objects.filter(intervention__group=Arm.CONTROL).count() == 0
    assert Task.objects.count() == 2 * report.treated


def test_a_firing_is_all_or_nothing(playbook, csm, monkeypatch):
    critical(AccountFactory(csm=csm))

    def broken(model, *args, **kwargs):
        if model is Task:
            raise RuntimeError("disk full")
        return insert_rows(model, *args, **kwargs)

    monkeypatch.setattr(firing, "insert_rows", broken)  # the tasks' write fails after the interventions'
    with pytest.raises(RuntimeError):
        fire_playbooks(as_of=AS_OF, now=NOW)

    assert not Intervention.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_firings_at_once_create_each_intervention_and_task_once(playbook, csm):
    assert connection.vendor == "postgresql"
    for _ in range(200):
        critical(AccountFactory(csm=csm))
    start = threading.Barrier(2)
    reports, errors = [], []

    def fire() -> None:
        try:
            start.wait()
            reports.append(fire_playbooks(as_of=AS_OF, now=NOW))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=fire) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert Intervention.objects.count() == 200
    assert Task.objects.count() == 400
    assert sum(r.treated for r in reports) == 200  # each intervention counted by the run whose draw it holds


def test_a_past_day_fires_for_accounts_that_churned_only_later(playbook, csm):
    from tests.factories import ChurnEventFactory

    later = AccountFactory(csm=csm, churned=True)
    ChurnEventFactory(account=later, churn_date=AS_OF + dt.timedelta(days=20))
    before = AccountFactory(csm=csm, churned=True)
    ChurnEventFactory(account=before, churn_date=AS_OF - dt.timedelta(days=1))
    critical(later)
    critical(before)

    fire_playbooks(as_of=AS_OF, now=NOW)

    assert list(Intervention.objects.values_list("account", flat=True)) == [later.pk]


def test_an_expansion_signal_of_the_day_fires_its_playbook(csm):
    from expansion.models import ExpansionSignal

    Playbook.objects.update(active=False)
    playbook = Playbook.objects.create(name="Upsell", trigger_kind="expansion", trigger_value="promoter")
    today_signal, stale_signal = AccountFactory(csm=csm), AccountFactory(csm=csm)
    for account, seen in ((today_signal, AS_OF), (stale_signal, AS_OF - dt.timedelta(days=3))):
        SnapshotFactory(account=account, as_of=AS_OF, health_tier="Healthy")
        ExpansionSignal.objects.create(account=account, kind="promoter", first_detected_on=seen, last_detected_on=seen,
                                       summary="Promoter (NPS 10)")

    fire_playbooks(as_of=AS_OF, now=NOW)

    assert list(Intervention.objects.values_list("account", "playbook", "reason")) == [
        (today_signal.pk, playbook.pk, "Expansion signal: Promoter (NPS 9-10) with a healthy score")]


def second_playbook() -> Playbook:
    """Another active playbook on the same trigger, with a sound template."""
    other = Playbook.objects.create(name="Rescue call", trigger_kind="tier", trigger_value="Critical")
    PlaybookStep.objects.create(playbook=other, order=1, title="Call", due_offset_hours=2, channel="call",
                                template="Call {contact} about {account}")
    return other


def test_a_bad_template_in_the_database_fails_its_playbook_alone_recorded_and_the_admins_told(
        playbook, csm, admin_user, mailoutbox, django_capture_on_commit_callbacks):
    # Written to the database directly, as before the checks existed: admin would refuse it.
    PlaybookStep.objects.filter(playbook=playbook, order=2).update(template="Dear {contact:>100000}")
    second_playbook()
    account = AccountFactory(name="Lakeside", csm=csm)
    critical(account)

    with django_capture_on_commit_callbacks(execute=True):
        report = fire_playbooks(as_of=AS_OF, now=NOW)

    assert list(Intervention.objects.values_list("playbook__name", "account__name")) == [("Rescue call", "Lakeside")]
    assert list(Task.objects.values_list("title", "message")) == [("Call", "Call there about Lakeside")]
    error = ('Step 2 "Sponsor e-mail": Placeholder {contact:>100000} has a format (:>100000), which templates do not '
             "take: write {contact} alone. Allowed placeholders: {account}, {plan}, {renewal}, {csm}, {contact}, "
             "{reasons}, {actions}.")
    assert (report.treated, report.tasks, report.failed) == (1, 1, {"Rescue": error})
    playbook.refresh_from_db()
    assert (playbook.last_error, playbook.last_error_at) == (error, NOW)
    [mail] = mailoutbox
    assert (mail.to, mail.subject) == (["ada@example.org"], 'HealthCS: the playbook "Rescue" did not fire')
    assert error in mail.body and f"/admin/interventions/playbook/{playbook.pk}/change/" in mail.body
    assert "1 playbook(s) failed and were recorded (Rescue: Step 2" in str(report)


def test_the_same_failure_is_told_once_and_cleared_when_the_playbook_fires_again(
        playbook, csm, admin_user, mailoutbox, django_capture_on_commit_callbacks):
    PlaybookStep.objects.filter(playbook=playbook, order=2).update(template="Dear {account!r}")
    account = AccountFactory(csm=csm)
    days = [AS_OF + dt.timedelta(days=n) for n in range(3)]
    for day in days:
        critical(account, as_of=day)

    with django_capture_on_commit_callbacks(execute=True):
        fire_playbooks(as_of=days[0], now=NOW)
        fire_playbooks(as_of=days[1], now=NOW + dt.timedelta(days=1))

    playbook.refresh_from_db()
    assert playbook.last_error.startswith('Step 2 "Sponsor e-mail": Placeholder {account!r} has a conversion')
    assert playbook.last_error_at == NOW + dt.timedelta(days=1)
    assert len(mailoutbox) == 1  # the same failure the next day: recorded, not e-mailed again
    assert not Intervention.objects.exists()

    PlaybookStep.objects.filter(playbook=playbook, order=2).update(template="Dear {contact}")
    report = fire_playbooks(as_of=days[2], now=NOW + dt.timedelta(days=2))

    playbook.refresh_from_db()
    assert (report.failed, report.treated, playbook.last_error, playbook.last_error_at) == ({}, 1, "", None)


def test_the_admin_list_shows_a_playbooks_last_failure(client, admin_user, playbook):
    Playbook.objects.filter(pk=playbook.pk).update(last_error="Step 2 \"Sponsor e-mail\": Unknown placeholder {x}.",
                                                   last_error_at=NOW)
    client.force_login(admin_user)

    page = client.get(reverse("admin:interventions_playbook_changelist")).content.decode()

    assert ('<strong class="errornote">2025-04-20 12:00</strong> Step 2 &quot;Sponsor e-mail&quot;: Unknown '
            "placeholder {x}.") in page


def small_book(playbook, csm) -> None:
    """Forty accounts for two playbooks in batches of a few: critical ones (some open, some cooling down, some in
    neither), high-risk ones with an open alert, and healthy ones that match nothing."""
    from tests.factories import ChurnEventFactory

    playbook.control_share = Decimal("0.3")
    playbook.save()
    alerted = Playbook.objects.create(name="Usage alert", trigger_kind="alert", trigger_value="usage_cliff",
                                      control_share=Decimal("0.5"))
    PlaybookStep.objects.create(playbook=alerted, order=1, title="Look", due_offset_hours=4, channel="email",
                                template="{account}: {reasons}")
    for number in range(40):
        account = AccountFactory(name=f"Account {number:02}", csm=csm)
        if number % 4 == 0:
            critical(account)
        elif number % 4 == 1:
            critical(account)
            AlertFactory(account=account, kind="usage_cliff", as_of=AS_OF)
        elif number % 4 == 2:
            SnapshotFactory(account=account, as_of=AS_OF, health_tier="Healthy", risk_level="High", risk_score=61)
            AlertFactory(account=account, kind="usage_cliff", as_of=AS_OF - dt.timedelta(days=2))
        else:
            SnapshotFactory(account=account, as_of=AS_OF, health_tier="Healthy")
        if number in (4, 8):  # fired for the same playbook 10 days ago: open, then closed and cooling down
            Intervention.objects.create(account=account, playbook=playbook, triggered_on=AS_OF - dt.timedelta(days=10),
                                        triggered_at=MORNING, reason="Earlier", draw=0.9, group=Arm.TREATED,
                                        status=InterventionStatus.OPEN if number == 4 else InterventionStatus.COMPLETED)
        if number == 12:
            account.churned = True
            account.save()
            ChurnEventFactory(account=account, churn_date=AS_OF - dt.timedelta(days=5))


def fired(batch_size: int | None) -> tuple:
    """The day's firing with a fixed draw, rolled back: its report and every intervention and task it wrote."""
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        report = fire_playbooks(as_of=AS_OF, now=NOW, rng=random.Random(3), batch_size=batch_size)
        interventions = sorted(Intervention.objects.filter(triggered_on=AS_OF).values_list(
            "account__name", "playbook__name", "group", "status", "draw", "reason", "health_tier", "risk_score"))
        tasks = sorted(Task.objects.values_list("account__name", "step__title", "assignee", "message", "due_at",
                                                "escalate_at"))
        transaction.set_rollback(True)
    reads = sum('FROM "scoring_snapshot"' in query["sql"] for query in queries.captured_queries)
    return str(report), report.per_playbook, interventions, tasks, reads


def test_playbooks_fired_in_batches_of_a_few_accounts_fire_as_in_one_batch(playbook, csm):
    small_book(playbook, csm)

    *whole, whole_reads = fired(None)
    *batched, batched_reads = fired(3)

    assert batched == whole
    report, per_playbook, interventions, tasks = whole
    assert per_playbook.keys() == {"Rescue", "Usage alert"} and len(interventions) == 17 + 20
    assert "skipped 1 with an open intervention and 1 in cooldown" in report
    assert len(tasks) == 2 * per_playbook["Rescue"] + per_playbook["Usage alert"]
    # Snapshot reads: the day's account ids, then its batches of 40 accounts, then each playbook's batches of
    # candidates (17 and 20).
    assert (whole_reads, batched_reads) == (1 + 1 + 1 + 1, 1 + 14 + 6 + 7)


def test_a_playbook_that_fails_in_a_later_batch_keeps_nothing_of_its_earlier_ones(playbook, csm, monkeypatch):
    from django.db import DataError

    small_book(playbook, csm)
    writes = []

    def failing_third(model, fields, rows, **kwargs):
        writes.append(model)
        if model is Intervention and rows[0][1] == playbook.pk and writes.count(Intervention) == 3:
            raise DataError("value too long")
        return insert_rows(model, fields, rows, **kwargs)

    monkeypatch.setattr(firing, "insert_rows", failing_third)
    report = fire_playbooks(as_of=AS_OF, now=NOW, rng=random.Random(3), batch_size=3)

    assert report.failed == {"Rescue": "value too long"} and writes.count(Intervention) > 3
    assert set(Intervention.objects.filter(triggered_on=AS_OF).values_list("playbook__name", flat=True)) == {
        "Usage alert"}
    assert report.treated == Intervention.objects.filter(triggered_on=AS_OF, group=Arm.TREATED).count() > 0
