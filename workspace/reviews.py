"""An account's business review for a quarter or a year (docs/pages.md#business-review): usage against the peers of
its segment (a percentile over the whole segment in two queries), the health trend from its snapshots, tickets and
their resolution, outcomes and won opportunities, the value delivered by the value model (settings
REVIEW_HOURLY_RATE, REVIEW_MINUTES_SAVED_PER_USE, REVIEW_DEFAULT_MINUTES_SAVED: minutes saved per use of each
feature × the hourly rate), success stories, risks and the next 90 days' plan. Read only; a fixed number of
queries whatever the account's size."""

import datetime as dt
import re
import statistics
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from accounts.models import (
    Account,
    Direction,
    SupportTicket,
    SurveyResponse,
    Touchpoint,
    TouchpointKind,
    UsageDay,
    UsageRecord,
)
from expansion.models import Opportunity, Stage
from healthcs.errors import shown
from interventions.models import Outcome, OutcomeKind, PlanStep, StepStatus, Task, TaskStatus
from scoring.models import AlertStatus

PLAN_DAYS = 90
POSITIVE = 0.5  # an inbound text at or above this sentiment, about nothing in particular, is a success story
STORY_CATEGORY = "other"  # the reader's topics (bug, billing, integration, ...) are requests and problems
PROMOTER = 9
MAX_STORIES = 6
CHART_WIDTH, CHART_HEIGHT = 600, 120
PERIOD = re.compile(r"(?P<year>[0-9]{4})(?:-Q(?P<quarter>[1-4]))?")
YEARS = (2000, 2100)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # included
    key: str  # "2026-Q3" or "2026", as the address's ?period= takes it
    label: str  # "Q3 2026" or "2026"


def quarter(year: int, number: int) -> Period:
    start = dt.date(year, 3 * number - 2, 1)
    end = (dt.date(year + 1, 1, 1) if number == 4 else dt.date(year, 3 * number + 1, 1)) - dt.timedelta(days=1)
    return Period(start, end, f"{year}-Q{number}", f"Q{number} {year}")


def year_period(year: int) -> Period:
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), str(year), str(year))


def last_full_quarter(today: dt.date | None = None) -> Period:
    """The last quarter that has ended by today."""
    today = today or timezone.localdate()
    current = (today.month - 1) // 3 + 1
    return quarter(today.year - 1, 4) if current == 1 else quarter(today.year, current - 1)


def parse_period(text: str) -> Period:
    """A period from its key ("2026-Q3", "2026"); ValueError with the sentence to show otherwise."""
    match = PERIOD.fullmatch(text.strip())
    if not match or not YEARS[0] <= int(match["year"]) <= YEARS[1]:
        raise ValueError(f"'{shown(text)}' is not a period; use a quarter such as 2026-Q3 or a year such as 2026.")
    year = int(match["year"])
    return quarter(year, int(match["quarter"])) if match["quarter"] else year_period(year)


def period_choices(today: dt.date | None = None, quarters: int = 8) -> list[Period]:
    """The periods the page offers: the last eight full quarters, then the last two full years."""
    last = last_full_quarter(today)
    year, number = int(last.key[:4]), int(last.key[-1])
    choices = []
    for _ in range(quarters):
        choices.append(quarter(year, number))
        year, number = (year - 1, 4) if number == 1 else (year, number - 1)
    this_year = (today or timezone.localdate()).year
    return choices + [year_period(this_year - 1), year_period(this_year - 2)]


@dataclass
class Usage:
    uses: int
    per_seat: float | None
    peers: int  # other live accounts of the comparison group
    below: int  # of those, how many used less per seat
    group: str  # "Mid-Market accounts" or "all accounts"

    @property
    def percentile(self) -> int | None:
        """The share of peers that used less (per seat), as a whole percentage; None without peers."""
        return round(100 * self.below / self.peers) if self.peers else None


@dataclass
class FeatureValue:
    feature: str
    uses: int
    minutes_per_use: Decimal
    hours: Decimal
    value: Decimal


@dataclass
class Tickets:
    opened: int = 0
    closed: int = 0
    escalated: int = 0
    median_resolution_hours: float | None = None
    mean_satisfaction: float | None = None
    by_category: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Story:
    on: dt.date
    source: str
    text: str


@dataclass
class PlanItem:
    title: str
    owner: str
    due: dt.date | None
    source: str


@dataclass
class Review:
    account: Account
    period: Period
    usage: Usage
    health: list[tuple[dt.date, float | None, int]]
    tickets: Tickets
    outcomes: list[tuple[str, int]]
    won: list[Opportunity]
    value: list[FeatureValue]
    hourly_rate: Decimal
    stories: list[Story]
    risks: list[str]  # the fired reasons of the period's last score
    open_alerts: list[str]  # open now, whenever raised
    risk_level: str
    plan: list[PlanItem]

    @property
    def value_total(self) -> Decimal:
        return sum((row.value for row in self.value), Decimal(0))

    @property
    def hours_total(self) -> Decimal:
        return sum((row.hours for row in self.value), Decimal(0))

    @property
    def health_start(self) -> float | None:
        return next((h for _, h, _ in self.health if h is not None), None)

    @property
    def health_end(self) -> float | None:
        return next((h for _, h, _ in reversed(self.health) if h is not None), None)

    @property
    def chart_points(self) -> str:
        """The health line as SVG polyline points over the period (drawn by the server: prints without scripts)."""
        days = max((self.period.end - self.period.start).days, 1)
        return " ".join(f"{round(CHART_WIDTH * (day - self.period.start).days / days, 1)},"
                        f"{round(CHART_HEIGHT * (1 - health / 100), 1)}"
                        for day, health, _ in self.health if health is not None)

    @property
    def health_by_month(self) -> list[tuple[dt.date, float | None, int]]:
        """The last snapshot of each month of the period (the table beside the chart)."""
        last: dict[tuple[int, int], tuple[dt.date, float | None, int]] = {}
        for point in self.health:
            last[point[0].year, point[0].month] = point
        return list(last.values())


def business_review(account: Account, period: Period, *, today: dt.date | None = None) -> Review:
    """The account's review of the period, its plan for the 90 days from today (14 queries whatever the account's
    size)."""
    today = today or timezone.localdate()
    snapshots = list(account.snapshots.filter(as_of__range=(period.start, period.end)).order_by("as_of")
                     .values_list("as_of", "health_score", "risk_score", "risk_level", "top_reasons",
                                  "recommended_actions"))
    value, rate = _value(account, period)
    last = snapshots[-1] if snapshots else None
    return Review(
        account=account, period=period, usage=_usage(account, period),
        health=[(day, health, risk) for day, health, risk, *_ in snapshots],
        tickets=_tickets(account, period), outcomes=_outcomes(account, period),
        won=list(account.opportunities.filter(stage=Stage.WON, closed_at__date__range=(period.start, period.end))
                 .order_by("closed_at", "id")),
        value=value, hourly_rate=rate, stories=_stories(account, period),
        risks=last[4].split("; ") if last and last[4] else [],
        open_alerts=list(account.alerts.filter(status=AlertStatus.OPEN).order_by("-created_at")
                         .values_list("message", flat=True)),
        risk_level=last[3] if last else "",
        plan=_plan(account, today, last[5].split("; ") if last and last[4] and last[5] else []))


def _usage(account: Account, period: Period) -> Usage:
    """Uses per seat against the other live accounts of its segment (of the whole book without one): two queries,
    whatever the segment's size."""
    peers = Account.objects.filter(churned=False)
    if account.segment:
        peers = peers.filter(segment=account.segment)
    seats = dict(peers.values_list("id", "seats"))
    seats.setdefault(account.pk, account.seats)
    totals = dict(UsageDay.objects.filter(date__range=(period.start, period.end),
                                          subscription__account_id__in=peers.values("id")).order_by()
                  .values_list("subscription__account_id").annotate(total=Sum("usage_count")))
    own = UsageDay.objects.filter(date__range=(period.start, period.end), subscription__account=account) \
        .aggregate(total=Sum("usage_count"))["total"] if account.pk not in totals else totals[account.pk]
    uses = int(own or 0)

    def per_seat(pk: int) -> float:
        return int(totals.get(pk) or 0) / (seats[pk] or 1)

    mine = uses / (account.seats or 1)
    others = [pk for pk in seats if pk != account.pk]
    return Usage(uses=uses, per_seat=round(mine, 1) if account.seats else None, peers=len(others),
                 below=sum(1 for pk in others if per_seat(pk) < mine),
                 group=f"{account.segment} accounts" if account.segment else "all accounts")


def _value(account: Account, period: Period) -> tuple[list[FeatureValue], Decimal]:
    """Hours saved and their value per feature by the value model (one query)."""
    rate = Decimal(str(settings.REVIEW_HOURLY_RATE))
    minutes = {name: Decimal(str(value)) for name, value in settings.REVIEW_MINUTES_SAVED_PER_USE.items()}
    default = Decimal(str(settings.REVIEW_DEFAULT_MINUTES_SAVED))
    rows = (UsageRecord.objects.filter(subscription__account=account, date__range=(period.start, period.end))
            .order_by().values_list("feature_name").annotate(uses=Sum("usage_count")))
    cent = Decimal("0.01")
    values = []
    for feature, uses in rows:
        per_use = minutes.get(feature, default)
        hours = (per_use * uses / 60).quantize(Decimal("0.1"), ROUND_HALF_UP)
        values.append(FeatureValue(feature, int(uses), per_use, hours,
                                   (per_use * uses / 60 * rate).quantize(cent, ROUND_HALF_UP)))
    return sorted(values, key=lambda row: (-row.value, row.feature)), rate


def _tickets(account: Account, period: Period) -> Tickets:
    tickets = list(SupportTicket.objects.filter(account=account, submitted_at__date__range=(period.start, period.end))
                   .values_list("closed_at", "resolution_hours", "satisfaction_score", "escalated", "category"))
    if not tickets:
        return Tickets()
    hours = [float(h) for closed, h, _, _, _ in tickets if closed is not None and h is not None]
    rated = [s for _, _, s, _, _ in tickets if s is not None]
    categories: dict[str, int] = {}
    for *_, category in tickets:
        categories[category or "not read yet"] = categories.get(category or "not read yet", 0) + 1
    return Tickets(opened=len(tickets), closed=sum(1 for closed, *_ in tickets if closed is not None),
                   escalated=sum(1 for _, _, _, escalated, _ in tickets if escalated),
                   median_resolution_hours=round(statistics.median(hours), 1) if hours else None,
                   mean_satisfaction=round(statistics.mean(rated), 1) if rated else None,
                   by_category=sorted(categories.items(), key=lambda item: (-item[1], item[0])))


def _outcomes(account: Account, period: Period) -> list[tuple[str, int]]:
    counts = dict(Outcome.objects.filter(account=account, created_at__date__range=(period.start, period.end))
                  .order_by().values_list("kind").annotate(n=Count("id")))
    return [(label, counts[value]) for value, label in OutcomeKind.choices if value in counts]


def _stories(account: Account, period: Period) -> list[Story]:
    """Promoters' comments and what customers wrote of their own accord that reads clearly positive (inbound
    e-mails, community posts and the like; not tickets, which are requests however politely put, nor call
    transcripts, where both sides speak), newest first (two queries)."""
    span = (period.start, period.end)
    stories = [Story(timezone.localdate(on), kind.capitalize(), summary or subject) for kind, on, summary, subject in
               Touchpoint.objects.filter(account=account, occurred_at__date__range=span, sentiment__gte=POSITIVE,
                                         direction=Direction.INBOUND, category=STORY_CATEGORY, intent_phrase="")
               .exclude(kind=TouchpointKind.CALL).values_list("kind", "occurred_at", "summary", "subject")]
    stories += [Story(timezone.localdate(on), f"NPS {score}", comment) for on, score, comment in
                SurveyResponse.objects.filter(account=account, responded_at__date__range=span,
                                              nps_score__gte=PROMOTER).exclude(comment="")
                .values_list("responded_at", "nps_score", "comment")]
    return sorted((s for s in stories if s.text), key=lambda s: s.on, reverse=True)[:MAX_STORIES]


def _plan(account: Account, today: dt.date, recommended: list[str]) -> list[PlanItem]:
    """The next 90 days: success-plan steps not done and open tasks due by then (or undated, or late), soonest
    first, then the period's recommended actions that no step or task covers (two queries)."""
    until = today + dt.timedelta(days=PLAN_DAYS)
    items = [PlanItem(step.title, _name(step.owner), step.due_on, "Success plan") for step in
             PlanStep.objects.filter(account=account).exclude(status=StepStatus.DONE).select_related("owner")
             if step.due_on is None or step.due_on <= until]
    items += [PlanItem(task.title, _name(task.assignee), timezone.localdate(task.due_at), "Playbook task")
              for task in Task.objects.filter(account=account, status=TaskStatus.OPEN,
                                              due_at__date__lte=until).select_related("assignee")]
    items.sort(key=lambda item: (item.due is None, item.due or until, item.title))
    known = {item.title for item in items}
    return items + [PlanItem(title, _name(account.csm), None, "Recommended") for title in recommended
                    if title not in known]


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user else "Unassigned"

