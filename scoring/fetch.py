"""Reads everything the scoring engine needs, as of a date, as whole-table aggregates in DataFrames.

Each function runs one aggregate query (GROUP BY in the database, never a query per account) for
the accounts of one batch (a primary-key range, or all accounts) and returns a DataFrame; `BookData`
bundles them for `scoring.calculations`.
"""

import datetime as dt
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import CharField, Count, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Cast, Mod
from django.utils import timezone

from accounts.models import (
    Account,
    Contact,
    Invoice,
    Subscription,
    SupportTicket,
    SurveyResponse,
    Touchpoint,
    UsageDay,
    UsageFeature,
)
from scoring.config import RULE_LOOKBACK_DAYS
from scoring.models import Snapshot

# How far back the measures look, in days before as_of (the rules use 30 and 60, docs/scoring.md).
USAGE_DAYS = 60
EVENT_DAYS = 90
SURVEY_DAYS = 180
INVOICE_DAYS = 180
CASE_STUDY_DAYS = 365
TICKET_BASE_DAYS = 180  # an account's usual ticket rate: its tickets from 180 to 31 days before as_of


@dataclass(frozen=True)
class Window:
    """The dates and instants one scoring run uses (docs/scoring.md: both ends of "last 30 days" included)."""

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


def _as_text(instant: Max) -> Cast:
    """An instant fetched as its ISO text, which pandas parses for a whole column at once (decoding
    each into a Python datetime took longer than the query). Readers use pd.to_datetime(utc=True)."""
    return Cast(instant, output_field=CharField())


# Reads shared by a run's batches ----------------------------------------------------------------------------

class _SharedReads(threading.local):
    """The run whose reads are kept, its reads by name, and whether they are in use: per thread, so that a preview in
    one thread of a web process never takes a recompute's reads in another."""

    def __init__(self):
        self.run, self.reads, self.active, self.off = None, {}, False, False


_SHARED = _SharedReads()


@contextmanager
def shared_reads(run: Hashable) -> Iterator[None]:
    """Within it, the reads that are the same for every batch of one recompute run — the usage days aggregated for
    the whole book (one pass instead of one per batch, which the day's expansion signals read too) and a trial's
    paying peers — are made by the first batch this process scores and kept for the run's other batches here.
    Only one run's reads are kept: a batch of another run drops them, and so does one of the same run name on
    another database (a process that moves between books, as the benchmarks do, never scores one book with
    another's usage). Nested in an outer one (the daily run's, workspace.daily.run_day: scores, then signals), the
    outer one's reads are used. Outside any (previews, backtests, a single batch) every read is made afresh."""
    if _SHARED.active or _SHARED.off:
        yield
        return
    key = (connection.settings_dict["NAME"], run)
    if _SHARED.run != key:
        _SHARED.run, _SHARED.reads = key, {}
    _SHARED.active = True
    try:
        yield
    finally:
        _SHARED.active = False


def shared_reads_off() -> None:
    """No shared reads in this process from now on: shared_reads does nothing (a forked worker that scores one batch
    reads its own accounts' usage, which costs less than the whole book's; the parent's day may have had them on)."""
    _SHARED.active, _SHARED.reads, _SHARED.off = False, {}, True


def _shared(name: str, key: Hashable, read: Callable[[], object]) -> object:
    """`read()`, or within shared_reads the value kept under (name, key) for the run."""
    if not _SHARED.active:
        return read()
    reads = _SHARED.reads
    if (name, key) not in reads:
        reads[(name, key)] = read()
    return reads[(name, key)]


def sql_frame(sql: str, params: list | dict, columns: list[str], *, coerce_float: bool = True) -> pd.DataFrame:
    """The rows of one query as a DataFrame, fetched by one cursor."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return pd.DataFrame.from_records(rows, columns=columns, coerce_float=coerce_float)


def frame(queryset: QuerySet, columns: list[str]) -> pd.DataFrame:
    """The rows of a values_list() queryset as a DataFrame (no model instances)."""
    sql, params = queryset.query.sql_with_params()
    return sql_frame(sql, params, columns)


def _whole_numbers(sql: str, params: list | dict, columns: list[str]) -> pd.DataFrame:
    """An aggregate's rows as int64 columns (its sums arrive as exact decimals; a missing one is 0)."""
    df = sql_frame(sql, params, columns, coerce_float=False)
    for column in columns:
        df[column] = df[column].fillna(0).astype("int64")
    return df


def accounts(batch: AccountRange) -> pd.DataFrame:
    qs = Account.objects.filter(batch.q()).order_by().values_list(
        "id", "external_id", "name", "plan_tier", "segment", "seats", "onboarding_completed_pct",
        "renewal_date", "csm_id", "churned", "is_trial", "signup_date",
    )
    df = frame(qs, ["account_id", "external_id", "name", "plan_tier", "segment", "seats", "onboarding_pct",
                    "renewal_date", "csm_id", "churned", "is_trial", "signup_date"])
    df["onboarding_pct"] = pd.to_numeric(df["onboarding_pct"], errors="coerce").astype("float64")
    df["churned"] = df["churned"].astype(bool)
    return df.set_index("account_id", drop=False).rename_axis(None)


def subscriptions(batch: AccountRange, window: Window) -> pd.DataFrame:
    # A subscription that starts after as_of was not known on as_of (backtests replay past dates).
    qs = Subscription.objects.filter(batch.q("account_id"), start_date__lte=window.as_of).order_by().values_list(
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


def _usage_sql(batched: bool) -> str:
    """One pass over the usage days of the window (accounts.UsageDay: the usage rows added up per
    subscription and day by the database), grouped by subscription and feature word."""
    day_bit = "CAST(1 AS bigint) << (CAST(%s AS date) - d.date)"
    # Batched: the span of the batch's subscription ids (rows of other accounts inside it are dropped in
    # Python), a plain range the planner scans in parallel, cheaper than a list of ids.
    where = "AND d.subscription_id BETWEEN %s AND %s" if batched else ""
    used_on = f"BIT_OR(CASE WHEN d.usage_count > 0 THEN {day_bit} ELSE 0 END)"
    features = "BIT_OR(CASE WHEN {} THEN d.features_used ELSE 0 END)"
    return f"""
        SELECT d.subscription_id, d.word,
               SUM(CASE WHEN d.date >= %s THEN d.usage_count ELSE 0 END),
               SUM(CASE WHEN d.date < %s THEN d.usage_count ELSE 0 END),
               SUM(CASE WHEN d.date >= %s THEN d.error_count ELSE 0 END),
               SUM(CASE WHEN d.date >= %s THEN d.integration_usage ELSE 0 END),
               SUM(CASE WHEN d.date >= %s THEN d.integration_errors ELSE 0 END),
               {used_on},
               {features.format("d.date >= %s")},
               {features.format("d.date >= %s")},
               {features.format("d.date >= %s AND d.date < %s")},
               SUM(CASE WHEN d.date > %s THEN d.usage_count ELSE 0 END),
               SUM(CASE WHEN d.date > %s AND d.date <= %s THEN d.usage_count ELSE 0 END),
               SUM(CASE WHEN d.date > %s AND d.date <= %s THEN d.usage_count ELSE 0 END)
        FROM {UsageDay._meta.db_table} d
        WHERE d.date >= %s AND d.date <= %s {where}
        GROUP BY d.subscription_id, d.word
    """


USAGE_COLUMNS = ["subscription_id", "word", "usage_30", "usage_prev", "errors_30", "integration_usage_30",
                 "integration_errors_30", "days_used", "features_30", "features_recent", "features_before",
                 "last_n", "before_n", "week_before_n"]


BOOK_USAGE_DAYS = 90  # the whole book's usage read: the expansion signals' three 30-day periods
DEFAULT_QUIET_DAYS, DEFAULT_CLIFF_DAYS = 7, 3  # the alerts' settings when the configuration gives none
SIGNAL_PERIOD_DAYS = 30
BOOK_USAGE_COLUMNS = [*USAGE_COLUMNS, "period_0", "period_1", "period_2", "api_0", "api_1", "features_period_0"]


def _book_usage_sql() -> str:
    """_usage_sql's columns for every subscription (each bounded to its 60 days, as the batched read's window
    bounds them), and in the same pass what the expansion signals read of the 90 days: per 30-day period
    (0: the newest, as_of - 29 to as_of) the usage and the API features' uses, and the features used in period 0."""
    in_window = "d.date >= %(d60)s"
    day_bit = "CAST(1 AS bigint) << (CAST(%(d0)s AS date) - d.date)"
    period = f"(CAST(%(d0)s AS date) - d.date) / {SIGNAL_PERIOD_DAYS}"
    return f"""
        SELECT d.subscription_id, d.word,
               SUM(CASE WHEN d.date >= %(d30)s THEN d.usage_count ELSE 0 END),
               SUM(CASE WHEN {in_window} AND d.date < %(d30)s THEN d.usage_count ELSE 0 END),
               SUM(CASE WHEN d.date >= %(d30)s THEN d.error_count ELSE 0 END),
               SUM(CASE WHEN d.date >= %(d30)s THEN d.integration_usage ELSE 0 END),
               SUM(CASE WHEN d.date >= %(d30)s THEN d.integration_errors ELSE 0 END),
               BIT_OR(CASE WHEN {in_window} AND d.usage_count > 0 THEN {day_bit} ELSE 0 END),
               BIT_OR(CASE WHEN d.date >= %(d30)s THEN d.features_used ELSE 0 END),
               BIT_OR(CASE WHEN {in_window} AND d.date >= %(dq)s THEN d.features_used ELSE 0 END),
               BIT_OR(CASE WHEN {in_window} AND d.date >= %(dq30)s AND d.date < %(dq)s THEN d.features_used
                      ELSE 0 END),
               SUM(CASE WHEN {in_window} AND d.date > %(dn)s THEN d.usage_count ELSE 0 END),
               SUM(CASE WHEN {in_window} AND d.date > %(d2n)s AND d.date <= %(dn)s THEN d.usage_count ELSE 0 END),
               SUM(CASE WHEN {in_window} AND d.date > %(d7n)s AND d.date <= %(d7)s THEN d.usage_count ELSE 0 END),
               SUM(CASE WHEN {period} = 0 THEN d.usage_count ELSE 0 END),
               SUM(CASE WHEN {period} = 1 THEN d.usage_count ELSE 0 END),
               SUM(CASE WHEN {period} = 2 THEN d.usage_count ELSE 0 END),
               SUM(CASE WHEN {period} = 0 THEN d.api_usage ELSE 0 END),
               SUM(CASE WHEN {period} = 1 THEN d.api_usage ELSE 0 END),
               BIT_OR(CASE WHEN {period} = 0 THEN d.features_used ELSE 0 END)
        FROM {UsageDay._meta.db_table} d
        WHERE d.date >= %(d90)s AND d.date <= %(d0)s
        GROUP BY d.subscription_id, d.word
    """


@dataclass(frozen=True)
class BookUsage:
    """The whole book's usage read (_book_usage_sql) with the alert settings its scoring columns used."""

    quiet_days: int
    cliff_days: int
    frame: pd.DataFrame


def book_usage(as_of: dt.date, *, quiet_days: int | None = None, cliff_days: int | None = None) -> BookUsage:
    """The whole book's usage read for `as_of`: kept within shared_reads, so that the day's scores and signals read
    the usage days once. The scores ask for their alert settings (a kept read made with others is read again);
    the signals (no settings: they read none of those columns) take any kept read of the day."""
    kept = _book_usage_kept(as_of, quiet_days, cliff_days)
    if kept is not None:
        return kept
    quiet_days = DEFAULT_QUIET_DAYS if quiet_days is None else quiet_days
    n = DEFAULT_CLIFF_DAYS if cliff_days is None else cliff_days
    day = Window(as_of).day
    params = {"d0": day(0), "d30": day(30), "d60": day(USAGE_DAYS), "d90": day(BOOK_USAGE_DAYS - 1),
              "dq": day(quiet_days), "dq30": day(quiet_days + 30), "dn": day(n), "d2n": day(2 * n),
              "d7n": day(7 + n), "d7": day(7)}
    # Grouped by subscription and word alone (a hash of some 20,000 groups: the planner knows how many from the
    # table's statistics of the pair, accounts migration 0023), the subscriptions' accounts added here.
    with transaction.atomic():
        _tune_session()
        df = _whole_numbers(_book_usage_sql(), params, BOOK_USAGE_COLUMNS)
    owners = dict(Subscription.objects.order_by().values_list("id", "account_id"))
    df.insert(len(USAGE_COLUMNS), "account_id", df["subscription_id"].map(owners).fillna(0).astype("int64"))
    read = BookUsage(quiet_days, n, df)
    if _SHARED.active:
        _SHARED.reads[("book_usage", as_of)] = read
    return read


def _book_usage_kept(as_of: dt.date, quiet_days: int | None, cliff_days: int | None) -> BookUsage | None:
    """Within shared_reads, the whole book's usage read for `as_of` kept there, if made with these alert settings (None:
    any)."""
    kept = _SHARED.reads.get(("book_usage", as_of)) if _SHARED.active else None
    if kept is not None and (quiet_days is None or (kept.quiet_days, kept.cliff_days) == (quiet_days, cliff_days)):
        return kept
    return None


def usage_alert_days(alerts: dict) -> tuple[int, int]:
    """The days of usage the core-feature and usage-cliff alerts of a configuration compare (its `alerts`)."""
    return (int(alerts["core_feature_unused"].get("days", DEFAULT_QUIET_DAYS)),
            int(alerts["usage_cliff"].get("days", DEFAULT_CLIFF_DAYS)))


def book_usage_ahead(as_of: dt.date, alerts: dict) -> bool:
    """Within shared_reads, the whole book's usage read now, as the run's batches with these alert settings read it,
    for processes forked from this one to inherit (their batches then pick their accounts from it, and this process
    keeps it for the day's signals). Returns whether it was read: outside shared_reads nothing is kept."""
    if not _SHARED.active:
        return False
    quiet_days, cliff_days = usage_alert_days(alerts)
    book_usage(as_of, quiet_days=quiet_days, cliff_days=cliff_days)
    return True


def _usage_frame(params: list, span: list[int] | None = None) -> pd.DataFrame:
    """_usage_sql's rows as whole numbers, for the subscription ids in `span` (both included) or all."""
    return _whole_numbers(_usage_sql(span is not None), params + (span or []), USAGE_COLUMNS)


def or_by(keys: list[np.ndarray], masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The OR of `masks` per distinct key (keys: equal-length arrays, compared together, the first
    one sorting first). Returns the position of each group's first row and the OR of each group."""
    if len(masks) == 0:
        return np.array([], dtype=np.int64), masks[:0]
    order = np.lexsort(keys[::-1])
    change = np.zeros(len(order), dtype=bool)
    change[0] = True
    for key in keys:
        ordered = key[order]
        change[1:] |= ordered[1:] != ordered[:-1]
    starts = np.flatnonzero(change)
    return order[starts], np.bitwise_or.reduceat(masks[order], starts)


@dataclass
class Usage:
    """What the recompute reads of usage: per subscription (the rules), per account (the measures and
    the usage-cliff alert) and the features gone quiet (the core-feature alert)."""

    by_subscription: pd.DataFrame
    by_account: pd.DataFrame
    quiet_features: pd.DataFrame


def usage(batch: AccountRange, window: Window, *, quiet_days: int, cliff_days: int,
          subscriptions: pd.DataFrame) -> Usage:
    """Every usage measure from one pass over the window's usage days (no per-day rows leave the
    database: the days a subscription used anything, and the features it used in a period, travel
    as bit sets).

    by_subscription: usage and errors in the last and prior 30 days. by_account, over the last 30
    days: usage, active days, distinct features used, integration usage and errors, and the usage of
    the days the cliff alert compares (the last n days, the n before, the same n days a week
    earlier). quiet_features: see `quiet_features`."""
    n, day = cliff_days, window.day
    params = [day(30)] * 5 + [day(0), day(30), day(quiet_days), day(quiet_days + 30), day(quiet_days),
                              day(n), day(2 * n), day(n), day(7 + n), day(7), day(USAGE_DAYS), day(0)]
    ids = subscriptions["subscription_id"]
    # The whole book's, once per run, and this batch's subscriptions picked from it: within shared reads, unless other
    # processes score the run's other batches meanwhile and the read is not at hand (forked workers inherit it,
    # book_usage_ahead; a Celery pool process would read it alone, on one core, for its share of the batches: at
    # 20,000 accounts, two pool processes of two batches each took 4.1 s so against 2.7-3.2 s with their own reads).
    if _SHARED.active and (not _BESIDE.active or _book_usage_kept(window.as_of, quiet_days, cliff_days)):
        book = book_usage(window.as_of, quiet_days=quiet_days, cliff_days=cliff_days).frame
        df = book.loc[book["subscription_id"].isin(ids), USAGE_COLUMNS].copy()
    else:
        span = ([int(ids.min()), int(ids.max())] if len(ids) else [0, -1]) if batch.first is not None else None
        df = _usage_frame(params, span)
    df["account_id"] = df["subscription_id"].map(subscriptions.set_index("subscription_id")["account_id"])
    df = df[df["account_id"].notna()]
    df["account_id"] = df["account_id"].astype("int64")

    by_subscription = df.groupby("subscription_id")[["account_id", "usage_30", "usage_prev", "errors_30"]].agg(
        {"account_id": "first", "usage_30": "sum", "usage_prev": "sum", "errors_30": "sum"}).reset_index()
    account, word = df["account_id"].to_numpy(), df["word"].to_numpy()
    firsts, days = or_by([account], df["days_used"].to_numpy())
    by_account = df.groupby("account_id")[["usage_30", "usage_prev", "integration_usage_30", "integration_errors_30",
                                           "last_n", "before_n", "week_before_n"]].sum()
    active = pd.Series(np.bitwise_count(days & ((1 << 31) - 1)).astype("int64"), index=account[firsts])
    word_firsts, features = or_by([account, word], df["features_30"].to_numpy())
    distinct = pd.Series(np.bitwise_count(features).astype("int64")).groupby(account[word_firsts]).sum()
    by_account = by_account.assign(active_days=active, features_30=distinct).rename(
        columns={"last_n": "last_3", "before_n": "before_3", "week_before_n": "week_before_3"})
    by_account.index.name = "account_id"
    return Usage(by_subscription, by_account,
                 quiet_features(df, window, quiet_days, batch_subscriptions=subscriptions))


QUIET_COLUMNS = ["account_id", "feature", "last_used", "days_before"]


def quiet_features(df: pd.DataFrame, window: Window, quiet_days: int, *, batch_subscriptions: pd.DataFrame
                   ) -> pd.DataFrame:
    """Per account and feature, for every feature used in the 30 days before the quiet period
    [as_of - quiet_days, as_of] and not used since: the days it was used in those 30 days and the last
    day it was used (the core-feature alert decides which of them are core). Reads the usage days of
    those accounts only."""
    account, word = df["account_id"].to_numpy(), df["word"].to_numpy()
    firsts, before = or_by([account, word], df["features_before"].to_numpy())
    _, recent = or_by([account, word], df["features_recent"].to_numpy())
    quiet = before & ~recent
    keep = quiet != 0
    if not keep.any():
        return pd.DataFrame(columns=QUIET_COLUMNS)
    wanted = pd.DataFrame({"account_id": account[firsts][keep], "word": word[firsts][keep], "quiet": quiet[keep]})
    subs = batch_subscriptions[batch_subscriptions["account_id"].isin(wanted["account_id"])]
    sub_ids = [int(i) for i in subs["subscription_id"]]
    first_day, last_day = window.day(quiet_days + 30), window.day(quiet_days + 1)
    # Each subscription's days through the primary key (a join on the list, not `= ANY`: with the list the planner
    # would take the BRIN index and test every id against each of its ranges, ten times slower).
    days = sql_frame(f"SELECT d.subscription_id, d.word, d.date, d.features_used FROM unnest(%s::bigint[]) s(id) "
                     f"JOIN {UsageDay._meta.db_table} d ON d.subscription_id = s.id "
                     "WHERE d.date >= %s AND d.date <= %s AND d.features_used > 0",
                     [sub_ids, first_day, last_day], ["subscription_id", "word", "date", "features_used"])
    days["account_id"] = days["subscription_id"].map(subs.set_index("subscription_id")["account_id"])
    days["date"] = pd.to_datetime(days["date"])
    days = days.merge(wanted, on=["account_id", "word"])
    if days.empty:
        return pd.DataFrame(columns=QUIET_COLUMNS)
    # Every (day, feature) of a quiet feature used that day: the set bits of quiet & used.
    hits = (days["quiet"].to_numpy() & days["features_used"].to_numpy()).astype("<u8")
    flags = np.unpackbits(hits.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    row, bit = np.nonzero(flags)
    used = pd.DataFrame({"account_id": days["account_id"].to_numpy()[row], "word": days["word"].to_numpy()[row],
                         "bit": bit, "date": days["date"].to_numpy()[row]})
    result = used.groupby(["account_id", "word", "bit"])["date"].agg(days_before="nunique", last_used="max")
    result = result.reset_index()
    names = dict(UsageFeature.objects.values_list("pk", "name"))
    result["feature"] = [names.get(w * UsageDay.FEATURES_PER_WORD + b + 1)
                         for w, b in zip(result["word"].tolist(), result["bit"].tolist(), strict=True)]
    result["last_used"] = pd.to_datetime(result["last_used"])
    return result[QUIET_COLUMNS]


def tickets(batch: AccountRange, window: Window) -> pd.DataFrame:
    """Per account: tickets, rated tickets, satisfaction and escalations in the last 30 days, the
    satisfaction, text sentiment (tickets the analyser has read) and feature requests of the last 90 days
    (measures), the tickets of the TICKET_BASE_DAYS before the last 30 (the account's usual ticket rate) and
    the last ticket of the year (silent-account alert)."""
    # Rows counted by their (never empty) date and only indexed columns read: the query reads the index alone.
    last30 = Q(submitted_at__gte=window.instant(30))
    rated30 = last30 & Q(satisfaction_score__isnull=False)
    recent = Q(submitted_at__gte=window.instant(EVENT_DAYS))
    qs = (
        SupportTicket.objects.filter(batch.q("account_id"), submitted_at__gte=window.instant(CASE_STUDY_DAYS),
                                     submitted_at__lt=window.end)
        .order_by()
        .values_list("account_id")
        .annotate(
            tickets_30=Count("submitted_at", filter=last30),
            rated_30=Count("submitted_at", filter=rated30),
            satisfaction_sum_30=Sum("satisfaction_score", filter=rated30, default=0),
            escalated_30=Count("submitted_at", filter=last30 & Q(escalated=True)),
            tickets_base=Count("submitted_at", filter=Q(submitted_at__gte=window.instant(TICKET_BASE_DAYS)) & ~last30),
            tickets_90=Count("submitted_at", filter=recent),
            rated_90=Count("satisfaction_score", filter=recent),
            satisfaction_sum_90=Sum("satisfaction_score", filter=recent, default=0),
            feature_requests_90=Count("submitted_at", filter=recent & Q(feature_request=True)),
            read_90=Count("sentiment", filter=recent),
            sentiment_sum_90=Sum("sentiment", filter=recent, default=0.0),
            last_ticket=_as_text(Max("submitted_at")),
        )
    )
    return frame(qs, ["account_id", "tickets_30", "rated_30", "satisfaction_sum_30", "escalated_30", "tickets_base",
                      "tickets_90", "rated_90", "satisfaction_sum_90", "feature_requests_90", "read_90",
                      "sentiment_sum_90", "last_ticket"]).set_index("account_id")


def intent_items(batch: AccountRange, window: Window) -> pd.DataFrame:
    """The customer's words of the look-back period (RULE_LOOKBACK_DAYS) that voiced cancellation intent
    (as the text reader read them): tickets, and touchpoints other than the CSM's own outbound e-mails.
    Columns: account_id, source, item, at, phrase; the rules count the days they look back at."""
    start = window.instant(RULE_LOOKBACK_DAYS)
    ticket_qs = SupportTicket.objects.filter(
        batch.q("account_id"), submitted_at__gte=start, submitted_at__lt=window.end,
    ).exclude(intent_phrase="").order_by().values_list("account_id", "external_id", "submitted_at", "intent_phrase")
    touch_qs = Touchpoint.objects.filter(
        batch.q("account_id"), occurred_at__gte=start, occurred_at__lt=window.end,
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
            touchpoints_90=Count("occurred_at", filter=recent),
            community_90=Count("occurred_at", filter=recent & Q(kind="community")),
            docs_90=Count("occurred_at", filter=recent & Q(kind="docs")),
            csm_60=Count("occurred_at", filter=Q(occurred_at__gte=window.instant(60)) & csm_kinds),
            executive_90=Count("occurred_at", filter=recent & (Q(kind="qbr") | Q(contact__role="executive_sponsor"))),
            last_interaction=_as_text(Max("occurred_at", filter=interaction)),
            case_study_365=Count("occurred_at", filter=Q(case_study=True)),
            feature_requests_90=Count("occurred_at", filter=recent & Q(feature_request=True)),
        )
    )
    return frame(qs, ["account_id", "touchpoints_90", "community_90", "docs_90", "csm_60", "executive_90",
                      "last_interaction", "case_study_365", "feature_requests_90"]).set_index("account_id")


def surveys(batch: AccountRange, window: Window) -> pd.DataFrame:
    """Per account: NPS responses of the last 180 days (count, sum), the last response's date and score."""
    answered = SurveyResponse.objects.filter(batch.q("account_id"), responded_at__gte=window.instant(SURVEY_DAYS),
                                             responded_at__lt=window.end)
    qs = answered.order_by().values_list("account_id").annotate(
        responses=Count("id"), nps_sum=Sum("nps_score", default=0), last_survey=_as_text(Max("responded_at")))
    df = frame(qs, ["account_id", "responses", "nps_sum", "last_survey"]).set_index("account_id")
    # The latest answer per account (the detractor rule reads the mood now, not the half-year's mean).
    answers = frame(answered.order_by("account_id", "responded_at", "id").values_list("account_id", "nps_score"),
                    ["account_id", "nps_score"])
    df["last_nps"] = answers.groupby("account_id")["nps_score"].last().reindex(df.index).astype("float64")
    return df


def invoices(batch: AccountRange, window: Window, failed_days: int) -> pd.DataFrame:
    """Per account: invoices due in the last 180 days, those paid, and failed or overdue ones lately.
    Point in time: an invoice paid after as_of was still unpaid then (overdue once its due date had passed)."""
    paid_then = Q(status="paid") & (Q(paid_at__isnull=True) | Q(paid_at__lt=window.end))
    unpaid_then = Q(status__in=("failed", "overdue")) | Q(status="paid", paid_at__gte=window.end,
                                                            due_date__lt=window.as_of)
    qs = (
        Invoice.objects.filter(batch.q("account_id"), due_date__gt=window.day(INVOICE_DAYS),
                               due_date__lte=window.as_of)
        .order_by().values_list("account_id")
        .annotate(
            invoices_due=Count("id"),
            invoices_paid=Count("id", filter=paid_then),
            failed_recent=Count("id", filter=unpaid_then & Q(due_date__gte=window.day(failed_days))),
            first_failed_due=Min("due_date", filter=unpaid_then & Q(due_date__gte=window.day(failed_days))),
            last_paid=_as_text(Max("paid_at", filter=paid_then)),
        )
    )
    return frame(qs, ["account_id", "invoices_due", "invoices_paid", "failed_recent",
                      "first_failed_due", "last_paid"]).set_index("account_id")


# A payment counts as failed on as_of when its invoice is marked failed or overdue, or when it was paid
# only after as_of although due more than this many days before it (point in time: late then).
LATE_PAYMENT_DAYS = 14


def failed_payments(batch: AccountRange, window: Window) -> pd.DataFrame:
    """The invoices of the look-back period that had failed on as_of, one row each: account_id, due."""
    late = Q(status="paid", paid_at__gte=window.end, due_date__lte=window.day(LATE_PAYMENT_DAYS))
    qs = (Invoice.objects.filter(batch.q("account_id"), due_date__gt=window.day(RULE_LOOKBACK_DAYS),
                                 due_date__lte=window.as_of)
          .filter(Q(status__in=("failed", "overdue")) | late)
          .order_by().values_list("account_id", "due_date"))
    df = frame(qs, ["account_id", "due"])
    df["due"] = pd.to_datetime(df["due"])
    return df


PEER_SAMPLE = 1000  # paying accounts read as trials' peers at most: an even sample of a bigger book


def paying_peers(window: Window) -> pd.DataFrame:
    """The paying accounts of the book (not only the batch: a trial's peers must not depend on how the book
    was cut into batches): no trial flag, an active subscription that is no trial and none that is. In a
    book with more than PEER_SAMPLE of them, every k-th by id (an even sample, the same for every batch),
    so that each batch reads a bounded amount. Columns: account_id, segment, seats, signup_date, usage_30
    (the last 30 days, as the rules count them)."""
    active = Q(start_date__lte=window.as_of) & (Q(end_date__isnull=True) | Q(end_date__gte=window.as_of))
    on_trial = Subscription.objects.filter(active, is_trial=True).values("account_id")
    paid = Subscription.objects.filter(active, is_trial=False).values("account_id")
    paying = Account.objects.filter(is_trial=False, id__in=paid).exclude(id__in=on_trial).order_by()
    step = -(-paying.count() // PEER_SAMPLE)  # ceiling division
    if step > 1:
        paying = paying.annotate(_slot=Mod("id", step)).filter(_slot=0)
    accounts = frame(paying.values_list("id", "segment", "seats", "signup_date"),
                     ["account_id", "segment", "seats", "signup_date"])
    uses = frame(UsageDay.objects.filter(date__gte=window.day(30), date__lte=window.as_of,
                                         subscription__account_id__in=paying.values("id"))
                 .order_by().values_list("subscription__account_id").annotate(Sum("usage_count")),
                 ["account_id", "usage_30"])
    accounts["usage_30"] = accounts["account_id"].map(uses.set_index("account_id")["usage_30"]).fillna(0)
    return accounts


def champions_left(batch: AccountRange, window: Window) -> pd.DataFrame:
    """The champions who left in the look-back period up to as_of, one row each: account_id, left."""
    qs = (Contact.objects.filter(batch.q("account_id"), role="champion",
                                 left_date__gt=window.day(RULE_LOOKBACK_DAYS), left_date__lte=window.as_of)
          .order_by().values_list("account_id", "left_date"))
    df = frame(qs, ["account_id", "left"])
    df["left"] = pd.to_datetime(df["left"])
    return df


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
            champions_active=Count("id", filter=Q(role="champion") & _contact_active(window)),
        )
    )
    return frame(qs, ["account_id", "contacts_active", "engaged_active", "champions_left",
                      "champion_left_on", "champions_active"]).set_index("account_id")


def previous_health(batch: AccountRange, day: dt.date) -> pd.Series:
    """The health score of each account's snapshot on an earlier day (trend), indexed by account id."""
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
    usage_by_subscription: pd.DataFrame
    usage_by_account: pd.DataFrame
    quiet_features: pd.DataFrame
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
    # Dated rows the rules count over their own look-back (empty: nothing fires).
    failed_payments: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"account_id": pd.Series(dtype="int64"), "due": pd.Series(dtype="datetime64[ns]")}))
    champions_left: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"account_id": pd.Series(dtype="int64"), "left": pd.Series(dtype="datetime64[ns]")}))
    # The book's paying accounts, read only when the batch holds a trial (None: no trial is compared).
    paying_peers: pd.DataFrame | None = None



def load_book(as_of: dt.date, batch: AccountRange, *, alerts: dict, trend_days: int) -> BookData:
    """Run every query of one scoring batch."""
    with transaction.atomic():
        _tune_session()
        return _load(as_of, batch, alerts=alerts, trend_days=trend_days)


class _Beside(threading.local):
    active = False


_BESIDE = _Beside()


@contextmanager
def beside_other_batches(active: bool = True) -> Iterator[None]:
    """Within it (when `active`), this process's reads run while the run's other batches run in other processes, one
    per core: no parallel workers for a query, whose extra processes would only compete for the same cores (measured
    at 20,000 accounts, two batches on two cores: the run 2.1 -> 1.9 s; one batch alone is faster with them, 3.2
    against 3.6 s)."""
    before = _BESIDE.active
    _BESIDE.active = before or active
    try:
        yield
    finally:
        _BESIDE.active = before


def _tune_session() -> None:
    """For this transaction: no JIT (compiling the aggregates costs more than it saves at this size),
    enough memory for the usage aggregation to stay off disk, and no parallel query beside other batches."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        # Set either way: inside an outer transaction (a test's) the last batch's setting would hold otherwise.
        workers = "0" if _BESIDE.active else "DEFAULT"
        cursor.execute(f"SET LOCAL max_parallel_workers_per_gather TO {workers}")


def _load(as_of: dt.date, batch: AccountRange, *, alerts: dict, trend_days: int) -> BookData:
    window = Window(as_of)
    subs = subscriptions(batch, window)
    batch_accounts = accounts(batch)
    has_trial = batch_accounts["is_trial"].any() or (subs["active"] & subs["is_trial"]).any()
    quiet_days, cliff_days = usage_alert_days(alerts)
    used = usage(batch, window, quiet_days=quiet_days, cliff_days=cliff_days, subscriptions=subs)
    return BookData(
        window=window,
        accounts=batch_accounts,
        subscriptions=subs,
        usage_by_subscription=used.by_subscription,
        usage_by_account=used.by_account,
        quiet_features=used.quiet_features,
        tickets=tickets(batch, window),
        intent_items=intent_items(batch, window),
        touchpoints=touchpoints(batch, window),
        surveys=surveys(batch, window),
        invoices=invoices(batch, window, int(alerts["failed_payment"].get("days", 30))),
        contacts=contacts(batch, window, int(alerts["champion_left"].get("days", 30))),
        failed_payments=failed_payments(batch, window),
        champions_left=champions_left(batch, window),
        paying_peers=_shared("paying_peers", as_of, lambda: paying_peers(window)) if has_trial else None,
        previous_health=previous_health(batch, as_of - dt.timedelta(days=trend_days)),
        # Point in time: what the book held by as_of (a table filled later did not exist yet).
        has_touchpoints=Touchpoint.objects.filter(occurred_at__lt=window.end).exists(),
        has_contacts=Contact.objects.exists(),
        has_ticket_text=SupportTicket.objects.filter(submitted_at__lt=window.end).exclude(subject="", body="").exists(),
    )
