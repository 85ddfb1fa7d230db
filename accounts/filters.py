"""The account filters of the at-risk list (SPEC §5), one definition for the page, its CSV export and
the API: each filter is a query parameter with its own check, and a bad value is a clear message
about that parameter, never an error page."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import F, FilteredRelation, Q, QuerySet
from django.utils import timezone

TEXT_FILTERS = {  # parameter -> lookup (case-insensitive equality)
    "risk_level": "risk_level__iexact", "health_tier": "health_tier__iexact", "plan_tier": "plan_tier__iexact",
    "segment": "segment__iexact", "csm": "csm__email__iexact", "ehr_system": "ehr_system__iexact",
}
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")
ORDERINGS = {  # ?ordering= value -> ORDER BY; default: risk, then ARR, both descending (SPEC §5)
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
DEFAULT_ORDERING = "risk"
MAX_RENEWAL_DAYS = 3650


SNAPSHOT_COLUMNS = ("as_of", "health_score", "health_tier", "risk_score", "risk_level", "arr", "usage_30d",
                    "usage_prev30d", "usage_drop_pct", "errors_30d", "tickets_30d", "churn_intent_30d", "top_reasons",
                    "recommended_actions")


def with_latest_scores(accounts: QuerySet) -> QuerySet:
    """The accounts with the latest scoring day's snapshot values as annotations (one join, no query
    per row); accounts that day did not score have them empty."""
    from scoring.services import latest_as_of

    return accounts.annotate(
        snap=FilteredRelation("snapshots", condition=Q(snapshots__as_of=latest_as_of())),
        **{column: F(f"snap__{column}") for column in SNAPSHOT_COLUMNS},
    )


@dataclass
class Filtered:
    accounts: QuerySet
    problems: dict[str, str]


def filter_accounts(accounts: QuerySet, params: Mapping[str, str], *, today: dt.date | None = None) -> Filtered:
    """Narrow and order accounts annotated with their latest scores (`arr`, `risk_score`, `risk_level`,
    `health_score`, `health_tier`) by the parameters given; empty parameters are ignored, and a bad one
    is left out (the others still apply) with a problem naming it and what it takes."""
    problems: dict[str, str] = {}
    for name, lookup in TEXT_FILTERS.items():
        if value := params.get(name, "").strip():
            accounts = accounts.filter(**{lookup: value})
    if query := params.get("q", "").strip():
        accounts = accounts.filter(Q(name__icontains=query) | Q(external_id__icontains=query))
    if value := params.get("min_arr", "").strip():
        try:
            minimum = Decimal(value)
            if not minimum.is_finite() or minimum < 0:
                raise InvalidOperation
            accounts = accounts.filter(arr__gte=minimum)
        except InvalidOperation:
            problems["min_arr"] = f"'{value}' is not an amount; give the minimum ARR as a number, 0 or more."
    if value := params.get("renewal_within", "").strip():
        if value.isdigit() and int(value) <= MAX_RENEWAL_DAYS:
            start = today or timezone.localdate()
            accounts = accounts.filter(renewal_date__gte=start, renewal_date__lte=start + dt.timedelta(int(value)))
        else:
            problems["renewal_within"] = (f"'{value}' is not a number of days; give a whole number from 0 to "
                                          f"{MAX_RENEWAL_DAYS}.")
    if value := params.get("churned", "").strip().lower():
        if value in TRUE + FALSE:
            accounts = accounts.filter(churned=value in TRUE)
        else:
            problems["churned"] = f"'{value}' is not yes or no; give true or false."
    ordering = params.get("ordering", "").strip() or DEFAULT_ORDERING
    if ordering not in ORDERINGS:
        problems["ordering"] = f"Unknown ordering '{ordering}'; use one of: {', '.join(ORDERINGS)}."
        ordering = DEFAULT_ORDERING
    return Filtered(accounts.order_by(*ORDERINGS[ordering], "external_id"), problems)
