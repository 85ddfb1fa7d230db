"""How the interventions app reads what is typed: the outcome and snooze forms of the pages, the API's
outcome body and the API list's filters, the Tasks page's filters and bulk actions, with the lengths of their
columns; a refused value is a sentence naming its field (healthcs.inputs)."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from rest_framework import serializers

from accounts.models import Account, User
from healthcs.inputs import (
    MAX_RECORD_ID,
    SPOKEN,
    Date,
    DayField,
    InputSerializer,
    MomentField,
    RecordChoiceField,
    TextField,
    TickedIdsField,
    WholeNumberField,
    form_problems,
    shown,
)
from interventions.models import (
    Channel,
    Intervention,
    InterventionStatus,
    Outcome,
    OutcomeKind,
    PlanStep,
    Playbook,
    StepStatus,
    SuccessPlan,
    Task,
)
from interventions.plans import TITLE_MAX
from interventions.selectors import UPCOMING_DAYS, plan_owner_choices
from interventions.services import NOTE_MAX

OUTCOMES = ", ".join(OutcomeKind.values)
OUTCOME_MESSAGES = {
    "kind": {code: f"'{{value}}' is not an outcome; use one of: {OUTCOMES}."
             for code in ("invalid_choice", "required", "blank", "null")},
    "note": {"max_length": f"Keep the note under {NOTE_MAX} characters (it has {{length:,}})."},
}


class OutcomeForm(forms.Form):
    """An outcome logged on a page: its kind and note, and the intervention and task it was logged from."""

    kind = forms.ChoiceField(choices=OutcomeKind.choices, label="outcome")
    note = forms.CharField(max_length=NOTE_MAX, required=False)
    intervention = WholeNumberField(min_value=1, max_value=MAX_RECORD_ID, required=False)
    task = WholeNumberField(min_value=1, max_value=MAX_RECORD_ID, required=False)

    problem_messages = OUTCOME_MESSAGES


class SnoozeForm(forms.Form):
    until = MomentField(label="date and time")
    reason = forms.CharField(max_length=Task._meta.get_field("snooze_reason").max_length)

    problem_messages = {
        "until": {code: "Give a date and time, e.g. 2025-04-02 09:00." for code in ("invalid", "required")},
        "reason": {"required": "Say why the task waits (the manager sees it).",
                   "max_length": "Say why the task waits in at most {max_length:,} characters (this reason has "
                                 "{length:,})."},
    }


class OutcomeInput(InputSerializer):
    """The API's outcome: {"kind": "contacted", "note": "..."}."""

    problem_messages = OUTCOME_MESSAGES

    class Meta:
        model = Outcome
        fields = ["kind", "note"]
        extra_kwargs = {"note": {"max_length": NOTE_MAX, "required": False, "allow_blank": True}}


class PlaybookFilter(django_filters.CharFilter):
    """A playbook by its id (digits 0-9) or its exact name."""

    def filter(self, queryset: QuerySet, value: str) -> QuerySet:
        if not value:
            return queryset
        if value.isascii() and value.isdigit() and int(value) <= MAX_RECORD_ID:
            return queryset.filter(playbook_id=int(value))
        return queryset.filter(playbook__name=value)


class InterventionFilter(django_filters.FilterSet):
    """The API list's filters; each help_text is its parameter's documentation in the OpenAPI schema."""

    status = django_filters.ChoiceFilter(choices=InterventionStatus.choices,
                                         help_text="open, completed or control (the control group's records).")
    csm = django_filters.CharFilter(field_name="account__csm__email", lookup_expr="iexact", max_length=254,
                                    label="CSM's e-mail", help_text="The account's CSM, by e-mail (case-insensitive).")
    playbook = PlaybookFilter(max_length=Playbook._meta.get_field("name").max_length,
                              help_text="The playbook's id or exact name.")

    problem_messages = {"status": {"invalid_choice": "'{value}' is not a status; use one of: "
                                                    f"{', '.join(InterventionStatus.values)}."}}

    class Meta:
        model = Intervention
        fields: list[str] = []


# Success plans: the pages' forms and the API's body -----------------------------------------------------------

STATUSES = ", ".join(StepStatus.values)
PLAN_MESSAGES = {
    "title": {code: "Give the title." for code in ("required", "blank", "null")}
    | {"max_length": f"The title has {{length:,}} characters; keep it to {TITLE_MAX}."},
    "owner": {"invalid_choice": "That person cannot own steps of this account; choose its CSM or a manager."},
    "due_on": {code: "Give the due date as a date, e.g. 2026-12-31." for code in ("invalid", "datetime")},
    "status": {code: f"'{{value}}' is not a status; use one of: {STATUSES}."
               for code in ("invalid_choice", "required", "blank", "null")},
}


class PlanObjectiveForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX, label="objective")

    problem_messages = PLAN_MESSAGES


class PlanStepForm(forms.Form):
    """A step typed on a page: its title, owner (someone who can reach the account) and due date."""

    title = forms.CharField(max_length=TITLE_MAX, label="step")
    owner = RecordChoiceField(queryset=User.objects.none(), required=False)
    due_on = DayField(required=False, label="due date")

    problem_messages = PLAN_MESSAGES

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = plan_owner_choices(account)


class PlanStepStatusForm(forms.Form):
    status = forms.ChoiceField(choices=StepStatus.choices)

    problem_messages = PLAN_MESSAGES


class StepInput(InputSerializer):
    """A step of the API's plan: {"title": "...", "owner": "casey@example.org", "due_on": "2026-12-31",
    "status": "open"}; only the title is required."""

    owner = TextField(required=False, allow_null=True, allow_blank=True, max_length=254,
                      help_text="The e-mail of the account's CSM or of a manager; empty: nobody yet.")
    due_on = Date(required=False, allow_null=True)
    problem_messages = PLAN_MESSAGES

    class Meta:
        model = PlanStep
        fields = ["title", "owner", "due_on", "status"]
        extra_kwargs = {"status": {"required": False}}

    def validate_owner(self, email: str | None) -> User | None:
        if not email:
            return None
        owner = plan_owner_choices(self.context["account"]).filter(email__iexact=email).first()
        if owner is None:
            raise serializers.ValidationError(f"'{shown(email)}' cannot own steps of this account; give the e-mail "
                                              "of its CSM or of a manager.", code=SPOKEN)
        return owner


class ObjectiveInput(serializers.Serializer):
    title = TextField(max_length=TITLE_MAX)
    steps = StepInput(many=True, required=False, max_length=50)


class PlanInput(InputSerializer):
    """The API's new plan: {"from_reasons": true} makes it from the fired reasons of the latest score; else
    {"title": "...", "objectives": [{"title": "...", "steps": [...]}]} by hand."""

    from_reasons = serializers.BooleanField(required=False, default=False,
                                            help_text="Make the plan from the fired reasons of the latest score.")
    objectives = ObjectiveInput(many=True, required=False, max_length=20,
                                help_text="The objectives by hand, each with its steps (not with from_reasons).")
    problem_messages = PLAN_MESSAGES

    class Meta:
        model = SuccessPlan
        fields = ["from_reasons", "title", "objectives"]
        extra_kwargs = {"title": {"required": False, "allow_blank": True}}

    def validate(self, data: dict) -> dict:
        if data.get("from_reasons") and data.get("objectives"):
            raise serializers.ValidationError({"objectives": "Send either from_reasons or objectives, not both."},
                                              code=SPOKEN)
        if not data.get("from_reasons") and not data.get("objectives"):
            raise serializers.ValidationError({"objectives": "Send {\"from_reasons\": true} to plan from the fired "
                                                             "reasons, or the objectives with their steps."},
                                              code=SPOKEN)
        return data
# The Tasks page ------------------------------------------------------------------------------------------

DUE_CHOICES = [("overdue", "Overdue"), ("today", "Due later today"),
               ("week", f"Due in the next {UPCOMING_DAYS} days"), ("later", "Due later")]
_PRIORITY = F("intervention__playbook__priority")
TASK_ORDERINGS = {  # ?ordering= value -> ORDER BY; default: due (the oldest first), then priority (docs/pages.md)
    "due": ["due_at", _PRIORITY.asc(), "id"],
    "-due": ["-due_at", _PRIORITY.asc(), "-id"],
    "account": ["account__name", "due_at", "id"],
    "-account": ["-account__name", "due_at", "id"],
    "playbook": ["intervention__playbook__name", "due_at", "id"],
    "-playbook": ["-intervention__playbook__name", "due_at", "id"],
    "priority": [_PRIORITY.asc(), "due_at", "id"],
    "-priority": [_PRIORITY.desc(), "due_at", "id"],
}
TASK_ORDERING_LABELS = [("due", "Due (oldest first)"), ("-due", "Due (latest first)"), ("account", "Account (A-Z)"),
                        ("-account", "Account (Z-A)"), ("playbook", "Playbook (A-Z)"), ("-playbook", "Playbook (Z-A)"),
                        ("priority", "Priority (most urgent first)"), ("-priority", "Priority (least urgent first)")]
TASK_SEARCH_MAX = 200  # characters of ?account=


class TaskFilter(django_filters.FilterSet):
    """The Tasks page's filters over open tasks; the playbook, priority and assignee choices are the ones that
    exist (given by the page, read once)."""

    due = django_filters.ChoiceFilter(choices=DUE_CHOICES, method="due_when", label="due")
    account = django_filters.CharFilter(method="account_named", max_length=TASK_SEARCH_MAX, label="account")
    playbook = django_filters.ChoiceFilter(field_name="intervention__playbook_id", label="playbook")
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label="channel")
    priority = django_filters.ChoiceFilter(field_name="intervention__playbook__priority", label="priority")
    assignee = django_filters.ChoiceFilter(method="assigned_to", label="assignee")
    ordering = django_filters.ChoiceFilter(method="order", choices=[(k, k) for k in TASK_ORDERINGS], empty_label=None)

    problem_messages = {
        "account": {"max_length": f"Search for at most {TASK_SEARCH_MAX} characters of an account's name or id."},
        "ordering": {"invalid_choice": "Unknown ordering '{value}'; use one of: {choices}."},
        "due": {"invalid_choice": "'{value}' is not a due filter; use one of: {choices}."},
        "playbook": {"invalid_choice": "'{value}' is not one of the playbooks; choose one from the list (by its id)."},
        "priority": {"invalid_choice": "No playbook has the priority '{value}'; choose one from the list."},
        "channel": {"invalid_choice": "'{value}' is not a channel; use one of: {choices}."},
        "assignee": {"invalid_choice": "'{value}' is not one of the people listed; give me, unassigned or their id."},
    }

    class Meta:
        model = Task
        fields: list[str] = []

    def __init__(self, *args, user: User, now: dt.datetime, playbooks: list[Playbook], assignees: list[User],
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.now = user, now
        self.form.fields["playbook"].choices = [(str(p.pk), p.name) for p in playbooks]
        self.form.fields["priority"].choices = [(str(n), str(n)) for n in sorted({p.priority for p in playbooks})]
        self.form.fields["assignee"].choices = [("me", "me"), ("unassigned", "unassigned")] + [
            (str(u.pk), u.get_full_name() or u.username) for u in assignees]

    def due_when(self, tasks: QuerySet, name: str, value: str) -> QuerySet:
        end_of_day = timezone.localtime(self.now).replace(hour=23, minute=59, second=59, microsecond=999999)
        week = end_of_day + dt.timedelta(days=UPCOMING_DAYS)
        return tasks.filter({"overdue": Q(due_at__lt=self.now),
                             "today": Q(due_at__gte=self.now, due_at__lte=end_of_day),
                             "week": Q(due_at__gt=end_of_day, due_at__lte=week),
                             "later": Q(due_at__gt=week)}[value])

    def account_named(self, tasks: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return tasks.filter(Q(account__name__icontains=value) | Q(account__external_id__icontains=value))

    def assigned_to(self, tasks: QuerySet, name: str, value: str) -> QuerySet:
        if value == "unassigned":
            return tasks.filter(assignee__isnull=True)
        return tasks.filter(assignee_id=self.user.pk if value == "me" else int(value))

    def order(self, tasks: QuerySet, name: str, value: str) -> QuerySet:
        return tasks  # ordered last, in filter_queryset, so that the default order applies too

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        ordering = self.form.cleaned_data.get("ordering") or "due"
        return super().filter_queryset(queryset).order_by(*TASK_ORDERINGS[ordering])

    def problems(self) -> dict[str, str]:
        return form_problems(self.form, self.problem_messages) if self.is_bound else {}


@dataclass
class FilteredTasks:
    tasks: QuerySet[Task]
    problems: dict[str, str]


def filter_tasks(tasks: QuerySet[Task], params: Mapping[str, str], *, user: User, now: dt.datetime,
                 playbooks: list[Playbook], assignees: list[User]) -> FilteredTasks:
    """Narrow and order open tasks by the Tasks page's parameters; an empty one is ignored, and a bad one is left
    out (the others still apply) with a problem naming it and what it takes."""
    found = TaskFilter(params, queryset=tasks, user=user, now=now, playbooks=playbooks, assignees=assignees)
    return FilteredTasks(found.qs, found.problems())


class AssigneeChoiceField(RecordChoiceField):
    """A person of the list, by their name."""

    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


BULK_ACTIONS = [("done", "Mark done"), ("snooze", "Snooze"), ("reassign", "Reassign")]


class TaskBulkForm(forms.Form):
    """A bulk action on the Tasks page: what (done, snooze, reassign), on which tasks (the ticked ones or all
    matching the filter), and the snooze's time and reason or the new assignee."""

    action = forms.ChoiceField(choices=BULK_ACTIONS)
    scope = forms.ChoiceField(choices=[("checked", "the ticked tasks"), ("matching", "all matching the filter")],
                              initial="checked")
    task = TickedIdsField(noun="task")
    until = MomentField(required=False, label="date and time")
    reason = forms.CharField(required=False, max_length=Task._meta.get_field("snooze_reason").max_length)
    assignee = AssigneeChoiceField(queryset=User.objects.none(), required=False)

    problem_messages = {
        "action": {code: "Choose what to do: mark done, snooze or reassign."
                   for code in ("required", "invalid_choice")},
        "scope": {code: "Choose the ticked tasks or all the tasks matching the filter."
                  for code in ("required", "invalid_choice")},
        "until": {"invalid": "Give a date and time, e.g. 2025-04-02 09:00."},
        "reason": SnoozeForm.problem_messages["reason"],
        "assignee": {"invalid_choice": "Choose one of the people listed to hand the tasks to."},
    }

    def __init__(self, *args, assignees: QuerySet[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action == "snooze" and "until" not in self.errors and not cleaned.get("until"):
            self.add_error("until", ValidationError("Give the date and time to snooze the tasks until.", code=SPOKEN))
        if action == "snooze" and "reason" not in self.errors and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", ValidationError("Say why the tasks wait (the manager sees it).", code=SPOKEN))
        if action == "reassign" and "assignee" not in self.errors and not cleaned.get("assignee"):
            self.add_error("assignee", ValidationError("Choose whom to hand the tasks to.", code=SPOKEN))
        return cleaned
