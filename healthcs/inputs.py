"""The one way HealthCS reads what people type and integrations send: query parameters through django-filter,
page forms through Django forms, API bodies through DRF serializers, all with the bounds and lengths of the
columns they end in. This module holds what they share: number fields that take the digits 0-9 only (`²`
and `١٢` pass `str.isdigit()`, and `int()` takes the second, but no column or page means them), a text
field for JSON that takes text only, and one way to turn a refused value into a sentence that names the
field, says what is wrong and how to fix it, and quotes the typed value shortened and without control
characters (never a NUL byte, never 100 KB of it)."""

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from rest_framework import serializers

from healthcs.errors import DomainError, shown

# Sentences for an error code of any field; a form or serializer gives its own per field and code.
GENERIC_MESSAGES = {
    "null_characters_not_allowed": "The {label} contains a NUL character (\\0); remove it.",
    "max_length": "The {label} has {length:,} characters; keep it to {max_length:,}.",
    "max_string_length": "The {label} has {length:,} characters; that is far more than it can be.",
    "required": "Give the {label}.",
    "blank": "Give the {label}.",
    "null": "Give the {label}.",
    "invalid_choice": "'{value}' is not a {label}; use one of: {choices}.",
    "invalid": "'{value}' is not a valid {label}.",
    "min_value": "The {label} must be {min_value} or more.",
    "max_value": "The {label} must be {max_value} or less.",
    "max_digits": "'{value}' is too large for the {label}.",
    "max_whole_digits": "'{value}' is too large for the {label}.",
    "max_decimal_places": "Give the {label} with at most {decimal_places} decimals.",
}
SPOKEN = "spoken"  # the code of an error whose message is already the sentence to show


def text_checked(value: str, *, field: str, label: str, limit: int, missing: str | None = None) -> str:
    """A text typed for a service, stripped; DomainError naming the field when it holds a NUL character, is longer
    than limit, or is empty when `missing` (the sentence that asks for it) is given."""
    if "\x00" in value:
        raise DomainError(GENERIC_MESSAGES["null_characters_not_allowed"].format(label=label), field=field)
    if len(value) > limit:
        raise DomainError(GENERIC_MESSAGES["max_length"].format(label=label, length=len(value), max_length=limit),
                          field=field)
    value = value.strip()
    if missing and not value:
        raise DomainError(missing, field=field)
    return value


def _label(name: str, field) -> str:
    label = str(getattr(field, "label", None) or name.replace("_", " "))
    # "Next step" reads "next step" inside a sentence; "CSM" and "ARR" stay as they are.
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def describe(name: str, field, code: str | None, value, messages: Mapping[str, Mapping[str, str]],
             fallback: str = "") -> str:
    """The sentence for a refused value of one field: the field's own message for the error code, else the
    generic one, filled with what is known of the field and the value."""
    template = messages.get(name, {}).get(code or "") or GENERIC_MESSAGES.get(code or "")
    if template is None:
        return fallback or f"The {_label(name, field)} cannot be read."
    choices = getattr(field, "choices", None) or []
    if isinstance(choices, Mapping):
        choices = choices.items()
    text = "" if value is None else str(value)
    return template.format(
        value=shown(value), label=_label(name, field), name=name, length=len(text),
        max_length=getattr(field, "max_length", None) or 0,
        min_value=getattr(field, "min_value", None), max_value=getattr(field, "max_value", None),
        decimal_places=getattr(field, "decimal_places", None),
        choices=", ".join(str(key) for key, _ in choices if key not in ("", None)))


def form_problems(form: forms.Form, messages: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, str]:
    """The first problem of each refused field of a bound form, by field name."""
    messages = messages if messages is not None else getattr(form, "problem_messages", {})
    problems = {}
    for name, errors in form.errors.as_data().items():
        error = errors[0]
        fallback = next(iter(error.messages), "")
        field = form.fields.get(name)
        value = form.data.get(form.add_prefix(name)) if hasattr(form.data, "get") else None
        problems[name] = describe(name, field, error.code, value, messages, fallback)
    return problems


def valid_data(form: forms.Form) -> dict:
    """A page form's typed values; DomainError naming its first refused field otherwise, so a page shows a
    refused value and a broken rule of the services the same way."""
    if not form.is_valid():
        name, message = next(iter(form_problems(form).items()))
        raise DomainError(message, field=name)
    return form.cleaned_data


def joined_problems(by_field: Mapping[str, Iterable[str]]) -> str:
    """Every message of a form's errors or a ValidationError's message_dict, as one text."""
    return " ".join(message for messages in by_field.values() for message in messages)


def serializer_problems(serializer: serializers.Serializer) -> dict[str, str]:
    """The first problem of each refused field of a serializer that did not validate, by field name."""
    messages = getattr(serializer, "problem_messages", {})
    data = serializer.initial_data if hasattr(serializer.initial_data, "get") else {}
    problems = {}
    for name, errors in serializer.errors.items():
        detail = errors[0] if isinstance(errors, list) and errors else errors
        code = getattr(detail, "code", None)
        field = serializer.fields.get(name)
        problems[name] = describe(name, field, code, data.get(name), messages, str(detail))
    return problems


# Django form fields ---------------------------------------------------------------------------------------

class _DigitsOnly:
    """Numbers written with the digits 0-9: anything else is "invalid" before Python's int()/Decimal()
    reads it (they take Arabic-Indic digits, and `²` passes isdigit() but not int())."""

    def to_python(self, value):
        if isinstance(value, str) and not value.strip().isascii():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class WholeNumberField(_DigitsOnly, forms.IntegerField):
    """A whole number in digits 0-9, within min_value/max_value."""


class AmountField(_DigitsOnly, forms.DecimalField):
    """An amount in digits 0-9 that fits its column (max_digits, decimal_places) and its bounds."""


class RecordChoiceField(forms.ModelChoiceField):
    """One of the listed records by its id in digits 0-9: the queryset's lookup would read '١٢' as 12."""

    def to_python(self, value):
        if value not in self.empty_values and not (str(value).strip().isascii() and str(value).strip().isdigit()):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


MAX_TICKED = 500  # rows ticked on a list page in one request (a page shows 50); "all matching the filter" has no cap
MAX_RECORD_ID = 2**63 - 1  # the largest id a bigint primary key holds


class TickedIdsField(forms.Field):
    """The ids of the rows ticked on a list page (one checkbox per row, all named after the field): each in digits
    0-9 and an id a row can have, at most MAX_TICKED of them; `noun` names the rows in the messages."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, noun: str, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.noun = noun

    def to_python(self, value) -> list[int]:
        article = "an" if self.noun[0] in "aeiou" else "a"
        ids = []
        for item in value or []:
            item = str(item).strip()
            if not item:
                continue
            if not (item.isascii() and item.isdigit() and len(item) <= 19 and 0 < int(item) <= MAX_RECORD_ID):
                raise ValidationError(
                    f"'{shown(item)}' is not {article} {self.noun}; tick the {self.noun}s on the page.", code=SPOKEN)
            ids.append(int(item))
        if len(ids) > MAX_TICKED:
            raise ValidationError(
                f"Tick at most {MAX_TICKED} {self.noun}s, or choose all the {self.noun}s matching the filter.",
                code=SPOKEN)
        return ids


class DayField(_DigitsOnly, forms.DateField):
    """A date as YYYY-MM-DD (what the browser's date input sends) in digits 0-9."""

    input_formats = ["%Y-%m-%d"]


class MomentField(forms.CharField):
    """A date and time as the browser's datetime-local sends it (ISO 8601), in the site's time zone."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError("not a date and time", code="invalid") from None
        return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


# DRF serializer fields --------------------------------------------------------------------------------------

class TextField(serializers.CharField):
    """A JSON string and only a string: DRF's CharField would take 42 or 4.2 as text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class WholeNumber(serializers.IntegerField):
    """A JSON integer, or a string of the digits 0-9."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or (isinstance(data, str) and not data.strip().isascii()):
            self.fail("invalid")
        return super().to_internal_value(data)


class Amount(serializers.DecimalField):
    """A JSON number, or a string of the digits 0-9 with a point, that fits its column."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or (isinstance(data, str) and not data.strip().isascii()) \
                or not isinstance(data, str | int | float | Decimal):
            self.fail("invalid")
        return super().to_internal_value(data)


class Date(serializers.DateField):
    """A date as YYYY-MM-DD; an empty string is no date where the field may be empty."""

    def validate_empty_values(self, data):
        if data == "" and self.allow_null:
            return (True, None)
        return super().validate_empty_values(data)


class Moment(serializers.DateTimeField):
    """A date and time in ISO 8601; an empty string is no moment where the field may be empty."""

    def validate_empty_values(self, data):
        if data == "" and self.allow_null:
            return (True, None)
        return super().validate_empty_values(data)


class InputSerializer(serializers.ModelSerializer):
    """An API body read against a model's columns (lengths, digits, bounds and choices come from the
    model), with the number and text fields above, and a refusal of fields it does not know."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: TextField, models.TextField: TextField,
        models.DecimalField: Amount,
        models.IntegerField: WholeNumber, models.PositiveIntegerField: WholeNumber,
        models.PositiveSmallIntegerField: WholeNumber, models.SmallIntegerField: WholeNumber,
        models.BigIntegerField: WholeNumber, models.DateField: Date,
    }
    unknown_message = "'{name}' is not a field here; use: {fields}."
    problem_messages: dict[str, dict[str, str]] = {}

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            raise serializers.ValidationError({"detail": "Send a JSON object of fields."}, code=SPOKEN)
        unknown = [name for name in data if name not in self.fields or self.fields[name].read_only]
        if unknown:
            known = ", ".join(name for name, f in self.fields.items() if not f.read_only)
            raise serializers.ValidationError({name: self.unknown_message.format(name=shown(name), fields=known)
                                               for name in unknown}, code=SPOKEN)
        return super().to_internal_value(data)

    def problems(self) -> dict[str, str]:
        return serializer_problems(self)
