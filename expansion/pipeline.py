"""Reads of the expansion pipeline for the board and the managers' forecast (docs/expansion.md, docs/pages.md).

The board: the open and recently closed opportunities of the user's accounts, filtered by owner, segment
and expected-close month, in one column per stage with its count, total and weighted value (amount ×
probability / 100). The forecast: the weighted open pipeline by stage and by owner, the win rate (won /
(won + lost) among closed opportunities, overall and over the last 90 days), the average cycle time of won
opportunities, and how many signals of each type became won opportunities.

Every function here costs a fixed number of queries, whatever the number of opportunities or signals.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.http import QueryDict
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import scope_to_user
from expansion.forms import BoardFilter
from expansion.kinds import SIGNAL_KINDS
from expansion.models import CLOSED_STAGES, OPEN_STAGES, ExpansionSignal, Opportunity, SignalStatus, Stage
from healthcs.inputs import form_problems
from healthcs.paging import ShowMore

BOARD_FILTERS = ("owner", "segment", "close_month")
COLUMN_PAGE = 25  # cards a column shows at first, and how many more each "show more" adds
# A column's order: the latest closes first in won and lost; open stages by expected close (the soonest
# first, undated last), then the largest amount.
COLUMN_ORDER = [F("closed_at").desc(nulls_last=True), F("expected_close").asc(nulls_last=True), F("amount").desc(),
                F("id").asc()]
# What a card shows of its opportunity, account and owner (the accounts' other columns stay in the database).
CARD_FIELDS = ("title", "stage", "amount", "probability", "probability_edited", "expected_close", "closed_at",
               "next_step", "notes", "lost_reason", "account__name", "account__external_id", "owner__first_name",
               "owner__last_name", "owner__username")
RECENTLY_CLOSED_DAYS = 90  # won and lost cards stay on the board this long after closing
RECENT_WIN_RATE_DAYS = 90
STAGE_ORDER: list[str] = list(Stage.values)
ZERO = Decimal("0")

WEIGHTED = ExpressionWrapper(F("amount") * F("probability") / Value(100),
                             output_field=DecimalField(max_digits=20, decimal_places=4))
CENT = Decimal("0.01")


@dataclass
class Totals:
    """How many opportunities, their amount (added MRR) and their weighted value."""

    count: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO


def _totals(row: dict) -> Totals:
    return Totals(count=row["count"], amount=row["total_amount"] or ZERO,
                  weighted=(row["total_weighted"] or ZERO).quantize(CENT))


def _aggregates() -> dict:
    # Named apart from the fields: an annotation called "amount" would shadow the column in WEIGHTED.
    return {"count": Count("id"), "total_amount": Coalesce(Sum("amount"), Value(ZERO)),
            "total_weighted": Coalesce(Sum(WEIGHTED), Value(ZERO))}


# The board -----------------------------------------------------------------------------------------------

@dataclass
class Card:
    """One opportunity on the board, with what its inline forms show: the values of the edit form (what
    was typed when a save failed) and its problems by field, the problem of a refused move with the lost
    reason typed, which form to show open, and a confirmation."""

    opportunity: Opportunity
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    problem: str = ""
    lost_reason: str = ""
    open_form: str = ""  # "lost" or "edit"
    flash: str = ""

    def __post_init__(self):
        self.values = {**edit_values(self.opportunity), **self.values}

    @property
    def is_open(self) -> bool:
        return self.opportunity.stage not in CLOSED_STAGES

    @property
    def previous_stage(self) -> Stage | None:
        """The open stage before this one (none before identified, none once closed)."""
        index = STAGE_ORDER.index(self.opportunity.stage)
        return Stage(STAGE_ORDER[index - 1]) if self.is_open and index > 0 else None

    @property
    def next_stage(self) -> Stage | None:
        """The open stage after this one; after negotiation comes won, which has its own button."""
        index = STAGE_ORDER.index(self.opportunity.stage)
        following = STAGE_ORDER[index + 1] if index + 1 < len(STAGE_ORDER) else None
        return Stage(following) if self.is_open and following in OPEN_STAGES else None


def edit_values(opportunity: Opportunity) -> dict[str, str]:
    """The inline edit form's fields as text, from the saved opportunity."""
    return {"amount": f"{opportunity.amount}", "probability": str(opportunity.probability),
            "expected_close": opportunity.expected_close.isoformat() if opportunity.expected_close else "",
            "next_step": opportunity.next_step, "notes": opportunity.notes,
            "owner": str(opportunity.owner_id or "")}


@dataclass
class Column(ShowMore):
    """A stage's column: its totals over every card, and the cards shown, from `offset` on (the board
    shows the first COLUMN_PAGE; "show more" fetches the next ones)."""

    stage: Stage
    cards: list[Card]
    totals: Totals
    offset: int = 0

    page_size = COLUMN_PAGE

    @property
    def label(self) -> str:
        return self.stage.label

    @property
    def shown(self) -> int:
        return len(self.cards)

    @property
    def total(self) -> int:
        return self.totals.count


@dataclass
class Board:
    columns: list[Column]
    filters: dict[str, str]
    problems: dict[str, str]

    @property
    def filtering(self) -> bool:
        return any(self.filters.values())

    @property
    def cards(self) -> list[Card]:
        return [card for column in self.columns for card in column.cards]


def board_params(query: QueryDict | dict) -> dict[str, str]:
    """The board's filters as given (stripped), empty when absent."""
    return {name: (query.get(name) or "").strip() for name in BOARD_FILTERS}


def filter_board(queryset: QuerySet[Opportunity], params: dict[str, str]) -> tuple[QuerySet, dict[str, str]]:
    """Opportunities narrowed by owner (user id or e-mail), segment (the account's) and close month
    (YYYY-MM of the expected close date); a filter that cannot be read is named in the problems and
    left out."""
    found = BoardFilter(params, queryset=queryset)
    return found.qs, form_problems(found.form, BoardFilter.problem_messages)


def board_opportunities(user: User, params: dict[str, str], now: dt.datetime | None = None
                        ) -> tuple[QuerySet[Opportunity], dict[str, str]]:
    """The user's open opportunities and those closed in the last RECENTLY_CLOSED_DAYS days, filtered."""
    since = (now or timezone.now()) - dt.timedelta(days=RECENTLY_CLOSED_DAYS)
    shown = scope_to_user(Opportunity.objects.all(), user).filter(
        Q(stage__in=OPEN_STAGES) | Q(stage__in=CLOSED_STAGES, closed_at__gte=since))
    return filter_board(shown, params)


def stage_totals(queryset: QuerySet[Opportunity]) -> dict[str, Totals]:
    """Count, amount and weighted value per stage (one query); every stage present, zero when empty."""
    rows = queryset.order_by().values("stage").annotate(**_aggregates())
    found = {row["stage"]: _totals(row) for row in rows}
    return {stage: found.get(stage, Totals()) for stage in STAGE_ORDER}


def pipeline_board(user: User, params: dict[str, str], now: dt.datetime | None = None,
                   per_column: int = COLUMN_PAGE) -> Board:
    """The board: one column per stage with its totals and its first `per_column` cards (two queries,
    however many opportunities there are: the page stays light, the rest is fetched on demand)."""
    shown, problems = board_opportunities(user, params, now)
    totals = stage_totals(shown)
    by_stage: dict[str, list[Card]] = {stage: [] for stage in STAGE_ORDER}
    first = (shown.annotate(position=Window(RowNumber(), partition_by=F("stage"), order_by=COLUMN_ORDER))
             .filter(position__lte=per_column))
    for opportunity in first.select_related("account", "owner").only(*CARD_FIELDS).order_by("position"):
        by_stage[opportunity.stage].append(Card(opportunity))
    columns = [Column(stage=Stage(stage), cards=by_stage[stage], totals=totals[stage]) for stage in STAGE_ORDER]
    return Board(columns=columns, filters={name: params.get(name, "") for name in BOARD_FILTERS}, problems=problems)


def board_column(user: User, params: dict[str, str], stage: Stage, offset: int, now: dt.datetime | None = None,
                 per_column: int = COLUMN_PAGE) -> Column:
    """One column's cards from `offset` on (at most `per_column`), in the board's order, with the
    column's totals: what its "show more" fetches (two queries)."""
    shown, _ = board_opportunities(user, params, now)
    shown = shown.filter(stage=stage)
    cards = [Card(opportunity) for opportunity in shown.select_related("account", "owner").only(*CARD_FIELDS)
             .order_by(*COLUMN_ORDER)[offset:offset + per_column]]
    return Column(stage=stage, cards=cards, totals=stage_totals(shown)[stage], offset=offset)


def board_totals(user: User, params: dict[str, str], now: dt.datetime | None = None) -> list[Column]:
    """The board's columns with their totals only (no cards): what an inline edit refreshes (one query)."""
    shown, _ = board_opportunities(user, params, now)
    return [Column(stage=Stage(stage), cards=[], totals=totals) for stage, totals in stage_totals(shown).items()]


def assignable_owners() -> QuerySet[User]:
    """Who may own an opportunity (or be chosen in the owner filter): active users with a role."""
    roles = [role.value for role in Role]
    return (User.objects.filter(is_active=True).filter(Q(groups__name__in=roles) | Q(is_superuser=True))
            .distinct().order_by("first_name", "last_name", "username"))


def open_signals(user: User, limit: int = 50) -> list[ExpansionSignal]:
    """The open signals on the user's accounts that are not in the pipeline yet (waiting to be converted
    or dismissed), latest first (one query)."""
    return list(scope_to_user(ExpansionSignal.objects.filter(status=SignalStatus.OPEN, opportunity__isnull=True),
                              user).select_related("account").order_by("-last_detected_on", "kind", "id")[:limit])


# The forecast --------------------------------------------------------------------------------------------

@dataclass
class OwnerTotals:
    name: str
    email: str
    totals: Totals


@dataclass
class WinRate:
    won: int
    lost: int

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def percent(self) -> float | None:
        """Won / (won + lost) as a percentage with one decimal; None when nothing closed."""
        return round(100 * self.won / self.closed, 1) if self.closed else None


@dataclass
class SignalConversion:
    """A signal type: signals detected, how many became an opportunity, how many of those ended won, and
    the added MRR of the won opportunities (each counted once for the type)."""

    kind: str
    label: str
    signals: int
    converted: int
    won: int
    won_amount: Decimal

    @property
    def percent(self) -> float | None:
        """Won / signals as a percentage with one decimal; None without signals."""
        return round(100 * self.won / self.signals, 1) if self.signals else None


@dataclass
class Forecast:
    by_stage: list[tuple[Stage, Totals]]
    pipeline: Totals
    by_owner: list[OwnerTotals]
    win_rate: WinRate
    recent_win_rate: WinRate
    recent_days: int
    cycle_days: float | None
    cycle_won: int
    conversion: list[SignalConversion]

    @property
    def has_signals(self) -> bool:
        return any(row.signals for row in self.conversion)

    def charts(self) -> dict:
        """What the forecast page's canvases draw (static/js/charts.js reads it)."""
        charts = {}
        if self.pipeline.count:
            charts["stage"] = {"type": "bar", "money": True, "labels": [stage.label for stage, _ in self.by_stage],
                               "datasets": [{"label": "Amount (added MRR)",
                                             "data": [float(t.amount) for _, t in self.by_stage], "color": "#6b7280"},
                                            {"label": "Weighted", "data": [float(t.weighted) for _, t in self.by_stage],
                                             "color": "#0b6e6e"}]}
            charts["owner"] = {"type": "bar", "horizontal": True, "money": True,
                               "labels": [row.name for row in self.by_owner],
                               "datasets": [{"label": "Weighted",
                                             "data": [float(r.totals.weighted) for r in self.by_owner],
                                             "color": "#0b6e6e"},
                                            {"label": "Amount (added MRR)",
                                             "data": [float(r.totals.amount) for r in self.by_owner],
                                             "color": "#6b7280"}]}
        if self.has_signals:
            rows = [row for row in self.conversion if row.signals]
            charts["conversion"] = {"type": "bar", "labels": [row.label for row in rows], "datasets": [
                {"label": "Signals", "data": [row.signals for row in rows], "color": "#6b7280"},
                {"label": "Became an opportunity", "data": [row.converted for row in rows], "color": "#a86400"},
                {"label": "Won", "data": [row.won for row in rows], "color": "#0a6b3a"}]}
        return charts


def forecast(user: User, now: dt.datetime | None = None) -> Forecast:
    """The managers' forecast over the opportunities and signals the user may see (five queries)."""
    now = now or timezone.now()
    opportunities = scope_to_user(Opportunity.objects.all(), user).order_by()
    open_ones = opportunities.filter(stage__in=OPEN_STAGES)

    stages = stage_totals(open_ones)
    by_stage = [(Stage(stage), stages[stage]) for stage in OPEN_STAGES]
    pipeline = Totals(count=sum(t.count for _, t in by_stage), amount=sum((t.amount for _, t in by_stage), ZERO),
                      weighted=sum((t.weighted for _, t in by_stage), ZERO))

    owner_rows = (open_ones.values("owner_id", "owner__first_name", "owner__last_name", "owner__username",
                                   "owner__email").annotate(**_aggregates()))
    by_owner = sorted(
        (OwnerTotals(name=(f"{row['owner__first_name']} {row['owner__last_name']}".strip()
                           or row["owner__username"]) if row["owner_id"] else "Unassigned",
                     email=row["owner__email"] or "", totals=_totals(row)) for row in owner_rows),
        key=lambda row: (-row.totals.weighted, row.name))

    since = now - dt.timedelta(days=RECENT_WIN_RATE_DAYS)
    won, lost, recent = Q(stage=Stage.WON), Q(stage=Stage.LOST), Q(closed_at__gte=since)
    closed = opportunities.aggregate(
        won=Count("id", filter=won), lost=Count("id", filter=lost),
        recent_won=Count("id", filter=won & recent), recent_lost=Count("id", filter=lost & recent),
        cycle=Avg(ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField()),
                  filter=won & Q(closed_at__isnull=False)))
    cycle = closed["cycle"]

    return Forecast(by_stage=by_stage, pipeline=pipeline, by_owner=by_owner,
                    win_rate=WinRate(closed["won"], closed["lost"]),
                    recent_win_rate=WinRate(closed["recent_won"], closed["recent_lost"]),
                    recent_days=RECENT_WIN_RATE_DAYS,
                    cycle_days=round(cycle.total_seconds() / 86400, 1) if cycle is not None else None,
                    cycle_won=closed["won"], conversion=signal_conversion(user))


def signal_conversion(user: User) -> list[SignalConversion]:
    """Per signal type (every type of expansion.kinds, in that order): signals detected, converted,
    won, won amount (two queries)."""
    signals = scope_to_user(ExpansionSignal.objects.all(), user).order_by()
    counts = {row["kind"]: row for row in signals.values("kind").annotate(
        signals=Count("id"), converted=Count("opportunity"),
        won=Count("id", filter=Q(opportunity__stage=Stage.WON)))}
    won_amounts: dict[str, Decimal] = {}
    # Two signals of one type may have joined the same opportunity: its amount counts once for the type.
    for kind, _, amount in (signals.filter(opportunity__stage=Stage.WON)
                            .values_list("kind", "opportunity_id", "opportunity__amount").distinct()):
        won_amounts[kind] = won_amounts.get(kind, ZERO) + amount
    return [SignalConversion(kind=kind, label=label, signals=counts.get(kind, {}).get("signals", 0),
                             converted=counts.get(kind, {}).get("converted", 0),
                             won=counts.get(kind, {}).get("won", 0), won_amount=won_amounts.get(kind, ZERO))
            for kind, label in SIGNAL_KINDS.items()]
