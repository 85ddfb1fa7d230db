"""Reads everything the scoring engine needs, as of a date, as whole-table aggregates in DataFrames.

Each function runs one aggregate query (GROUP BY in the database, never a query per account) for
the accounts of one batch (a primary-key range, or all accounts) and returns a DataFrame. The same
queries run on PostgreSQL and SQLite; `BookData` bundles them for `scoring.calculations`.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import (
    Account,
    Contact,
    Invoice,
    Subscription,
    SupportTicket,
    SurveyResponse,
    Touchpoint,
    UsageRecord,
)

# How far back the measures look, in days before as_of (the rules use 30 and 60, SPEC §2a).
USAGE_DAYS = 60
EVENT_DAYS = 90
SURVEY_DAYS = 180
INVOICE_DAYS = 180
CASE_STUDY_DAYS = 365
INTEGRATION_FEATURE_HINTS = ("ehr", "integration", "sync", "api", "interface", "hl7", "fhir")


@dataclass(frozen=True)
class Window:
    """The dates and instants one scoring run uses (SPEC §2: both ends of "last 30 days" included)."""

    as_of: dt.date

    def day(self, days_before: int) -> dt.date:
        return self.as_of - dt.timedelta(days=days_before)

    def instant(self, days_before: int) -> dt.datetime:
        """The first instant of the day `days_before` days before as_of (negative: after)."""
        day = self.as_of - dt.timedelta(days=days_before)
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    @property
    def end(self) -> dt.datetime:
        """The first instant after as_of: every event before it counts."""
        return self.instant(-1)


@dataclass(frozen=True)
class AccountRange:
    """The accounts of one batch: primary keys from `first` to `last`, both included; None = all."""

    first: int | None = None
    last: int | None = None

    def q(self, path: str = "id") -> Q:
        if self.first is None:
            return Q()
        return Q(**{f"{path}__gte": self.first, f"{path}__lte": self.last})


def frame(queryset: QuerySet, columns: list[str]) -> pd.DataFrame:
    """The rows of a values_list() queryset as a DataFrame, fetched by one cursor (no model instances)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return pd.DataFrame.from_records(rows, columns=columns, coerce_float=True)


def accounts(batch: AccountRange) -> pd.DataFrame:
    qs = Account.objects.filter(batch.q()).order_by().values_list(
        "id", "external_id", "name", "plan_tier", "segment", "seats", "onboarding_completed_pct",
        "renewal_date", "csm_id", "churned", "is_trial",
    )
    df = frame(qs, ["account_id", "external_id", "name", "plan_tier", "segment", "seats", "onboarding_pct",
                    "renewal_date", "csm_id", "churned", "is_trial"])
    df["onboarding_pct"] = pd.to_numeric(df["onboarding_pct"], errors="coerce").astype("float64")
    df["churned"] = df["churned"].astype(bool)
    return df.set_index("account_id", drop=False).rename_axis(None)


def subscriptions(batch: AccountRange, window: Window) -> pd.DataFrame:
    qs = Subscription.objects.filter(batch.q("account_id")).order_by().values_list(
        "id", "external_id", "account_id", "start_date", "end_date", "plan_tier", "seats", "mrr", "arr",
        "is_trial", "upgrade_flag", "downgrade_flag", "churn_flag",
    )
    df = frame(qs, ["subscription_id", "sub_external_id", "account_id", "start_date", "end_date", "sub_plan_tier",
                    "sub_seats", "mrr", "arr", "is_trial", "upgrade_flag", "downgrade_flag", "churn_flag"])
    for column in ("mrr", "arr"):
        df[column] = pd.to_numeric(df[column]).astype("float64")
    for column in ("is_trial", "upgrade_flag", "downgrade_flag", "churn_flag"):
        df[column] = df[column].astype(bool)
    day = pd.Timestamp(window.as_of)
    start, end = pd.to_datetime(df["start_date"]), pd.to_datetime(df["end_date"])
    df["active"] = (start <= day) & (end.isna() | (end >= day))
    return df


def _usage_sql(vendor: str, batched: bool) -> str:
    """One pass over the usage rows of the window, grouped by subscription and feature."""
    if vendor == "postgresql":
        mask = "BIT_OR(CAST(1 AS bigint) << (CAST(%s AS date) - u.date))"
    else:  # SQLite has no BIT_OR: a sum of distinct powers of two is the same bit set
        mask = "SUM(DISTINCT 1 << CAST(julianday(%s) - julianday(u.date) AS INTEGER))"
    if not batched:
        join, where = "", ""
    elif vendor == "postgresql":  # the batch's subscriptions by id: an index scan, not a whole-table scan
        join, where = "", "AND u.subscription_id = ANY(%s)"
    else:
        join = f"JOIN {Subscription._meta.db_table} s ON s.id = u.subscription_id"
        where = "AND s.account_id >= %s AND s.account_id <= %s"
    return f"""
        SELECT u.subscription_id, u.feature_name,
               SUM(CASE WHEN u.date >= %s THEN u.usage_count ELSE 0 END),
               SUM(CASE WHEN u.date < %s THEN u.usage_count ELSE 0 END),
               SUM(CASE WHEN u.date >= %s THEN u.error_count ELSE 0 END),
               MAX(u.date),
               {mask},
               SUM(CASE WHEN u.date > %s THEN u.usage_count ELSE 0 END),
               SUM(CASE WHEN u.date > %s AND u.date <= %s THEN u.usage_count ELSE 0 END),
               SUM(CASE WHEN u.date > %s AND u.date <= %s THEN u.usage_count ELSE 0 END)
        FROM {UsageRecord._meta.db_table} u {join}
        WHERE u.date >= %s AND u.date <= %s {where}
        GROUP BY u.subscription_id, u.feature_name
    """


def _bits(mask: np.ndarray, first: int, count: int) -> np.ndarray:
    """The `count` day flags from bit `first` on (bit i: used on as_of - i days), one row per mask."""
    return ((mask[:, None] >> np.arange(first, first + count, dtype=np.int64)) & 1).astype(np.uint8)


def usage(batch: AccountRange, window: Window, *, quiet_days: int, cliff_days: int,
          subscriptions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every usage measure from one pass over the window's usage rows (no per-day rows leave the
    database: the days a feature was used travel as a 61-bit set).

    Returns (by_feature, by_account). by_feature, per subscription and feature: usage and errors in
    the last and prior 30 days, the last day used, and the days used in the 30 days before the
    core-feature quiet window [as_of - quiet_days, as_of]. by_account, over the last 30 days: active
    days, and the usage of the days the cliff alert compares (the last n days, the n before, the same
    n days a week earlier)."""
    n, vendor = cliff_days, connection.vendor
    as_of = window.as_of if vendor == "postgresql" else window.as_of.isoformat()

    def day(days_before: int):
        d = window.day(days_before)
        return d if vendor == "postgresql" else d.isoformat()

    params = [day(30), day(30), day(30), as_of, day(n), day(2 * n), day(n), day(7 + n), day(7),
              day(USAGE_DAYS), as_of]
    if batch.first is not None:
        if vendor == "postgresql":
            params.append([int(i) for i in subscriptions["subscription_id"]])
        else:
            params += [batch.first, batch.last]
    with connection.cursor() as cursor:
        cursor.execute(_usage_sql(vendor, batch.first is not None), params)
        rows = cursor.fetchall()
    columns = ["subscription_id", "feature", "usage_30", "usage_prev", "errors_30", "last_used", "mask", "last_n",
               "before_n", "week_before_n"]
    by_feature = pd.DataFrame.from_records(rows, columns=columns)
    for column in ("usage_30", "usage_prev", "errors_30", "mask", "last_n", "before_n", "week_before_n"):
        by_feature[column] = by_feature[column].fillna(0).astype("int64")
    by_feature["last_used"] = pd.to_datetime(by_feature["last_used"])
    mask = by_feature["mask"].to_numpy()
    by_feature["days_before_quiet"] = _bits(mask, quiet_days + 1, 30).sum(axis=1).astype("int64")

    by_feature["account_id"] = by_feature["subscription_id"].map(
        subscriptions.set_index("subscription_id")["account_id"])
    account_of = by_feature["account_id"].to_numpy()
    days = pd.DataFrame(_bits(mask, 0, 31)).groupby(account_of).max()
    sums = by_feature[["last_n", "before_n", "week_before_n"]].groupby(account_of).sum()
    by_account = pd.DataFrame({
        "active_days": days.sum(axis=1).astype("int64"),
        "last_3": sums["last_n"], "before_3": sums["before_n"], "week_before_3": sums["week_before_n"],
    }).rename_axis("account_id")
    return by_feature, by_account


def tickets(batch: AccountRange, window: Window) -> pd.DataFrame:
    """Per account: tickets, rated tickets, satisfaction and escalations in the last 30 days, the
    satisfaction and feature requests of the last 90 days (measures), and the last ticket of the
    year (silent-account alert)."""
    last30 = Q(submitted_at__gte=window.instant(30))
    rated30 = last30 & Q(satisfaction_score__isnull=False)
    recent = Q(submitted_at__gte=window.instant(EVENT_DAYS))
    qs = (
        SupportTicket.objects.filter(batch.q("account_id"), submitted_at__gte=window.instant(CASE_STUDY_DAYS),
                                     submitted_at__lt=window.end)
        .order_by()
        .values_list("account_id")
        .annotate(
            tickets_30=Count("id", filter=last30),
            rated_30=Count("id", filter=rated30),
            satisfaction_sum_30=Sum("satisfaction_score", filter=rated30, default=0),
            escalated_30=Count("id", filter=last30 & Q(escalated=True)),
            tickets_90=Count("id", filter=recent),
            rated_90=Count("satisfaction_score", filter=recent),
            satisfaction_sum_90=Sum("satisfaction_score", filter=recent, default=0),
            feature_requests_90=Count("id", filter=recent & Q(feature_request=True)),
            last_ticket=Max("submitted_at"),
        )
    )
    return frame(qs, ["account_id", "tickets_30", "rated_30", "satisfaction_sum_30", "escalated_30", "tickets_90",
                      "rated_90", "satisfaction_sum_90", "feature_requests_90", "last_ticket"]).set_index("account_id")


def intent_items(batch: AccountRange, window: Window) -> pd.DataFrame:
    """The customer's words of the last 30 days that voiced cancellation intent (as analysed when the
    text was written): tickets, and touchpoints other than the CSM's own outbound e-mails.
    Columns: account_id, source, item, at, phrase."""
    ticket_qs = SupportTicket.objects.filter(
        batch.q("account_id"), submitted_at__gte=window.instant(30), submitted_at__lt=window.end,
    ).exclude(intent_phrase="").order_by().values_list("account_id", "external_id", "submitted_at", "intent_phrase")
    touch_qs = Touchpoint.objects.filter(
        batch.q("account_id"), occurred_at__gte=window.instant(30), occurred_at__lt=window.end,
    ).exclude(intent_phrase="").exclude(kind="email", direction="outbound").order_by().values_list(
        "account_id", "external_id", "occurred_at", "intent_phrase"
    )
    parts = []
    for source, qs in (("ticket", ticket_qs), ("touchpoint", touch_qs)):
        df = frame(qs, ["account_id", "item", "at", "phrase"])
        df["source"] = source
        parts.append(df)
    return pd.concat(parts, ignore_index=True)[["account_id", "source", "item", "at", "phrase"]]


def touchpoints(batch: AccountRange, window: Window) -> pd.DataFrame:
    """Per account: touchpoints by kind over the last 90 days, CSM interactions (last 60 days),
    executive engagement, and the last customer interaction (silent-account alert)."""
    recent = Q(occurred_at__gte=window.instant(EVENT_DAYS))
    csm_kinds = Q(kind__in=("call", "meeting", "qbr")) | Q(kind="email", direction="outbound")
    # An interaction is two-way: anything but the CSM's own e-mails and internal notes.
    interaction = ~Q(kind="note") & ~Q(kind="email", direction="outbound")
    qs = (
        Touchpoint.objects.filter(batch.q("account_id"), occurred_at__lt=window.end,
                                  occurred_at__gte=window.instant(CASE_STUDY_DAYS))
        .order_by()
        .values_list("account_id")
        .annotate(
            touchpoints_90=Count("id", filter=recent),
            community_90=Count("id", filter=recent & Q(kind="community")),
            docs_90=Count("id", filter=recent & Q(kind="docs")),
            csm_60=Count("id", filter=Q(occurred_at__gte=window.instant(60)) & csm_kinds),
            executive_90=Count("id", filter=recent & (Q(kind="qbr") | Q(contact__role="executive_sponsor"))),
            last_interaction=Max("occurred_at", filter=interaction),
            case_study_365=Count("id", filter=Q(case_study=True)),
            feature_requests_90=Count("id", filter=recent & Q(feature_request=True)),
        )
    )
    return frame(qs, ["account_id", "touchpoints_90", "community_90", "docs_90", "csm_60", "executive_90",
                      "last_interaction", "case_study_365", "feature_requests_90"]).set_index("account_id")


def surveys(batch: AccountRange, window: Window) -> pd.DataFrame:
    """Per account: NPS responses of the last 180 days (count, sum) and the last response."""
    qs = (
        SurveyResponse.objects.filter(batch.q("account_id"), responded_at__gte=window.instant(SURVEY_DAYS),
                                      responded_at__lt=window.end)
        .order_by().values_list("account_id")
        .annotate(responses=Count("id"), nps_sum=Sum("nps_score", default=0), last_survey=Max("responded_at"))
    )
    return frame(qs, ["account_id", "responses", "nps_sum", "last_survey"]).set_index("account_id")


def invoices(batch: AccountRange, window: Window, failed_days: int) -> pd.DataFrame:
    """Per account: invoices due in the last 180 days, those paid, and failed or overdue ones lately."""
    qs = (
        Invoice.objects.filter(batch.q("account_id"), due_date__gt=window.day(INVOICE_DAYS),
                               due_date__lte=window.as_of)
        .order_by().values_list("account_id")
        .annotate(
            invoices_due=Count("id"),
            invoices_paid=Count("id", filter=Q(status="paid")),
            failed_recent=Count("id", filter=Q(status__in=("failed", "overdue"),
                                               due_date__gte=window.day(failed_days))),
            first_failed_due=Min("due_date", filter=Q(status__in=("failed", "overdue"),
                                                      due_date__gte=window.day(failed_days))),
        )
    )
    return frame(qs, ["account_id", "invoices_due", "invoices_paid", "failed_recent",
                      "first_failed_due"]).set_index("account_id")


def _contact_active(window: Window, path: str = "") -> Q:
    """A contact still with the customer on as_of."""
    return (Q(**{f"{path}left_date__isnull": True, f"{path}is_active": True})
            | Q(**{f"{path}left_date__gt": window.as_of}))


def contacts(batch: AccountRange, window: Window, champion_days: int) -> pd.DataFrame:
    """Per account: contacts active on as_of, those of them with a touchpoint in the last 90 days, and
    champions who left lately."""
    left_lately = Q(role="champion", left_date__gte=window.day(champion_days), left_date__lte=window.as_of)
    # One pass over the recent touchpoints, hashed, rather than a join per contact.
    engaged = Touchpoint.objects.filter(batch.q("account_id"), occurred_at__gte=window.instant(EVENT_DAYS),
                                        occurred_at__lt=window.end, contact__isnull=False).values("contact_id")
    qs = (
        Contact.objects.filter(batch.q("account_id")).order_by().values_list("account_id")
        .annotate(
            contacts_active=Count("id", filter=_contact_active(window)),
            engaged_active=Count("id", filter=_contact_active(window) & Q(id__in=engaged)),
            champions_left=Count("id", filter=left_lately),
            champion_left_on=Max("left_date", filter=left_lately),
        )
    )
    return frame(qs, ["account_id", "contacts_active", "engaged_active", "champions_left",
                      "champion_left_on"]).set_index("account_id")


def previous_health(batch: AccountRange, day: dt.date) -> pd.Series:
    """The health score of each account's snapshot on an earlier day (trend), indexed by account id."""
    from scoring.models import Snapshot

    qs = Snapshot.objects.filter(batch.q("account_id"), as_of=day, health_score__isnull=False).order_by() \
        .values_list("account_id", "health_score")
    df = frame(qs, ["account_id", "health_score"])
    return df.set_index("account_id")["health_score"].astype("float64")


@dataclass
class BookData:
    """Everything one scoring run reads, for one batch of accounts."""

    window: Window
    accounts: pd.DataFrame
    subscriptions: pd.DataFrame
    usage_by_feature: pd.DataFrame
    usage_by_account: pd.DataFrame
    tickets: pd.DataFrame
    intent_items: pd.DataFrame
    touchpoints: pd.DataFrame
    surveys: pd.DataFrame
    invoices: pd.DataFrame
    contacts: pd.DataFrame
    previous_health: pd.Series
    # Whether the optional tables hold any data at all: a measure built on an empty table has "no data".
    has_touchpoints: bool
    has_contacts: bool
    has_ticket_text: bool = False

    def __post_init__(self) -> None:
        # Every usage row's account, joined once here for the measures and alerts that group by account.
        if "account_id" not in self.usage_by_feature:
            owner = self.subscriptions.set_index("subscription_id")["account_id"]
            self.usage_by_feature = self.usage_by_feature.assign(
                account_id=self.usage_by_feature["subscription_id"].map(owner))


def load_book(as_of: dt.date, batch: AccountRange, *, alerts: dict, trend_days: int) -> BookData:
    """Run every query of one scoring batch."""
    with transaction.atomic():
        _tune_session()
        return _load(as_of, batch, alerts=alerts, trend_days=trend_days)


def _tune_session() -> None:
    """For this transaction on PostgreSQL: no JIT (compiling the aggregates costs more than it saves at
    this size) and enough memory for the usage aggregation to stay off disk."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")


def _load(as_of: dt.date, batch: AccountRange, *, alerts: dict, trend_days: int) -> BookData:
    window = Window(as_of)
    subs = subscriptions(batch, window)
    by_feature, by_account = usage(batch, window, quiet_days=int(alerts["core_feature_unused"].get("days", 7)),
                                   cliff_days=int(alerts["usage_cliff"].get("days", 3)), subscriptions=subs)
    return BookData(
        window=window,
        accounts=accounts(batch),
        subscriptions=subs,
        usage_by_feature=by_feature,
        usage_by_account=by_account,
        tickets=tickets(batch, window),
        intent_items=intent_items(batch, window),
        touchpoints=touchpoints(batch, window),
        surveys=surveys(batch, window),
        invoices=invoices(batch, window, int(alerts["failed_payment"].get("days", 30))),
        contacts=contacts(batch, window, int(alerts["champion_left"].get("days", 30))),
        previous_health=previous_health(batch, as_of - dt.timedelta(days=trend_days)),
        has_touchpoints=Touchpoint.objects.exists(),
        has_contacts=Contact.objects.exists(),
        has_ticket_text=SupportTicket.objects.exclude(subject="", body="").exists(),
    )
