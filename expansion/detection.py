"""Daily expansion-signal detection (docs/expansion.md): each signal is a small named function over one DataFrame of
the book (one row per live account, read with a fixed number of set-based queries), returning the
accounts it fires for with their evidence, a one-line summary and an estimated added MRR.

Thresholds (each function tests one):
- usage_limit: usage of the last 30 days above 80% of the plan's limit (PlanLimit: uses per licensed
  seat per 30 days, times the licensed seats of the active subscriptions);
- overage: usage above the limit in each of the three 30-day periods up to the day;
- power_users: 70% or more of the advanced features (AdvancedFeature, those the usage rows know) used in
  the last 30 days;
- team_growth: seats in use at 95% or more of the seats licensed (active users at or beyond the seats),
  or an upgrade subscription started in the last 90 days (seats added);
- integration_request: a feature request that names an integration (integration, interface, API, HL7,
  FHIR, connector, sync, EHR) in a ticket or touchpoint of the last 90 days;
- api_growth: usage of API features (a name with the word "api") in the last 30 days above 1.5 times the
  30 days before, with at least 100 uses before;
- promoter: the latest NPS answer of the last 90 days is 9 or 10 and the health tier is Healthy or Thriving;
- feature_requests: three or more feature requests in the last 90 days.

Estimated added MRR: the account's MRR times the signal's uplift (usage 20%, overage 30%, power users
25%, integration 10%, API growth 15%, promoter 10%, feature requests 10%); team growth prices 20% more
seats (at least one) at the account's MRR per licensed seat.

Accounts at High risk, or in the High risk or Critical tier, get no signals (suppressed and counted).
Signals are deduplicated: one open signal per account and kind (a database constraint); a signal seen
again refreshes its evidence, summary, estimate and last day; open signals not seen for 30 days expire.
A new signal joins the account's open opportunity or opens one in the pipeline (expansion.services).
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from accounts.models import Account, Subscription, SupportTicket, SurveyResponse, Touchpoint, UsageDay, UsageFeature
from expansion.models import AdvancedFeature, ExpansionSignal, PlanLimit, SignalStatus
from expansion.services import opportunities_from_new_signals
from healthcs.bulk import insert_rows, update_rows
from scoring.fetch import book_usage, or_by
from scoring.levels import HEALTHY_TIERS, SEVERE_TIERS, Level
from scoring.models import Snapshot

USAGE_SHARE = 0.8
OVERAGE_PERIODS = 3
POWER_SHARE = 0.7
SEAT_SHARE = 0.95
API_GROWTH = 1.5
API_MINIMUM = 100
REQUESTS_MINIMUM = 3
WINDOW_DAYS = 30
TEXT_DAYS = 90
EXPIRE_DAYS = 30
UPLIFT = {"usage_limit": 0.20, "overage": 0.30, "power_users": 0.25, "integration_request": 0.10,
          "api_growth": 0.15, "promoter": 0.10, "feature_requests": 0.10}
SEAT_GROWTH = 0.20
INTEGRATION_WORDS = re.compile(r"\b(?:integrat\w*|interfaces?|api|hl7|fhir|connectors?|sync\w*|ehr)\b", re.IGNORECASE)
SUPPRESSING_TIERS = SEVERE_TIERS
REFRESHED = ("evidence", "summary", "estimated_mrr", "last_detected_on")  # what a signal seen again updates


@dataclass
class Fired:
    """The accounts a signal fires for: evidence, summary and estimate per account id."""

    kind: str
    rows: pd.DataFrame  # index account_id; columns evidence (dict), summary (str), estimate (float)


# The book -------------------------------------------------------------------------------------------------

def fetch_book(as_of: dt.date) -> pd.DataFrame:
    """One row per live account with everything the signals read (eleven queries, however big the book)."""
    accounts = pd.DataFrame.from_records(
        list(Account.objects.filter(churned=False).order_by().values_list("id", "plan_tier", "seats")),
        columns=["account_id", "plan_tier", "seats_in_use"]).set_index("account_id")
    if accounts.empty:
        return accounts
    subs = pd.DataFrame.from_records(
        list(Subscription.objects.filter(Q(end_date__isnull=True) | Q(end_date__gt=as_of), start_date__lte=as_of)
             .order_by().values_list("account_id", "seats", "mrr", "start_date", "upgrade_flag")),
        columns=["account_id", "seats", "mrr", "start_date", "upgrade_flag"])
    subs["mrr"] = subs["mrr"].astype("float64")
    accounts["licensed"] = subs.groupby("account_id")["seats"].sum()
    accounts["mrr"] = subs.groupby("account_id")["mrr"].sum()
    recent = subs[subs["upgrade_flag"] & (pd.to_datetime(subs["start_date"])
                                          > pd.Timestamp(as_of - dt.timedelta(days=TEXT_DAYS)))]
    accounts["seats_added"] = accounts.index.isin(set(recent["account_id"]))
    limits = dict(PlanLimit.objects.values_list("plan_tier", "monthly_uses_per_seat"))
    accounts["uses_per_seat"] = accounts["plan_tier"].map(limits)
    accounts["limit"] = accounts["uses_per_seat"] * accounts["licensed"]
    _usage(accounts, as_of)
    _voice(accounts, as_of)
    _scores(accounts, as_of)
    return accounts.fillna({"licensed": 0, "mrr": 0.0})


def _usage(accounts: pd.DataFrame, as_of: dt.date) -> None:
    """Per account, from one pass over the usage days of the 90 days up to the day (a day has one row per word of
    62 features: every word counts), added up by the database per subscription and word and here per account and
    word: the usage of the three
    30-day periods, newest first, the uses of API features (UsageFeature.api: "api" stands in the feature's name)
    in the last two of them, and the advanced features used in the last 30 days (a day's feature bits: a feature
    is used in the 30 days when a day of them has a use of it, counts being never negative)."""
    # A feature's bit in the usage days: (id - 1) mod 62 of word (id - 1) div 62.
    numbers = dict(UsageFeature.objects.values_list("name", "id"))
    # The whole book's read of the usage days (scoring.fetch.book_usage: one pass, which the day's scores made
    # already when they ran in this process), per subscription and word, added up here per account and word.
    book = book_usage(as_of).frame
    keys = [book["account_id"].to_numpy(), book["word"].to_numpy()]
    firsts, bits = or_by(keys, book["features_period_0"].to_numpy())
    periods = [f"period_{period}" for period in range(OVERAGE_PERIODS)]
    days = (book.groupby(["account_id", "word"])[[*periods, "api_0", "api_1"]].sum()
            .rename(columns={**{name: period for period, name in enumerate(periods)}, "api_0": "api_last",
                             "api_1": "api_prior"}).reset_index())
    ors = pd.DataFrame({"account_id": keys[0][firsts], "word": keys[1][firsts], "bits": bits})
    days = days.merge(ors, on=["account_id", "word"])
    by_account = days.groupby("account_id")[[*range(OVERAGE_PERIODS), "api_last", "api_prior"]].sum()
    for period in range(OVERAGE_PERIODS):
        column = by_account[period] if len(by_account) else pd.Series(dtype="float64")
        accounts[f"uses_{period}"] = accounts.index.map(column).fillna(0).astype("float64")
    for column in ("api_last", "api_prior"):
        found = by_account[column] if len(by_account) else pd.Series(dtype="float64")
        accounts[column] = accounts.index.map(found).fillna(0).astype("float64")
    # Only advanced features the usage rows know count: a listed name nobody uses yet changes no share.
    advanced = sorted(name for name in AdvancedFeature.objects.values_list("name", flat=True) if name in numbers)
    accounts["advanced_total"] = len(advanced)
    used = _advanced_used(days, advanced, numbers)
    accounts["advanced_used"] = accounts.index.map(used.map(len)).fillna(0).astype(int)
    accounts["advanced_names"] = accounts.index.map(used)


def _advanced_used(days: pd.DataFrame, advanced: list[str], numbers: dict[str, int]) -> pd.Series:
    """The advanced features (names in name order) each account used, from its days' feature bits per word
    (columns account_id, word, bits); accounts that used none are not listed."""
    words: dict[int, list[tuple[str, int]]] = {}
    for name in advanced:
        word, bit = divmod(numbers[name] - 1, UsageDay.FEATURES_PER_WORD)
        words.setdefault(word, []).append((name, 1 << bit))
    names: dict[int, list[str]] = {}
    for account_id, word, bits in days[days["word"].isin(list(words))][["account_id", "word", "bits"]].itertuples(
            index=False):
        if bits:
            names.setdefault(account_id, []).extend(name for name, mask in words[word] if bits & mask)
    return pd.Series({account_id: sorted(found) for account_id, found in names.items() if found}, dtype=object)


def _voice(accounts: pd.DataFrame, as_of: dt.date) -> None:
    """Feature requests (and those naming an integration) of the last 90 days, and the latest NPS answer."""
    since = timezone.make_aware(dt.datetime.combine(as_of - dt.timedelta(days=TEXT_DAYS - 1), dt.time.min))
    until = timezone.make_aware(dt.datetime.combine(as_of, dt.time.max))
    requests = pd.DataFrame.from_records(
        list(SupportTicket.objects.filter(feature_request=True, submitted_at__range=(since, until)).order_by()
             .values_list("account_id", "subject", "body"))
        + list(Touchpoint.objects.filter(feature_request=True, occurred_at__range=(since, until)).order_by()
               .values_list("account_id", "subject", "text")), columns=["account_id", "subject", "text"])
    requests["integration"] = names_integration(requests["subject"].fillna("") + " " + requests["text"].fillna(""))
    accounts["requests"] = accounts.index.map(requests.groupby("account_id").size()).fillna(0).astype(int)
    accounts["integration_requests"] = accounts.index.map(
        requests[requests["integration"]].groupby("account_id").size()).fillna(0).astype(int)
    answers = pd.DataFrame.from_records(
        list(SurveyResponse.objects.filter(responded_at__range=(since, until)).order_by("account_id", "responded_at")
             .values_list("account_id", "nps_score", "responded_at")), columns=["account_id", "nps", "at"])
    accounts["nps"] = accounts.index.map(answers.groupby("account_id")["nps"].last())


def names_integration(texts: pd.Series) -> pd.Series:
    """Whether each text names an integration (INTEGRATION_WORDS). The texts in ASCII are searched together by the
    regular expressions of pandas' string columns (pyarrow's RE2: within ASCII its word characters, word boundaries and
    letters of either case are Python's); the others one by one by Python's, which also knows the letters beyond ASCII
    (é is a word character, the long s a case of s). pandas would search a whole column by Python's once it held one
    such text: a German book's would all go that way."""
    in_ascii = texts.str.isascii().astype(bool)
    found = pd.Series(False, index=texts.index)
    found[in_ascii] = texts[in_ascii].str.contains(INTEGRATION_WORDS.pattern, case=False, regex=True).astype(bool)
    if not in_ascii.all():
        found[~in_ascii] = [bool(INTEGRATION_WORDS.search(text)) for text in texts[~in_ascii]]
    return found


def _scores(accounts: pd.DataFrame, as_of: dt.date) -> None:
    rows = Snapshot.objects.filter(as_of=as_of).values_list("account_id", "risk_level", "health_tier")
    scores = pd.DataFrame.from_records(list(rows), columns=["account_id", "risk_level", "health_tier"]) \
        .set_index("account_id")
    accounts["risk_level"] = accounts.index.map(scores["risk_level"])
    accounts["health_tier"] = accounts.index.map(scores["health_tier"])


# The signals ---------------------------------------------------------------------------------------------

def _fired(kind: str, book: pd.DataFrame, mask, evidence, summary, estimate=None) -> Fired:
    hit = book[mask]
    uplift = UPLIFT.get(kind, 0.0)
    values = [(evidence(row), summary(row), round(estimate(row) if estimate else row.mrr * uplift, 2))
              for row in hit.itertuples()]
    return Fired(kind, pd.DataFrame(values, columns=["evidence", "summary", "estimate"], index=hit.index))


def usage_limit(book: pd.DataFrame) -> Fired:
    """Usage of the last 30 days above 80% of the plan's limit."""
    share = book["uses_0"] / book["limit"].where(book["limit"] > 0)
    book = book.assign(share=share)
    return _fired("usage_limit", book, share > USAGE_SHARE,
                  lambda r: {"uses_30d": int(r.uses_0), "limit": int(r.limit), "share": round(r.share, 3),
                             "plan": r.plan_tier},
                  lambda r: f"Used {r.share:.0%} of the {r.plan_tier} plan's limit in 30 days "
                            f"({int(r.uses_0):,} of {int(r.limit):,} uses)")


def overage(book: pd.DataFrame) -> Fired:
    """Usage above the limit in each of the last three 30-day periods."""
    limit = book["limit"].where(book["limit"] > 0, np.inf)  # no known limit: never over it
    over = np.logical_and.reduce([book[f"uses_{p}"] > limit for p in range(OVERAGE_PERIODS)])
    return _fired("overage", book, over,
                  lambda r: {"uses_by_period": [int(getattr(r, f"uses_{p}")) for p in range(OVERAGE_PERIODS)],
                             "limit": int(r.limit)},
                  lambda r: f"Over the plan's limit three 30-day periods running (limit {int(r.limit):,} uses)")


def power_users(book: pd.DataFrame) -> Fired:
    """70% or more of the advanced features used in the last 30 days."""
    share = book["advanced_used"] / book["advanced_total"].where(book["advanced_total"] > 0)
    book = book.assign(share=share)
    return _fired("power_users", book, share >= POWER_SHARE,
                  lambda r: {"advanced_used": list(r.advanced_names), "advanced_total": int(r.advanced_total),
                             "share": round(r.share, 3)},
                  lambda r: f"Uses {r.advanced_used} of {r.advanced_total} advanced features "
                            f"({', '.join(r.advanced_names)})")


def team_growth(book: pd.DataFrame) -> Fired:
    """Seats in use at 95% or more of those licensed, or seats added by an upgrade in the last 90 days."""
    share = book["seats_in_use"] / book["licensed"].where(book["licensed"] > 0)
    book = book.assign(share=share)
    mask = (share >= SEAT_SHARE) | book["seats_added"]

    def estimate(r) -> float:
        per_seat = r.mrr / r.licensed if r.licensed else 0.0
        return per_seat * max(1, round(SEAT_GROWTH * r.licensed))

    return _fired("team_growth", book, mask,
                  lambda r: {"seats_in_use": int(r.seats_in_use), "seats_licensed": int(r.licensed),
                             "share": None if pd.isna(r.share) else round(r.share, 3),
                             "seats_added_90d": bool(r.seats_added)},
                  lambda r: (f"{int(r.seats_in_use)} of {int(r.licensed)} licensed seats in use"
                             + ("; seats added in the last 90 days" if r.seats_added else "")), estimate)


def integration_request(book: pd.DataFrame) -> Fired:
    """A feature request naming an integration in the last 90 days."""
    return _fired("integration_request", book, book["integration_requests"] >= 1,
                  lambda r: {"integration_requests_90d": int(r.integration_requests)},
                  lambda r: f"{r.integration_requests} integration request(s) in 90 days")


def api_growth(book: pd.DataFrame) -> Fired:
    """API usage of the last 30 days above 1.5 times the 30 days before (with 100 uses or more before)."""
    ratio = book["api_last"] / book["api_prior"].where(book["api_prior"] >= API_MINIMUM)
    book = book.assign(ratio=ratio)
    return _fired("api_growth", book, ratio > API_GROWTH,
                  lambda r: {"api_30d": int(r.api_last), "api_prior_30d": int(r.api_prior), "ratio": round(r.ratio, 2)},
                  lambda r: f"API usage grew {r.ratio:.1f}x in 30 days ({int(r.api_prior):,} → {int(r.api_last):,})")


def promoter(book: pd.DataFrame) -> Fired:
    """The latest NPS answer of the last 90 days is 9-10, with a Healthy or Thriving score."""
    return _fired("promoter", book, (book["nps"] >= 9) & book["health_tier"].isin(HEALTHY_TIERS),
                  lambda r: {"nps": int(r.nps), "health_tier": r.health_tier},
                  lambda r: f"Promoter (NPS {int(r.nps)}) with a {r.health_tier} score")


def feature_requests(book: pd.DataFrame) -> Fired:
    """Three or more feature requests in the last 90 days."""
    return _fired("feature_requests", book, book["requests"] >= REQUESTS_MINIMUM,
                  lambda r: {"feature_requests_90d": int(r.requests)},
                  lambda r: f"{r.requests} feature requests in 90 days")


SIGNALS = (usage_limit, overage, power_users, team_growth, integration_request, api_growth, promoter,
           feature_requests)


# Detection --------------------------------------------------------------------------------------------

@dataclass
class DetectionReport:
    as_of: dt.date
    new: int = 0
    refreshed: int = 0
    expired: int = 0
    suppressed: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    opportunities: int = 0

    def __str__(self) -> str:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.by_kind.items())) or "none"
        return (f"Expansion signals as of {self.as_of}: {self.new} new, {self.refreshed} seen again, "
                f"{self.expired} expired, {self.suppressed} account(s) suppressed at High risk or worse; "
                f"{self.opportunities} opportunity(ies) opened or joined; by kind: {kinds}")


def detect_signals(*, as_of: dt.date, now: dt.datetime | None = None, open_opportunities: bool = True
                   ) -> DetectionReport:
    """Detect every signal for the day, store them deduplicated, expire the quiet ones and (by default)
    bring each new signal into the pipeline."""
    now = now or timezone.now()
    report = DetectionReport(as_of=as_of)
    book = fetch_book(as_of)
    if book.empty:
        return report
    suppressed = (book["risk_level"] == Level.HIGH) | book["health_tier"].isin(SUPPRESSING_TIERS)
    report.suppressed = int(suppressed.sum())
    book = book[~suppressed]
    found = [signal(book) for signal in SIGNALS]
    with transaction.atomic():
        existing = {(a, k): pk for pk, a, k in ExpansionSignal.objects.filter(status=SignalStatus.OPEN)
                    .values_list("id", "account_id", "kind")}
        refresh, create = [], []
        for fired in found:
            report.by_kind[fired.kind] = len(fired.rows)
            for account_id, evidence, summary, estimate in zip(
                    fired.rows.index.tolist(), fired.rows["evidence"], fired.rows["summary"], fired.rows["estimate"],
                    strict=True):
                values = (evidence, summary[:300], Decimal(str(estimate)), as_of)  # REFRESHED's order
                if (account_id, fired.kind) in existing:
                    refresh.append((existing[(account_id, fired.kind)], *values))
                else:
                    create.append((account_id, fired.kind, as_of, *values))
        update_rows(ExpansionSignal, list(REFRESHED), refresh)
        insert_rows(ExpansionSignal, ["account", "kind", "first_detected_on", *REFRESHED], create,
                    ignore_conflicts=True)
        report.refreshed, report.new = len(refresh), len(create)
        report.expired = ExpansionSignal.objects.filter(
            status=SignalStatus.OPEN, last_detected_on__lt=as_of - dt.timedelta(days=EXPIRE_DAYS)).update(
            status=SignalStatus.EXPIRED, closed_at=now)
    if open_opportunities:
        report.opportunities = opportunities_from_new_signals(as_of=as_of, now=now)
    return report


def signal_counts() -> dict[str, int]:
    """Open signals per kind (for the admin and the figures in docs/expansion.md)."""
    return dict(ExpansionSignal.objects.filter(status=SignalStatus.OPEN).values_list("kind").annotate(n=Count("id")))


def last_detection() -> dt.date | None:
    return ExpansionSignal.objects.aggregate(d=Max("last_detected_on"))["d"]
