"""A book where every optional field is empty somewhere, for the null-data page sweep
(tests/test_null_data_sweep.py): each account lacks one thing (its CSM, segment, renewal date,
contacts or subscriptions), one has churned, one was never scored, one has nothing but its name, and
a normal one of each CSM has everything. It is scored, alerted, fired and worked through the real
services, so the pages see what a recompute and a day's work leave behind."""

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from rest_framework.authtoken.models import Token

from accounts import models as m
from accounts.audit import audit_record
from expansion.models import AdvancedFeature, ExpansionSignal, Opportunity, PlanLimit
from expansion.services import opportunity_create, opportunity_update
from interventions.firing import fire_playbooks
from interventions.models import Intervention, Notification, Playbook, PlaybookStep, Task
from interventions.plans import objective_add, plan_create_from_reasons, step_add
from interventions.services import next_best_action_set, outcome_log
from scoring.alerts import alert_resolve, alerts_acknowledge, alerts_snooze
from scoring.configs import config_draft_create
from scoring.models import Alert, AlertSeverity, Competitor
from scoring.outreach import next_best_actions
from scoring.selectors import latest_snapshot
from scoring.services import recompute_run_create, recompute_scores
from tests.factories import (
    AccountFactory,
    ChurnEventFactory,
    ContactFactory,
    InvoiceFactory,
    SubscriptionFactory,
    SupportTicketFactory,
    SurveyResponseFactory,
    TouchpointFactory,
    UsageRecordFactory,
    UserFactory,
)
from workspace.digests import daily_digests_send, weekly_summaries_send
from workspace.models import ReviewDocument
from workspace.saved_views import role_default_set, saved_view_create, saved_view_pin

# casey's accounts, each lacking one thing (A-NOCSM lacks casey); robin's A-FOREIGN is out of casey's reach.
CSM_ACCOUNTS = ("A-NORMAL", "A-NOSEGMENT", "A-NORENEWAL", "A-NOCONTACTS", "A-NOSUBS", "A-CHURNED", "A-NEVER")
UNASSIGNED_ACCOUNTS = ("A-NOCSM", "A-BARE")
ACCOUNTS = (*CSM_ACCOUNTS, *UNASSIGNED_ACCOUNTS, "A-FOREIGN")


@dataclass
class Book:
    as_of: dt.date
    users: dict[str, m.User]
    accounts: dict[str, m.Account]
    ids: dict[str, int | str] = field(default_factory=dict)  # what the addresses need: task, alert, contact...


def _customer(account: m.Account, as_of: dt.date, *, contacts: bool = True, subscriptions: bool = True) -> None:
    """A year of a customer: a subscription with usage that fell off, tickets (one with cancellation
    words), a champion who left, a detractor's survey, a failed invoice, an e-mail."""
    if subscriptions:
        subscription = SubscriptionFactory(account=account, start_date=as_of - dt.timedelta(days=300))
        for days_ago, count in ((55, 40), (45, 40), (40, 35), (20, 5), (10, 2)):
            UsageRecordFactory(subscription=subscription, date=as_of - dt.timedelta(days=days_ago), usage_count=count,
                               error_count=3)
    at = timezone.make_aware(dt.datetime.combine(as_of - dt.timedelta(days=5), dt.time(10)))
    SupportTicketFactory(account=account, submitted_at=at, subject="Thinking about cancelling",
                         body="We are evaluating a competitor and may cancel at renewal.", priority=m.Priority.HIGH)
    SupportTicketFactory(account=account, submitted_at=at - dt.timedelta(days=2), subject="", body="")
    contact = None
    if contacts:
        contact = ContactFactory(account=account, role=m.ContactRole.CHAMPION, is_active=False,
                                 left_date=as_of - dt.timedelta(days=3))
        ContactFactory(account=account, title="", role=m.ContactRole.USER)
    SurveyResponseFactory(account=account, responded_at=at, nps_score=3, comment="", contact=contact)
    InvoiceFactory(account=account, due_date=as_of - dt.timedelta(days=4), status=m.InvoiceStatus.FAILED)
    TouchpointFactory(account=account, occurred_at=at, subject="", text="", contact=contact, direction="")


def _churn_models(as_of: dt.date, account: m.Account) -> None:
    """A rejected churn model without figures, an active one never run on a day (no drift), and one prediction
    whose reasons include a feature without data."""
    from scoring.models import ChurnModel, ChurnPrediction

    ChurnModel.objects.create(version=1, status="rejected", trigger="schedule", trained_from=as_of, trained_to=as_of,
                              reason="Not enough history.")
    active = ChurnModel.objects.create(
        version=2, status="active", trigger="web", trained_from=as_of - dt.timedelta(days=300),
        trained_to=as_of - dt.timedelta(days=90), rows=1000, churners=80, band_high=0.3, band_medium=0.1,
        validation={"auc_model": 0.8, "auc_rules": 0.6, "brier": 0.07, "top_band_precision": 0.4,
                    "top_band_recall": 0.5, "validation_rows": 300, "validation_churners": 25},
        reason="It beats the rules.")
    ChurnPrediction.objects.create(account=account, as_of=as_of, model=active, probability=0.23, band="Medium",
                                   contributions=[{"feature": "satisfaction_30", "label": "Mean ticket satisfaction",
                                                   "value": None, "contribution": 0.3},
                                                  {"feature": "segment", "label": "Segment", "value": "SMB",
                                                   "contribution": -0.1}])


def build_book() -> Book:
    """Create, score and work the book as of today (inside the caller's transaction)."""
    as_of = timezone.localdate()
    users = {
        "manager": UserFactory(username="morgan", email="morgan@example.org", role="Manager"),
        "csm": UserFactory(username="casey", email="casey@example.org", role="CSM"),
        "other_csm": UserFactory(username="robin", email="robin@example.org", role="CSM", first_name="",
                                 last_name=""),
        "admin": UserFactory(username="ada", email="ada@example.org", role="Admin", is_superuser=True),
    }
    casey, robin = users["csm"], users["other_csm"]
    # A CRM's webhook wanting every event: the book's own work (alerts, firing, outcomes, stages) records deliveries
    # (never sent: the book's transaction is rolled back), and the delivery log's admin has rows to show.
    m.WebhookEndpoint.objects.create(name="CRM", url="https://crm.example.org/hooks", secret="s" * 32,
                                     events=list(m.WebhookEvent.values))
    renewal = as_of + dt.timedelta(days=45)
    accounts = {
        "A-NORMAL": AccountFactory(external_id="A-NORMAL", csm=casey, renewal_date=renewal, ehr_system="Epic"),
        "A-NOCSM": AccountFactory(external_id="A-NOCSM", csm=None, renewal_date=renewal),
        "A-NOSEGMENT": AccountFactory(external_id="A-NOSEGMENT", csm=casey, segment="", renewal_date=renewal),
        "A-NORENEWAL": AccountFactory(external_id="A-NORENEWAL", csm=casey, renewal_date=None),
        "A-NOCONTACTS": AccountFactory(external_id="A-NOCONTACTS", csm=casey, renewal_date=renewal),
        "A-NOSUBS": AccountFactory(external_id="A-NOSUBS", csm=casey, renewal_date=renewal, plan_tier="", seats=0),
        "A-CHURNED": AccountFactory(external_id="A-CHURNED", csm=casey, churned=True),
        "A-BARE": AccountFactory(external_id="A-BARE", name="Bare", csm=None, industry="", country="",
                                 signup_date=None, plan_tier="", seats=0, segment=""),
        "A-FOREIGN": AccountFactory(external_id="A-FOREIGN", csm=robin, renewal_date=renewal),
    }
    for name in ("A-NORMAL", "A-NOCSM", "A-NOSEGMENT", "A-NORENEWAL", "A-CHURNED", "A-FOREIGN"):
        _customer(accounts[name], as_of)
    _customer(accounts["A-NOCONTACTS"], as_of, contacts=False)
    _customer(accounts["A-NOSUBS"], as_of, subscriptions=False)
    ChurnEventFactory(account=accounts["A-CHURNED"], churn_date=as_of - dt.timedelta(days=20), reason_code="",
                      feedback_text="")

    # A playbook on failed payments with no control group, so that every account with a failed invoice
    # gets tasks: for its CSM (none for A-NOCSM) and for a manager.
    playbook = Playbook.objects.create(name="Failed payment", trigger_kind="alert", trigger_value="failed_payment",
                                       control_share=Decimal("0"), priority=1)
    PlaybookStep.objects.create(playbook=playbook, order=1, title="Call about the invoice", due_offset_hours=1,
                                channel="call", template="Call {contact} at {account}: {reasons}.")
    PlaybookStep.objects.create(playbook=playbook, order=2, title="Manager review", due_offset_hours=2,
                                channel="task", assignee_role="manager", template="")
    recompute_scores(as_of=as_of - dt.timedelta(days=1))
    recompute_scores(as_of=as_of)
    fire_playbooks(as_of=as_of, rng=random.Random(13))
    accounts["A-NEVER"] = AccountFactory(external_id="A-NEVER", csm=casey)  # after the last recompute

    task = Task.objects.filter(account=accounts["A-NORMAL"], assignee=casey).order_by("order").first()
    unassigned_task = Task.objects.filter(account=accounts["A-NOCSM"]).order_by("order").first()
    foreign_task = Task.objects.filter(account=accounts["A-FOREIGN"]).order_by("order").first()
    intervention = task.intervention
    outcome_log(account=accounts["A-NORMAL"], user=casey, kind="contacted", note="", intervention=intervention)
    outcome_log(account=accounts["A-NOCSM"], user=users["manager"], kind="no_response")
    checklist = [step.action for step in next_best_actions(latest_snapshot(accounts["A-NORMAL"]))]
    next_best_action_set(account=accounts["A-NORMAL"], user=casey, action=checklist[0], done=True, allowed=checklist)
    # Plans: one from reasons with an objective without steps; one of an account without a CSM, by a manager, with
    # a step owned by nobody and due never; another CSM's.
    plan = plan_create_from_reasons(account=accounts["A-NORMAL"], user=casey)
    empty_objective = objective_add(account=accounts["A-NORMAL"], user=casey, title="Nothing planned yet")
    nocsm_objective = objective_add(account=accounts["A-NOCSM"], user=users["manager"], title="Find a CSM")
    nocsm_step = step_add(objective=nocsm_objective, user=users["manager"], title="Ask the team")
    foreign_objective = objective_add(account=accounts["A-FOREIGN"], user=robin, title="Renewal")
    foreign_step = step_add(objective=foreign_objective, user=robin, title="Call the sponsor", owner=robin)
    Notification.objects.create(user=casey, account=accounts["A-NORMAL"], task=task, message="Escalated: call")
    Notification.objects.create(user=users["manager"], account=accounts["A-NOCSM"], task=None, message="Escalated")

    alerts = Alert.objects.order_by("pk")
    resolved = alerts.filter(account=accounts["A-NORENEWAL"]).first()
    alert_resolve(alert=resolved, user=casey)
    # Acknowledged and snoozed by nobody (the user since deleted), and a severity an admin changed.
    alerts_acknowledge(alerts=alerts.filter(account=accounts["A-FOREIGN"], status="open"), user=None)
    silent, _ = Alert.objects.get_or_create(account=accounts["A-NORMAL"], kind="silent_account", status="open",
                                            defaults={"as_of": as_of, "message": "Quiet for 60+ days"})
    alerts_snooze(alerts=Alert.objects.filter(pk=silent.pk), user=None, until=timezone.localdate() + dt.timedelta(7))
    AlertSeverity.objects.update_or_create(kind="failed_payment", defaults={"severity": "critical"})

    blank = opportunity_create(account=accounts["A-NOCSM"], user=None, title="Unowned idea")
    owned = opportunity_create(account=accounts["A-NORMAL"], user=casey, title="Add seats", amount=Decimal("1200"),
                               owner=casey, expected_close=as_of + dt.timedelta(days=30), next_step="Call")
    opportunity_update(opportunity=opportunity_create(account=accounts["A-NORMAL"], user=casey, title="Lost one"),
                       user=casey, changes={"stage": "lost", "lost_reason": "No budget"})
    opportunity_update(opportunity=opportunity_create(account=accounts["A-CHURNED"], user=None, title="Won one",
                                                          amount=Decimal("500")),
                       user=None, changes={"stage": "won"})
    foreign_opportunity = opportunity_create(account=accounts["A-FOREIGN"], user=robin, title="Harbor upsell")
    signals = {name: ExpansionSignal.objects.create(account=accounts[name], kind="promoter", first_detected_on=as_of,
                                                    last_detected_on=as_of, evidence={}, summary="")
               for name in ("A-NORMAL", "A-NOCSM", "A-FOREIGN")}

    import_runs = {
        "failed": m.ImportRun.objects.create(source="accounts.csv", status=m.ImportStatus.FAILED, created_by=None,
                                             errors=[{"file": "accounts.csv", "row": 2, "message": "bad"}]),
        "queued": m.ImportRun.objects.create(source="upload", status=m.ImportStatus.QUEUED,
                                             created_by=users["manager"]),
    }
    running = recompute_run_create(as_of=as_of, trigger="web", user=None)  # a run no batch has finished yet
    audit_record(user=None, action="viewed", obj=accounts["A-NOCSM"])
    Token.objects.create(user=users["manager"])
    every = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.DAYS)
    PeriodicTask.objects.create(name="sweep", task="scoring.tasks.recompute_all", interval=every)
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    CrontabSchedule.objects.create(minute="0", hour="6")
    SolarSchedule.objects.create(event="sunrise", latitude=Decimal("48.1"), longitude=Decimal("11.6"))
    _axes_rows()
    # Installed by migrations, gone after a transactional test's flush: the admin sweep needs one of each.
    PlanLimit.objects.get_or_create(plan_tier="Pro", defaults={"monthly_uses_per_seat": 100})
    AdvancedFeature.objects.get_or_create(name="api")
    Competitor.objects.get_or_create(name="CareLoop")
    _churn_models(as_of, accounts["A-NORMAL"])
    # A rule with no conditions and nobody in its team, and a history row with nobody on either side.
    m.AssignmentRule.objects.create(name="Nobody's rule")
    m.AccountAssignment.objects.create(account=accounts["A-NOCSM"])
    # A draft configuration without name, notes or author: the admin sweep opens it in the editor's form.
    config_draft_create(user=None)
    # Contacts to edit and mark as left, and a champion change recorded by nobody known.
    contacts = {(c.account.external_id, c.is_active): c.external_id
                for c in m.Contact.objects.select_related("account")}
    left = m.Contact.objects.get(external_id=contacts["A-NORMAL", False])
    m.ChampionChange.objects.create(account=accounts["A-NORMAL"], contact=left, kind=m.ChampionChangeKind.LEFT,
                                    effective=as_of)

    # Saved views: casey's private one (pinned), robin's private one, morgan's shared one and the CSM default.
    own_view = saved_view_create(owner=casey, name="My high risk", query="risk_level=High")
    saved_view_pin(view=own_view, user=casey)
    foreign_view = saved_view_create(owner=robin, name="Robin's", query="segment=SMB")
    shared_view = saved_view_create(owner=users["manager"], name="Renewals", query="renewal_within=90", shared=True)
    default_view = saved_view_create(owner=users["manager"], name="By name", query="ordering=name", shared=True)
    role_default_set(role="CSM", view=default_view, by=users["manager"])
    # The day's digests and the week's summary, sent: a delivery of each for the admin sweep.
    daily_digests_send(day=as_of, site_url="")
    weekly_summaries_send(day=as_of, site_url="")
    # A stored business review (of the account with nothing but its name) for the admin sweep: a PDF of no pages.
    review = ReviewDocument.objects.create(account=accounts["A-BARE"], period="2026-Q1", pdf=b"%PDF-1.4", size=8,
                                           generated_at=timezone.now())

    ids = {
        "own_view": own_view.pk, "foreign_view": foreign_view.pk, "shared_view": shared_view.pk,
        "default_view": default_view.pk,
        "task": task.pk, "unassigned_task": unassigned_task.pk, "foreign_task": foreign_task.pk,
        "intervention": intervention.pk,
        "foreign_intervention": Intervention.objects.filter(account=accounts["A-FOREIGN"]).first().pk,
        "alert": alerts.filter(account=accounts["A-NORMAL"], status="open").first().pk,
        "unassigned_alert": alerts.filter(account=accounts["A-NOCSM"], status="open").first().pk,
        "foreign_alert": alerts.filter(account=accounts["A-FOREIGN"], status="open").first().pk,
        "opportunity": owned.pk, "unowned_opportunity": blank.pk, "foreign_opportunity": foreign_opportunity.pk,
        "signal": signals["A-NORMAL"].pk, "unassigned_signal": signals["A-NOCSM"].pk,
        "foreign_signal": signals["A-FOREIGN"].pk,
        "import_failed": import_runs["failed"].pk, "import_queued": import_runs["queued"].pk,
        "run_running": running.pk, "playbook": playbook.pk, "csm_user": casey.pk,
        "contact": contacts["A-NORMAL", True], "left_contact": contacts["A-NORMAL", False],
        "unassigned_contact": contacts["A-NOCSM", True], "foreign_contact": contacts["A-FOREIGN", True],
        "plan_objective": empty_objective.pk, "plan_step": plan.objectives.first().steps.first().pk,
        "nocsm_objective": nocsm_objective.pk, "nocsm_step": nocsm_step.pk,
        "foreign_objective": foreign_objective.pk, "foreign_step": foreign_step.pk, "review": review.pk,
    }
    assert Opportunity.objects.filter(owner__isnull=True).exists() and Group.objects.filter(name="CSM").exists()
    return Book(as_of=as_of, users=users, accounts=accounts, ids=ids)


def _axes_rows() -> None:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    common = {"user_agent": "", "ip_address": "127.0.0.1", "username": "nobody", "http_accept": "",
              "path_info": "/login/"}
    AccessAttempt.objects.create(**common, get_data="", post_data="", failures_since_start=1)
    AccessLog.objects.create(**common)
    AccessFailureLog.objects.create(**common)
