"""How the interventions app reads what is typed: the outcome and snooze forms of the pages, the API's
outcome body and the API list's filters, with the lengths of their columns; a refused value is a sentence
naming its field (healthcs.inputs)."""


import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from rest_framework import serializers

from accounts.models import Account, User
from healthcs.inputs import SPOKEN, Date, InputSerializer, MomentField, TextField, WholeNumberField, shown
from interventions.models import (
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
from interventions.selectors import plan_owner_choices
from interventions.services import NOTE_MAX

MAX_ID = 2**63 - 1
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
    intervention = WholeNumberField(min_value=1, max_value=MAX_ID, required=False)
    task = WholeNumberField(min_value=1, max_value=MAX_ID, required=False)

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
        if value.isascii() and value.isdigit() and int(value) <= MAX_ID:
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


class DayField(forms.DateField):
    """A date in the digits 0-9 (the date parser would take other scripts' digits too)."""

    def to_python(self, value):
        if isinstance(value, str) and not value.strip().isascii():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class OwnerField(forms.ModelChoiceField):
    """A user by id in the digits 0-9, among those who may own the account's steps."""

    def to_python(self, value):
        if isinstance(value, str) and not value.strip().isascii():
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class PlanObjectiveForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX, label="objective")

    problem_messages = PLAN_MESSAGES


class PlanStepForm(forms.Form):
    """A step typed on a page: its title, owner (someone who can reach the account) and due date."""

    title = forms.CharField(max_length=TITLE_MAX, label="step")
    owner = OwnerField(queryset=User.objects.none(), required=False)
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
