"""How the interventions app reads what is typed: the outcome and snooze forms of the pages, the API's
outcome body and the API list's filters, with the lengths of their columns; a refused value is a sentence
naming its field (healthcs.inputs)."""


import django_filters
from django import forms
from django.db.models import QuerySet

from healthcs.inputs import InputSerializer, MomentField, WholeNumberField
from interventions.models import Intervention, InterventionStatus, Outcome, OutcomeKind, Playbook, Task
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
