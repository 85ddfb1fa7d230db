"""The alert inbox's filters (docs/pages.md#alerts), one django-filter FilterSet: each filter is a query parameter
read by a form field, and a bad value is a clear message about that parameter (the others still apply), never an
error page."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import django_filters
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import Segment, User
from healthcs.inputs import form_problems
from scoring.models import AlertType, Severity
from scoring.selectors import INBOX_STATUSES, inbox_status
from workspace.filters import PagedAccounts, StoredChoiceFilter

# ?age= value -> (newest, oldest) days before today of the alert's scoring day, None for no bound.
AGES = {"today": (0, 0), "7d": (0, 6), "30d": (0, 29), "older": (30, None)}
AGE_LABELS = {"today": "Today", "7d": "Last 7 days", "30d": "Last 30 days", "older": "Older than 30 days"}
ORDERINGS = {  # ?ordering= value -> ORDER BY; default: newest first
    "newest": [F("as_of").desc(), F("created_at").desc()],
    "oldest": [F("as_of").asc(), F("created_at").asc()],
    "severity": [F("severity_rank").asc(), F("as_of").desc()],
    "-severity": [F("severity_rank").desc(), F("as_of").desc()],
    "account": [F("account__name").asc(), F("as_of").desc()],
    "-account": [F("account__name").desc(), F("as_of").desc()],
    "kind": [F("kind").asc(), F("as_of").desc()],
    "-kind": [F("kind").desc(), F("as_of").desc()],
}
DEFAULT_ORDERING = "newest"
DEFAULT_STATUS = "open"
PARAMETERS = ("kind", "severity", "csm", "segment", "age", "status", "ordering")


class PagedAlerts(PagedAccounts):
    """Filtered alerts whose page (a slice) picks its ids in a subquery that reads only the filters' and the
    ordering's columns, then reads those rows whole with their accounts, people and firings: one query, without
    joining and sorting every open alert's wide row for a page of 50."""


def _choices(labels: Mapping[str, str]) -> list[tuple[str, str]]:
    return list(labels.items())


class AlertFilter(django_filters.FilterSet):
    """The inbox's filters over alerts_for_user (alerts with their severity)."""

    kind = django_filters.ChoiceFilter(choices=AlertType.choices, label="alert type")
    severity = django_filters.ChoiceFilter(choices=Severity.choices, label="severity")
    csm = django_filters.CharFilter(field_name="account__csm__email", lookup_expr="iexact",
                                    max_length=User._meta.get_field("email").max_length, label="CSM's e-mail")
    segment = StoredChoiceFilter(field_name="account__segment", choices=[(v, v) for v in Segment.values],
                                 label="segment")
    age = django_filters.ChoiceFilter(method="aged", choices=_choices(AGE_LABELS), label="age")
    status = django_filters.ChoiceFilter(method="in_status", choices=_choices(INBOX_STATUSES), label="status")
    ordering = django_filters.ChoiceFilter(method="order", choices=[(v, v) for v in ORDERINGS], label="ordering")

    problem_messages = {
        "kind": {"invalid_choice": "'{value}' is not an alert type; use one of: {choices}."},
        "severity": {"invalid_choice": "'{value}' is not a severity; use one of: {choices}."},
        "segment": {"invalid_choice": "'{value}' is not a segment; use one of: {choices}."},
        "age": {"invalid_choice": "'{value}' is not an age; use one of: {choices}."},
        "status": {"invalid_choice": "'{value}' is not a status; use one of: {choices}."},
        "ordering": {"invalid_choice": "Unknown ordering '{value}'; use one of: {choices}."},
    }

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def aged(self, alerts: QuerySet, name: str, value: str) -> QuerySet:
        newest, oldest = AGES[value]
        alerts = alerts.filter(as_of__lte=self.today - dt.timedelta(days=newest))
        return alerts if oldest is None else alerts.filter(as_of__gte=self.today - dt.timedelta(days=oldest))

    def in_status(self, alerts: QuerySet, name: str, value: str) -> QuerySet:
        return alerts  # filtered in filter_queryset, so that the default status applies too

    def order(self, alerts: QuerySet, name: str, value: str) -> QuerySet:
        return alerts  # ordered last, in filter_queryset, so that the default order applies too

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        """The filters, then the status (default: open and not snoozed) and the ordering."""
        filtered = super().filter_queryset(queryset)
        status = self.form.cleaned_data.get("status") or DEFAULT_STATUS
        ordering = self.form.cleaned_data.get("ordering") or DEFAULT_ORDERING
        ordered = filtered.filter(inbox_status(status, self.today)).order_by(*ORDERINGS[ordering], "-id")
        ordered.__class__ = PagedAlerts  # order_by made a copy: the caller's queryset keeps its class
        return ordered


@dataclass
class FilteredAlerts:
    alerts: QuerySet  # filtered by every parameter, ordered
    unstatused: QuerySet  # filtered by every parameter but the status: what the status counts count
    problems: dict[str, str]
    status: str
    ordering: str


def filter_alerts(alerts: QuerySet, params: Mapping[str, str], *, today: dt.date | None = None) -> FilteredAlerts:
    """Narrow and order the alerts by the parameters given; empty parameters are ignored, and a bad one is left out
    (the others still apply) with a problem naming it and what it takes."""
    today = today or timezone.localdate()
    found = AlertFilter(params, queryset=alerts, today=today)
    every_status = AlertFilter({**params, "status": "all"}, queryset=alerts, today=today)
    filtered = found.qs
    cleaned = found.form.cleaned_data
    return FilteredAlerts(filtered, every_status.qs.order_by(), form_problems(found.form, found.problem_messages),
                          cleaned.get("status") or DEFAULT_STATUS, cleaned.get("ordering") or DEFAULT_ORDERING)
