"""Intervention playbooks (docs/interventions.md): what admins configure (playbooks and their ordered steps), what
firing creates (interventions, with their tasks or in the control group), and what CSMs record
(outcomes, permanent; Next Best Action items ticked) and managers are told (notifications of escalated
tasks). Step templates are checked and filled by interventions.messages."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.models import Account
from interventions.messages import TemplateProblem, check_template
from interventions.triggers import trigger_values


class TriggerKind(models.TextChoices):
    TIER = "tier", "Health tier entered"
    RISK_LEVEL = "risk_level", "Risk level"
    ALERT = "alert", "Alert type"
    EXPANSION = "expansion", "Expansion signal"
    PROBABILITY = "probability", "Churn probability band"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    CALL = "call", "Call"
    IN_APP = "in_app", "In-app"
    SLACK = "slack", "Slack"
    TASK = "task", "Task"


class AssigneeRole(models.TextChoices):
    CSM = "csm", "CSM"
    MANAGER = "manager", "Manager"
    EXECUTIVE = "executive", "Executive"


def validate_template(text: str) -> None:
    """A message template fit for a step of any channel (kept for migration 0001; steps are checked with
    their channel by PlaybookStep.clean)."""
    try:
        check_template(text, "task")
    except TemplateProblem as problem:
        raise ValidationError(str(problem)) from None


class Playbook(models.Model):
    """What happens when an account matches a trigger: ordered steps, with a control group."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    trigger_kind = models.CharField(max_length=16, choices=TriggerKind.choices)
    trigger_value = models.CharField(
        max_length=64, help_text="The tier (Critical, High risk, At risk, …), risk level (High, Medium, Low), "
                                 "alert type (e.g. failed_payment), expansion signal or churn probability band "
                                 "(High, Medium, Low: the active churn model's) the playbook answers.")
    priority = models.PositiveSmallIntegerField(default=100, help_text="Lower comes first in queues.")
    cooldown_days = models.PositiveIntegerField(
        default=30, help_text="No new intervention of this playbook for the account within this many days "
                              "of the last one.")
    control_share = models.DecimalField(
        max_digits=4, decimal_places=3, default=0,
        validators=[MinValueValidator(0), MaxValueValidator(0.9)],
        help_text="Share of triggered accounts drawn at random into the control group (no intervention), "
                  "0 to 0.9; e.g. 0.1 for 10%.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_error = models.TextField(blank=True, help_text="Why the playbook's last firing failed (the other playbooks "
                                                        "fired); cleared when it fires again.")
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["priority", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(control_share__gte=0, control_share__lte=0.9),
                                   name="playbook_control_share_0_09"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        allowed = trigger_values(self.trigger_kind)
        if self.trigger_kind and self.trigger_value not in allowed:
            kind = self.get_trigger_kind_display().lower()
            raise ValidationError({"trigger_value": f"'{self.trigger_value}' is not a valid {kind}; use one of: "
                                                    f"{', '.join(allowed)}."})


class PlaybookStep(models.Model):
    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(default=1)
    title = models.CharField(max_length=200)
    due_offset_hours = models.PositiveIntegerField(
        help_text="Due this many hours after the trigger (1 = within an hour, 72 = day 3).")
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.TASK)
    assignee_role = models.CharField(max_length=16, choices=AssigneeRole.choices, default=AssigneeRole.CSM)
    template = models.TextField(
        blank=True, help_text="The message, with placeholders such as {account}, {contact}, {reasons}, {actions}. "
                              "E-mail and in-app steps go to the customer: there {reasons} and {actions} are "
                              "written for the customer, and the team's figures ({health}, {risk}, …) are "
                              "not available.")
    escalate_after_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text="If not done this many hours after the trigger, the manager is told and an "
                                         "escalation step added. Empty: never escalates.")

    class Meta:
        ordering = ["playbook", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["playbook", "order"], name="one_step_per_order")]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"

    def clean(self) -> None:
        try:
            check_template(self.template, self.channel)
        except TemplateProblem as problem:
            raise ValidationError({"template": str(problem)}) from None


class Arm(models.TextChoices):
    """The arm of the comparison a firing falls in: treated (its tasks are created) or control (recorded only)."""

    TREATED = "treated", "Treated"
    CONTROL = "control", "Control"


class InterventionStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"
    CONTROL = "control", "Control group"


class Intervention(models.Model):
    """One firing of a playbook for an account, with the account's state at the trigger and the
    recorded random draw that put it in the treated or the control group."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="interventions")
    playbook = models.ForeignKey(Playbook, on_delete=models.PROTECT, related_name="interventions")
    triggered_on = models.DateField(help_text="The scoring date that matched the trigger.")
    triggered_at = models.DateTimeField()
    reason = models.CharField(max_length=300)
    csm = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+", help_text="The account's CSM when it fired.")
    health_tier = models.CharField(max_length=16, blank=True)
    health_score = models.FloatField(null=True, blank=True)
    risk_level = models.CharField(max_length=8, blank=True)
    risk_score = models.PositiveSmallIntegerField(null=True, blank=True)
    arr = models.DecimalField("ARR", max_digits=14, decimal_places=2, default=0)
    draw = models.FloatField(help_text="The uniform random draw in [0, 1); below the control share: control.")
    group = models.CharField(max_length=8, choices=Arm.choices)
    status = models.CharField(max_length=16, choices=InterventionStatus.choices)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-triggered_at", "-id"]
        constraints = [
            # Re-running a day's firing, or two runs at once, add nothing.
            models.UniqueConstraint(fields=["account", "playbook", "triggered_on"], name="one_firing_per_day"),
            models.UniqueConstraint(fields=["account", "playbook"], condition=Q(status="open"),
                                    name="one_open_intervention_per_playbook"),
        ]
        indexes = [models.Index(fields=["playbook", "triggered_on"], name="intervention_playbook_day")]

    def __str__(self) -> str:
        return f"{self.playbook} for {self.account} ({self.triggered_on})"


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class Task(models.Model):
    """A step of an intervention for someone to do, or the escalation step added when one is late."""

    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="tasks")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tasks")
    step = models.ForeignKey(PlaybookStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    order = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    assignee_role = models.CharField(max_length=16, choices=AssigneeRole.choices)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="tasks")
    message = models.TextField(blank=True, help_text="The step's template filled for the account when it fired.")
    due_at = models.DateTimeField()
    escalate_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    snoozed_until = models.DateTimeField(null=True, blank=True)
    snooze_reason = models.CharField(max_length=300, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_of = models.OneToOneField("self", null=True, blank=True, on_delete=models.CASCADE,
                                         related_name="escalation")

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["intervention", "order"], condition=Q(escalation_of__isnull=True),
                                    name="one_task_per_step"),
        ]
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="task_queue"),
            models.Index(fields=["status", "escalate_at"], name="task_escalation",
                         condition=Q(status="open", escalated_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_escalation(self) -> bool:
        return self.escalation_of_id is not None


class OutcomeKind(models.TextChoices):
    CONTACTED = "contacted", "Contacted"
    MEETING = "meeting_scheduled", "Meeting scheduled"
    RESOLVED = "issue_resolved", "Issue resolved"
    RENEWED = "renewed", "Renewed"
    DOWNGRADED = "downgraded", "Downgraded"
    CANCELLED = "cancelled", "Cancelled"
    NO_RESPONSE = "no_response", "No response"


class Outcome(models.Model):
    """What came of the work, logged on an account (and its intervention): a permanent record."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="outcomes")
    intervention = models.ForeignKey(Intervention, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="outcomes")
    kind = models.CharField(max_length=20, choices=OutcomeKind.choices)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"], name="outcome_account_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.account}"


class Notification(models.Model):
    """Something a user is told in the app (and by e-mail): an escalated task."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "task"], name="one_notification_per_task")]

    def __str__(self) -> str:
        return self.message


class NextBestActionCheck(models.Model):
    """An action of an account's Next Best Action checklist ticked (or unticked again) by someone: the
    latest state per account and action, with who changed it and when."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="action_checks")
    action = models.TextField(help_text="The action's text, as the scoring configuration words it.")
    done = models.BooleanField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "action"], name="one_check_per_account_action")]

    def __str__(self) -> str:
        return f"{self.action} ({'done' if self.done else 'not done'}) on {self.account}"


# Success plans ------------------------------------------------------------------------------------------

class SuccessPlan(models.Model):
    """An account's success plan (one per account): objectives, each with steps that have an owner, a due
    date and a status; made from the fired reasons of the latest score or by hand (interventions.plans)."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="success_plan")
    title = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.title} ({self.account})"


class PlanObjective(models.Model):
    """What the plan sets out to achieve, in order; from a fired reason (its rule's id kept) or typed."""

    plan = models.ForeignKey(SuccessPlan, on_delete=models.CASCADE, related_name="objectives")
    title = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField()
    reason_key = models.CharField(max_length=64, blank=True,
                                  help_text="The id of the risk rule whose reason the objective answers; empty "
                                            "when added by hand.")

    class Meta:
        ordering = ["plan", "order", "id"]

    def __str__(self) -> str:
        return self.title


class StepStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    BLOCKED = "blocked", "Blocked"
    DONE = "done", "Done"


class PlanStep(models.Model):
    """One thing to do towards an objective: who (someone who can reach the account), by when, how far."""

    objective = models.ForeignKey(PlanObjective, on_delete=models.CASCADE, related_name="steps")
    # The objective's account, kept on the step so that queues and the team view scope and count steps in
    # one query without joining through the plan.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="plan_steps")
    title = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="plan_steps")
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=StepStatus.choices, default=StepStatus.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")

    class Meta:
        ordering = ["objective", "order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status="done", done_at__isnull=False) | ~Q(status="done"),
                                   name="plan_step_done_has_time"),
        ]
        # My queue: an owner's steps not done, soonest first.
        indexes = [models.Index(fields=["owner", "due_on"], condition=~Q(status="done"), name="plan_step_queue")]

    def __str__(self) -> str:
        return self.title
