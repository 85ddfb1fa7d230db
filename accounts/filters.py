"""The account filters of the at-risk list (SPEC §5), one definition for the page, its CSV export and
the API: each filter is a query parameter with its own check, and a bad value is a clear message
about that parameter, never an error page."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Segment
from scoring.config import RISK_LEVELS, TIER_NAMES

TEXT_FILTERS = {  # parameter -> lookup (case-insensitive equality)
    "risk_level": "risk_level__iexact", "health_tier": "health_tier__iexact", "plan_tier": "plan_tier__iexact",
    "segment": "segment__iexact", "csm": "csm__email__iexact", "ehr_system": "ehr_system__iexact",
}
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


class PagedAccounts(QuerySet):
    """Filtered accounts whose slices (the list's and the API's pages) read only the page's rows whole.

    Ordering all accounts with every column of their latest snapshot made PostgreSQL read and sort
    20,000 wide rows for a page of 50 (the deeper the page, the more it kept). A slice instead picks
    the page's ids in a subquery that needs only the ordering's and the filters' columns (an index of
    the latest scores covers them, see scoring migration 0004), then reads those rows in the same
    order: one query still, and the same rows as a plain slice."""

    def __getitem__(self, k):
        if not isinstance(k, slice) or k.step is not None or self._fields is not None \
                or self._result_cache is not None or self.query.is_sliced:
            return super().__getitem__(k)
        return self.filter(pk__in=self.values("pk")[k])


def expansion_ready() -> Q:
    """Expansion ready: a live account with an open expansion signal, not at High risk nor in the High
    risk or Critical tier on the latest scoring day (needs the with_latest_scores annotations)."""
    from expansion.models import ExpansionSignal

    signal = Exists(ExpansionSignal.objects.filter(account=OuterRef("pk"), status="open"))
    not_high = Q(risk_level__isnull=True) | ~Q(risk_level="High")
    tier_ok = Q(health_tier__isnull=True) | ~Q(health_tier__in=("High risk", "Critical"))
    return Q(signal, churned=False) & not_high & tier_ok


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
            if stored := STORED_VALUES.get(name, {}).get(value.lower()):
                accounts = accounts.filter(**{lookup.removesuffix("__iexact"): stored})
            else:
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
    if value := params.get("expansion_ready", "").strip().lower():
        if value in TRUE + FALSE:
            ready = expansion_ready()
            accounts = accounts.filter(ready) if value in TRUE else accounts.exclude(ready)
        else:
            problems["expansion_ready"] = f"'{value}' is not yes or no; give true or false."
    ordering = params.get("ordering", "").strip() or DEFAULT_ORDERING
    if ordering not in ORDERINGS:
        problems["ordering"] = f"Unknown ordering '{ordering}'; use one of: {', '.join(ORDERINGS)}."
        ordering = DEFAULT_ORDERING
    ordered = accounts.order_by(*ORDERINGS[ordering], "external_id")
    if type(ordered) is QuerySet:  # order_by made a copy: the caller's queryset keeps its class
        ordered.__class__ = PagedAccounts
    return Filtered(ordered, problems)
