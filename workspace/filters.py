"""The account filters of the at-risk list (docs/pages.md), one django-filter FilterSet for the page, its CSV
export and the API: each filter is a query parameter read by a form field with its bounds and length, and
a bad value is a clear message about that parameter (the others still apply), never an error page."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Upper
from django.utils import timezone

from accounts.models import Account, Segment, User
from expansion.models import ExpansionSignal
from healthcs.inputs import AmountField, WholeNumberField, form_problems
from scoring.config import TIER_NAMES
from scoring.levels import RISK_LEVELS, SEVERE_TIERS, Level
from scoring.models import Snapshot

# Parameters whose column holds one of a fixed set of values (scoring and the import write them exactly so):
# a value is matched to that set here and compared as it is stored. The database's statistics cover a
# column but not UPPER() of it, and a guess of 0.5% of rows for "segment is SMB" (over half the book)
# turned the filtered list into 11,000 index look-ups.
STORED_VALUES = {
    "risk_level": {v.lower(): v for v in RISK_LEVELS},
    "health_tier": {v.lower(): v for v in TIER_NAMES},
    "segment": {v.lower(): v for v in Segment.values},
}
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")
ORDERINGS = {  # ?ordering= value -> ORDER BY; default: risk, then ARR, both descending (docs/pages.md)
    "risk": [F("risk_score").desc(nulls_last=True), F("arr").desc(nulls_last=True)],
    "-risk": [F("risk_score").asc(nulls_last=True), F("arr").asc(nulls_last=True)],
    "health": [F("health_score").asc(nulls_last=True)],
    "-health": [F("health_score").desc(nulls_last=True)],
    "arr": [F("arr").desc(nulls_last=True)],
    "-arr": [F("arr").asc(nulls_last=True)],
    "name": ["name"],
    "-name": ["-name"],
    "renewal": [F("renewal_date").asc(nulls_last=True)],
    "-renewal": [F("renewal_date").desc(nulls_last=True)],
}
# The orderings led by a snapshot column, read in two parts: the accounts with a value (risk_score and arr are NOT
# NULL in a snapshot; health_score is empty when no measure had data) in the order of an index of the day's scores,
# without the NULLS LAST that only the others need, then the others.
SCORED_FIRST = {
    "risk": [F("risk_score").desc(), F("arr").desc()],
    "-risk": [F("risk_score").asc(), F("arr").asc()],
    "health": [F("health_score").asc()],  # a scored account without data has no health score: it follows
    "-health": [F("health_score").desc()],
}
DEFAULT_ORDERING = "risk"
MAX_RENEWAL_DAYS = 3650
MAX_SEARCH = 200  # characters of ?q=
# The account list's parameters (the page, its export, its saved views), in the order a saved view writes them.
LIST_FILTERS = ("q", "risk_level", "health_tier", "plan_tier", "segment", "csm", "ehr_system", "min_arr",
                "renewal_within", "churned", "expansion_ready", "ordering")


class PagedAccounts(QuerySet):
    """Filtered accounts whose slices (the list's and the API's pages) read only the page's rows whole.

    Ordering all accounts with every column of their latest snapshot made PostgreSQL read and sort
    20,000 wide rows for a page of 50 (the deeper the page, the more it kept). A slice instead picks
    the page's ids in a subquery that needs only the ordering's and the filters' columns (an index of
    the latest scores covers them, see scoring migration 0004), then reads those rows in the same
    order: one query, and the same rows as a plain slice. In an order led by a score (SCORED_FIRST) the ids
    are read first, in one or two queries of their own (_page_ids_scored_first)."""

    def __getitem__(self, k):
        if not isinstance(k, slice) or k.step is not None or self._fields is not None \
                or self._result_cache is not None or self.query.is_sliced:
            return super().__getitem__(k)
        scored_first = next((name for name in SCORED_FIRST
                             if tuple(self.query.order_by) == (*ORDERINGS[name], "external_id")), None)
        if scored_first and k.start is not None and k.stop is not None:
            return self.filter(pk__in=self._page_ids_scored_first(scored_first, k.start, k.stop))
        return self.filter(pk__in=self.values("pk")[k])

    def _page_ids_scored_first(self, name: str, start: int, stop: int) -> list[int]:
        """The ids of rows start..stop of an ordering led by a score (the accounts with that score on the latest
        day, then those without: NULLS LAST). The first part is read through an inner join in the order of an
        index of the day's scores (scoring migrations 0013 and 0014), so a page of the riskiest accounts reads
        about a page of index entries instead of joining and sorting the whole book; the others follow in the
        list's order."""
        column = SCORED_FIRST[name][0].expression.name
        scored = self.filter(**{f"{column}__isnull": False}).order_by(*SCORED_FIRST[name], "external_id")
        ids = list(QuerySet.__getitem__(scored.values_list("pk", flat=True), slice(start, stop)))
        if len(ids) == stop - start:
            return ids
        scored_count = start + len(ids) if ids else scored.count()
        unscored = self.filter(**{f"{column}__isnull": True}).values_list("pk", flat=True)
        first = max(0, start - scored_count)
        return ids + list(QuerySet.__getitem__(unscored, slice(first, first + stop - start - len(ids))))


def expansion_ready() -> Q:
    """Expansion ready: a live account with an open expansion signal, not at High risk nor in the High
    risk or Critical tier on the latest scoring day (needs the with_latest_scores annotations)."""
    signal = Exists(ExpansionSignal.objects.filter(account=OuterRef("pk"), status="open"))
    not_high = Q(risk_level__isnull=True) | ~Q(risk_level=Level.HIGH)
    tier_ok = Q(health_tier__isnull=True) | ~Q(health_tier__in=SEVERE_TIERS)
    return Q(signal, churned=False) & not_high & tier_ok


class StoredChoiceField(forms.ChoiceField):
    """One of a fixed set of stored values, in any case; cleaned to the value as stored."""

    def to_python(self, value):
        value = super().to_python(value).strip()
        return {key.lower(): key for key, _ in self.choices}.get(value.lower(), value)


class YesNoField(forms.Field):
    """true, 1 or yes / false, 0 or no, in any case; empty for neither given."""

    def to_python(self, value):
        value = (value or "").strip().lower()
        if not value:
            return None
        if value not in TRUE + FALSE:
            raise ValidationError("not yes or no", code="invalid")
        return value in TRUE


# Each filter below derives from the django-filter class of its value's type so that the OpenAPI schema types
# its parameter (text, boolean, number); its own form field does the reading.

class StoredChoiceFilter(django_filters.CharFilter):
    field_class = StoredChoiceField


class YesNoFilter(django_filters.BooleanFilter):
    field_class = YesNoField


class AmountFilter(django_filters.NumberFilter):
    field_class = AmountField

    def get_max_validator(self):
        return None  # the field's max_digits bounds it, with its own message


class WholeNumberFilter(django_filters.Filter):
    field_class = WholeNumberField  # typed in the schema by its method's `value: int`


def _choices(values) -> list[tuple[str, str]]:
    return [(value, value) for value in values]


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _only_this(what: str) -> str:
    return f"Only accounts with this {what}; case-insensitive."


class AccountFilter(django_filters.FilterSet):
    """The list's filters over accounts annotated with their latest scores (with_latest_scores)."""

    # The help texts are the API's documentation of each parameter (OpenAPI schema, docs/api.md); the labels
    # name the parameter in the sentence of a refused value.
    q = django_filters.CharFilter(method="search", max_length=MAX_SEARCH, label="search",
                                  help_text="Part of the account's name or id.")
    risk_level = StoredChoiceFilter(field_name="risk_level", choices=_choices(RISK_LEVELS), label="risk level",
                                    help_text=_only_this("risk level"))
    health_tier = StoredChoiceFilter(field_name="health_tier", choices=_choices(TIER_NAMES), label="health tier",
                                     help_text=_only_this("health tier"))
    segment = StoredChoiceFilter(field_name="segment", choices=_choices(Segment.values), label="segment",
                                 help_text=_only_this("segment"))
    plan_tier = django_filters.CharFilter(lookup_expr="iexact", max_length=_max_length(Account, "plan_tier"),
                                          label="plan tier", help_text=_only_this("plan tier"))
    csm = django_filters.CharFilter(field_name="csm__email", lookup_expr="iexact",
                                    max_length=_max_length(User, "email"), label="CSM's e-mail",
                                    help_text=_only_this("CSM (their e-mail)"))
    ehr_system = django_filters.CharFilter(lookup_expr="iexact", max_length=_max_length(Account, "ehr_system"),
                                           label="EHR system", help_text=_only_this("EHR system"))
    min_arr = AmountFilter(field_name="arr", lookup_expr="gte", min_value=0,
                           max_digits=Snapshot._meta.get_field("arr").max_digits, decimal_places=None,
                           label="minimum ARR", help_text="Only accounts with at least this ARR.")
    renewal_within = WholeNumberFilter(method="renewing_within", min_value=0, max_value=MAX_RENEWAL_DAYS,
                                       label="days", help_text="Only accounts renewing within this many days "
                                                               f"from today (0-{MAX_RENEWAL_DAYS}).")
    churned = YesNoFilter(field_name="churned", help_text="Only churned (true) or live (false) accounts.")
    expansion_ready = YesNoFilter(method="ready_for_expansion", label="expansion ready",
                                  help_text="Only accounts with an open expansion signal and not at High risk or "
                                            "worse (true), or only the others (false).")
    ordering = django_filters.ChoiceFilter(
        method="order", choices=_choices(ORDERINGS), empty_label=None,
        help_text="risk (default: highest risk first, then largest ARR), health (lowest first), arr (largest "
                  "first), name, renewal (soonest first); a leading '-' reverses.")

    problem_messages = {
        "min_arr": {code: "'{value}' is not an amount; give the minimum ARR as a number, 0 or more."
                    for code in ("invalid", "min_value")}
        | {code: "'{value}' is more than any ARR; give a minimum ARR of at most 12 digits."
           for code in ("max_digits", "max_whole_digits")},
        "renewal_within": {code: "'{value}' is not a number of days; give a whole number from 0 to "
                                 f"{MAX_RENEWAL_DAYS}." for code in ("invalid", "min_value", "max_value")},
        "churned": {"invalid": "'{value}' is not yes or no; give true or false."},
        "expansion_ready": {"invalid": "'{value}' is not yes or no; give true or false."},
        "ordering": {"invalid_choice": "Unknown ordering '{value}'; use one of: {choices}."},
        "q": {"max_length": f"Search for at most {MAX_SEARCH} characters of a name or id."},
    }

    class Meta:
        model = Account
        fields: list[str] = []

    def __init__(self, *args, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    # The methods' `value` type hints type their parameters in the OpenAPI schema.
    def search(self, accounts: QuerySet, name: str, value: str) -> QuerySet:
        return accounts.filter(search_key__contains=Upper(Value(value)))  # the name's or the id's, in any case

    def renewing_within(self, accounts: QuerySet, name: str, value: int) -> QuerySet:
        start = self.today or timezone.localdate()
        return accounts.filter(renewal_date__gte=start, renewal_date__lte=start + dt.timedelta(days=value))

    def ready_for_expansion(self, accounts: QuerySet, name: str, value: bool) -> QuerySet:
        return accounts.filter(expansion_ready()) if value else accounts.exclude(expansion_ready())

    def order(self, accounts: QuerySet, name: str, value: str) -> QuerySet:
        return accounts  # ordered last, in filter_queryset, so that the default order applies too

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        filtered = super().filter_queryset(queryset)
        ordering = self.form.cleaned_data.get("ordering") or DEFAULT_ORDERING
        ordered = filtered.order_by(*ORDERINGS[ordering], "external_id")
        if type(ordered) is QuerySet:  # order_by made a copy: the caller's queryset keeps its class
            ordered.__class__ = PagedAccounts
        return ordered

    def problems(self) -> dict[str, str]:
        return form_problems(self.form, self.problem_messages) if self.is_bound else {}


@dataclass
class Filtered:
    accounts: QuerySet
    problems: dict[str, str]


def list_params(query: Mapping[str, str]) -> dict[str, str]:
    """The list's parameters of a query (a request's GET, a saved view's query), each one empty when not given."""
    return {name: query.get(name, "") for name in LIST_FILTERS}


def filter_accounts(accounts: QuerySet, params: Mapping[str, str], *, today: dt.date | None = None) -> Filtered:
    """Narrow and order accounts annotated with their latest scores (`arr`, `risk_score`, `risk_level`,
    `health_score`, `health_tier`) by the parameters given; empty parameters are ignored, and a bad one
    is left out (the others still apply) with a problem naming it and what it takes."""
    found = AccountFilter(params, queryset=accounts, today=today)
    return Filtered(found.qs, found.problems())
