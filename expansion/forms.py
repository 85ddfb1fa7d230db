"""How the pipeline reads what is typed: the opportunity's fields on the pages (a Django form) and in the
API's bodies (DRF serializers), both from the model's columns (bounds, lengths, choices) with the same
sentences (OPPORTUNITY_MESSAGES), so the services receive typed values either way; the board's filters and
the API list's filters (django-filter). Each refused value is a sentence naming its field
(healthcs.inputs). The pipeline's own rules (a closed opportunity stays closed, won needs an amount, ...)
are the services'."""

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from rest_framework import serializers

from accounts.models import Account, Segment, User
from expansion.models import Opportunity, Stage
from healthcs.errors import shown
from healthcs.inputs import SPOKEN, AmountField, InputSerializer, TextField, WholeNumberField

NOTES_MAX = 10_000  # characters of an opportunity's notes (a text column: the bound is the product's)
MAX_ID = 2**63 - 1  # the largest id a column holds
EMAIL_MAX = User._meta.get_field("email").max_length
STAGES = ", ".join(Stage.values)


def _column(name: str):
    return Opportunity._meta.get_field(name)


OWNER_ID = WholeNumberField(min_value=1, max_value=MAX_ID)
AMOUNT_LIMIT = f"{10 ** (_column('amount').max_digits - _column('amount').decimal_places):,}"
AMOUNT_MESSAGES = {
    "invalid": "'{value}' is not an amount; give the added MRR as a number.",
    "min_value": "The amount (added MRR) must be zero or more.",
    **{code: f"The amount (added MRR) must be less than {AMOUNT_LIMIT}."
       for code in ("max_value", "max_digits", "max_whole_digits", "max_string_length")},
    "max_decimal_places": "Give the amount (added MRR) in cents at most (two decimals).",
    "required": "Give the amount (added MRR) as a number.",
    "null": "Give the amount (added MRR) as a number.",
}
PROBABILITY_MESSAGES = {
    "invalid": "'{value}' is not a whole number from 0 to 100.",
    **{code: "The probability must be from 0 to 100." for code in ("min_value", "max_value", "max_string_length")},
    "required": "Give the probability, a whole number from 0 to 100.",
    "null": "Give the probability, a whole number from 0 to 100.",
}
# The sentences of every field of an opportunity, shared by the form and the serializers.
OPPORTUNITY_MESSAGES = {
    "title": {"required": "Give the opportunity a title.", "blank": "Give the opportunity a title.",
              "null": "Give the opportunity a title.", "invalid": "Give the title as text."},
    "stage": {code: f"'{{value}}' is not a stage; use one of: {STAGES}."
              for code in ("invalid_choice", "invalid", "required", "blank", "null")},
    "amount": AMOUNT_MESSAGES,
    "probability": PROBABILITY_MESSAGES,
    "expected_close": {"invalid": "'{value}' is not a date; use YYYY-MM-DD."},
    "lost_reason": {"max_length": "Say why the opportunity was lost in at most {max_length:,} characters (this "
                                  "reason has {length:,})."},
    **{name: {"invalid": "Give the {label} as text."} for name in ("next_step", "notes")},
}


class OpportunityFields(forms.Form):
    """An opportunity's editable values as typed on a page. Only the fields given are read (and required);
    the others keep their saved values. The owner is a user's id among `owners` (or the opportunity's
    current `owner`), empty for nobody."""

    title = _column("title").formfield()
    stage = forms.ChoiceField(choices=Stage.choices)
    amount = AmountField(max_digits=_column("amount").max_digits, decimal_places=_column("amount").decimal_places,
                         min_value=0, required=False, label="amount")
    probability = WholeNumberField(min_value=0, max_value=100)
    expected_close = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    next_step = _column("next_step").formfield()
    notes = forms.CharField(max_length=NOTES_MAX, required=False)
    lost_reason = _column("lost_reason").formfield()
    owner = forms.CharField(required=False)

    problem_messages = OPPORTUNITY_MESSAGES

    def __init__(self, data: dict, *args, owners: QuerySet[User] | None = None, owner: User | None = None,
                 **kwargs):
        super().__init__(data, *args, **kwargs)
        self.fields = {name: field for name, field in self.fields.items() if name in data}
        self.owners, self.owner = owners, owner

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        return 0 if amount is None else amount

    def clean_owner(self) -> User | None:
        value = self.cleaned_data["owner"]
        if not value:
            return None
        try:
            owner_id = OWNER_ID.clean(value)
        except ValidationError:
            owner_id = None
        if self.owner is not None and owner_id == self.owner.pk:
            return self.owner
        owner = self.owners.filter(pk=owner_id).first() if owner_id and self.owners is not None else None
        if owner is None:
            raise ValidationError("Unknown owner.", code=SPOKEN)
        return owner


# The board's filters and the API list's filters ------------------------------------------------------------

CLOSE_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")


class OwnerField(forms.CharField):
    """A user's id (digits 0-9) or e-mail address."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        if len(value) > EMAIL_MAX:
            raise ValidationError("too long", code="max_length")
        if value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID:
            return int(value)
        if "@" in value and not value.isdigit():
            return value
        raise ValidationError("not an owner", code="invalid")


class MonthField(forms.CharField):
    """A month as YYYY-MM."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        match = CLOSE_MONTH.match(value)
        if not match or not 1 <= int(match[2]) <= 12:
            raise ValidationError("not a month", code="invalid")
        return int(match[1]), int(match[2])


class SegmentField(forms.ChoiceField):
    def to_python(self, value):
        value = super().to_python(value).strip()
        return {v.lower(): v for v in Segment.values}.get(value.lower(), value)


class OwnerFilter(django_filters.Filter):
    field_class = OwnerField


class SegmentFilter(django_filters.Filter):
    field_class = SegmentField


class MonthFilter(django_filters.Filter):
    field_class = MonthField


class BoardFilter(django_filters.FilterSet):
    """The board's filters: owner (a user's id or e-mail), the account's segment, the expected close month."""

    owner = OwnerFilter(method="by_owner")
    segment = SegmentFilter(field_name="account__segment", choices=[(v, v) for v in Segment.values])
    close_month = MonthFilter(method="by_month", label="month")

    problem_messages = {
        "owner": {code: "'{value}' is not an owner; give a user's id or e-mail address."
                  for code in ("invalid", "max_length")},
        "segment": {"invalid_choice": f"'{{value}}' is not a segment; use one of: {', '.join(Segment.values)}."},
        "close_month": {"invalid": "'{value}' is not a month; use YYYY-MM, e.g. 2025-06."},
    }

    class Meta:
        model = Opportunity
        fields: list[str] = []

    def by_owner(self, queryset: QuerySet, name: str, owner: int | str) -> QuerySet:
        if isinstance(owner, int):
            return queryset.filter(owner_id=owner)
        return queryset.filter(owner__email__iexact=owner)

    def by_month(self, queryset: QuerySet, name: str, month: tuple[int, int]) -> QuerySet:
        return queryset.filter(expected_close__year=month[0], expected_close__month=month[1])


class OpportunityListFilter(django_filters.FilterSet):
    """The API list's filters: stage, owner's e-mail, account's external id; each help_text is its parameter's
    documentation in the OpenAPI schema."""

    stage = django_filters.ChoiceFilter(choices=Stage.choices, help_text="Only opportunities in this stage.")
    owner = django_filters.CharFilter(field_name="owner__email", lookup_expr="iexact",
                                      max_length=EMAIL_MAX, label="owner's e-mail",
                                      help_text="The owner's e-mail (case-insensitive).")
    account = django_filters.CharFilter(field_name="account__external_id", max_length=64,
                                        label="account's external id", help_text="The account's external id.")

    problem_messages = {"stage": {"invalid_choice": f"'{{value}}' is not a stage; use one of: {STAGES}."}}

    class Meta:
        model = Opportunity
        fields: list[str] = []


# The API's bodies ---------------------------------------------------------------------------------------------

class _OpportunityInput(InputSerializer):
    """An opportunity's fields as the API sends them; the owner (an e-mail) is read against
    context["owners"], who may own opportunities."""

    owner = TextField(required=False, allow_null=True, allow_blank=True, max_length=EMAIL_MAX,
                      help_text="The owner's e-mail; empty for nobody.")
    notes = TextField(required=False, allow_blank=True, max_length=NOTES_MAX)
    problem_messages = OPPORTUNITY_MESSAGES

    class Meta:
        model = Opportunity
        fields: list[str] = []

    def validate_owner(self, value: str | None) -> User | None:
        if not value:
            return None
        owner = self.context["owners"].filter(email__iexact=value.strip()).first()
        if owner is None:
            raise serializers.ValidationError(f"No user with the e-mail '{shown(value)}' can own opportunities.",
                                              code=SPOKEN)
        return owner


class OpportunityCreateInput(_OpportunityInput):
    """The body of a create: the account's external id (one of context["accounts"]: another CSM's account
    answers as an unknown one, its existence not revealed), a title, and any of the other fields."""

    account = TextField(max_length=64, help_text="The account's external id.")
    unknown_message = "'{name}' cannot be set here; use: {fields}."
    problem_messages = {**OPPORTUNITY_MESSAGES, "account": {"required": "Give the account's external id.",
                                                            "blank": "Give the account's external id."}}

    class Meta(_OpportunityInput.Meta):
        fields = ["account", "title", "amount", "expected_close", "next_step", "notes", "owner", "probability"]
        extra_kwargs = {"probability": {"help_text": "0-100; the stage's default (10) when left out."},
                        "amount": {"help_text": "Added MRR."}}

    def validate_account(self, external_id: str) -> Account:
        account = self.context["accounts"].filter(external_id=external_id).first()
        if account is None:
            raise serializers.ValidationError(f"No account '{external_id}' among yours; give its external id.",
                                              code=SPOKEN)
        return account


class OpportunityPatchInput(_OpportunityInput):
    """The body of a change: at least one of the editable fields, stage included."""

    unknown_message = "'{name}' cannot be changed; use: {fields}."

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError(
                {"detail": f"Send at least one field to change: {', '.join(self.Meta.fields)}."}, code=SPOKEN)
        return attrs

    class Meta(_OpportunityInput.Meta):
        fields = ["title", "stage", "amount", "probability", "expected_close", "owner", "next_step", "notes",
                  "lost_reason"]
        extra_kwargs = {"stage": {"help_text": "Open stages may move to any stage; won and lost are final. Won needs "
                                               "an amount above zero, lost a lost_reason."}}
