"""An account's risk brief and expansion brief (docs/pages.md#briefs), assembled from the data without guessing:
the fired reasons in the scoring's own words, the quoted evidence of the text readings with their dates, the
competitors named, the days to renewal, the churn model's probability and top drivers, the actions with owners and
deadlines, the save probability measured by the playbooks' effectiveness (treated against control), and for
expansion its open signals, the timing and the win rate of opportunities from those signals.

Each brief ends in a few plain sentences (`summary`); workspace.brief_polish may let the local LLM rephrase them,
keeping every number and quote."""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Account, Direction, TouchpointKind
from expansion.kinds import SIGNAL_KINDS
from expansion.models import OPEN_STAGES, ExpansionSignal, Opportunity, SignalStatus, Stage
from interventions.effectiveness import effectiveness
from interventions.models import (
    Intervention,
    InterventionStatus,
    PlanStep,
    Playbook,
    StepStatus,
    Task,
    TaskStatus,
    TriggerKind,
)
from scoring.levels import Level
from scoring.models import Snapshot
from scoring.selectors import ChurnCard, churn_card, latest_snapshot

EVIDENCE_DAYS = 90  # texts read for quotes and competitors: the 90 days up to the latest score
MAX_QUOTES = 5
NEGATIVE = -0.3  # a text at or below this sentiment is quoted as evidence of risk
ACTION_DAYS = 7  # a recommended action without a task or plan step is due within a week
RENEWAL_WINDOW_DAYS = 120  # expansion: a renewal this close is the moment to raise it
TEXT_CATEGORIES = {"billing": "billing", "bug": "bugs", "integration": "the integration",
                   "onboarding": "onboarding", "performance": "performance", "feature_request": "missing features",
                   "account_cancellation": "the contract itself", "other": "other matters"}


@dataclass
class Quote:
    """Words a customer wrote or said, with when and where."""

    text: str
    on: dt.date
    source: str


@dataclass
class Action:
    title: str
    owner: str
    due: dt.date | None
    source: str  # "Playbook task", "Success plan" or "Recommended"


@dataclass
class SaveEstimate:
    """A playbook's measured record for accounts in the account's tier: kept within 90 days, treated and control."""

    playbook: str
    tier: str
    treated_kept: int
    treated: int
    control_kept: int
    control: int

    @property
    def probability(self) -> float | None:
        return self.treated_kept / self.treated if self.treated else None

    @property
    def control_probability(self) -> float | None:
        return self.control_kept / self.control if self.control else None


@dataclass
class RiskBrief:
    account: Account
    today: dt.date
    snapshot: Snapshot | None
    reasons: list[str] = field(default_factory=list)
    root_cause: str = ""
    quotes: list[Quote] = field(default_factory=list)
    competitors: list[tuple[str, dt.date]] = field(default_factory=list)
    days_to_renewal: int | None = None
    churn: ChurnCard = field(default_factory=ChurnCard)
    actions: list[Action] = field(default_factory=list)
    saves: list[SaveEstimate] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)


@dataclass
class SignalLine:
    kind: str
    label: str
    summary: str
    first_detected: dt.date
    last_detected: dt.date
    estimated_mrr: Decimal
    won: int
    closed: int

    @property
    def win_rate(self) -> float | None:
        return self.won / self.closed if self.closed else None


@dataclass
class ExpansionBrief:
    account: Account
    today: dt.date
    signals: list[SignalLine] = field(default_factory=list)
    opportunities: list[Opportunity] = field(default_factory=list)
    timing: str = ""
    probability: float | None = None
    probability_basis: str = ""
    summary: list[str] = field(default_factory=list)


def percent(share: float | None) -> str:
    """A share as a whole percentage ("80%"), "—" when unknown."""
    return "—" if share is None else f"{round(100 * share)}%"


def risk_brief(account: Account, *, today: dt.date | None = None) -> RiskBrief:
    """The account's risk brief as of its latest score (about 20 queries, most of them the effectiveness report's)."""
    today = today or timezone.localdate()
    snapshot = latest_snapshot(account)
    brief = RiskBrief(account=account, today=today, snapshot=snapshot, churn=churn_card(account))
    if account.renewal_date:
        brief.days_to_renewal = (account.renewal_date - today).days
    if snapshot:
        brief.reasons = [fired["reason"] for fired in snapshot.fired_rules]
    since = (snapshot.as_of if snapshot else today) - dt.timedelta(days=EVIDENCE_DAYS)
    texts = _texts_since(account, since)
    brief.quotes = _quotes(texts)
    brief.competitors = _competitors(texts)
    brief.root_cause = _root_cause(snapshot, texts)
    brief.actions = _actions(account, snapshot, today)
    brief.saves = _saves(account, snapshot)
    brief.summary = _risk_summary(brief)
    return brief


def _texts_since(account: Account, since: dt.date) -> list[dict]:
    """The account's read tickets and touchpoints since the day (not the team's own e-mails), newest first (two
    queries)."""
    fields = ("intent_phrase", "category", "sentiment", "competitors", "summary", "subject")
    tickets = [{**row, "on": row["submitted_at"], "source": f"Ticket {row['external_id']}"} for row in
               account.tickets.filter(submitted_at__date__gte=since).exclude(analysis_version="")
               .values("external_id", "submitted_at", *fields)]
    touchpoints = [{**row, "on": row["occurred_at"], "source": row["kind"].capitalize()} for row in
                   account.touchpoints.filter(occurred_at__date__gte=since).exclude(analysis_version="")
                   .exclude(kind=TouchpointKind.EMAIL, direction=Direction.OUTBOUND)  # the team's own mails
                   .values("kind", "occurred_at", *fields)]
    texts = sorted(tickets + touchpoints, key=lambda row: row["on"], reverse=True)
    for row in texts:
        row["on"] = timezone.localdate(row["on"])
    return texts


def _quotes(texts: list[dict]) -> list[Quote]:
    """Evidence in the customer's words: the phrase that voiced cancellation intent, else the reader's summary of a
    text that named a competitor or read negative; newest first."""
    quotes = []
    for row in texts:
        if row["intent_phrase"]:
            quotes.append(Quote(row["intent_phrase"], row["on"], row["source"]))
        elif row["competitors"] or (row["sentiment"] is not None and row["sentiment"] <= NEGATIVE):
            quotes.append(Quote(row["summary"] or row["subject"], row["on"], row["source"]))
    return [quote for quote in quotes if quote.text][:MAX_QUOTES]


def _competitors(texts: list[dict]) -> list[tuple[str, dt.date]]:
    """Each competitor named, with the day of its latest mention, most recent first."""
    seen: dict[str, dt.date] = {}
    for row in texts:  # newest first: the first mention seen is the latest
        for name in row["competitors"]:
            seen.setdefault(name, row["on"])
    return list(seen.items())


def _root_cause(snapshot: Snapshot | None, texts: list[dict]) -> str:
    """The rule that weighs most, and what the negative texts are mostly about."""
    if snapshot is None:
        return "Not scored yet: no rule has been evaluated for this account."
    if not snapshot.fired_rules:
        cause = "No churn-risk rule fired."
    else:
        top = max(snapshot.fired_rules, key=lambda fired: fired["points"])
        cause = f"{top['reason']} weighs most ({top['points']} of {snapshot.risk_score} points)."
    troubled = [row["category"] for row in texts if row["category"]
                and (row["intent_phrase"] or (row["sentiment"] is not None and row["sentiment"] <= NEGATIVE))]
    if troubled:
        category, n = Counter(troubled).most_common(1)[0]
        cause += (f" {n} of {len(troubled)} troubled texts of the last {EVIDENCE_DAYS} days are about "
                  f"{TEXT_CATEGORIES.get(category, category)}.")
    return cause


def _actions(account: Account, snapshot: Snapshot | None, today: dt.date) -> list[Action]:
    """Open playbook tasks and success-plan steps with their owners and deadlines, then the configured actions not
    yet covered by them (owner: the account's CSM, due within ACTION_DAYS); soonest first (two queries)."""
    actions = [Action(task.title, _name(task.assignee), timezone.localdate(task.due_at), "Playbook task")
               for task in Task.objects.filter(account=account, status=TaskStatus.OPEN,
                                               intervention__status=InterventionStatus.OPEN)
               .select_related("assignee").order_by("due_at", "id")]
    actions += [Action(step.title, _name(step.owner), step.due_on, "Success plan")
                for step in PlanStep.objects.filter(account=account).exclude(status=StepStatus.DONE)
                .select_related("owner").order_by("due_on", "order", "id")]
    known = {action.title for action in actions}
    if snapshot and snapshot.recommended_actions:
        for title in snapshot.recommended_actions.split("; "):
            if title and title not in known and snapshot.fired_rules:
                actions.append(Action(title, _name(account.csm), today + dt.timedelta(days=ACTION_DAYS),
                                      "Recommended"))
    return sorted(actions, key=lambda a: (a.due is None, a.due or today))


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user else "Unassigned"


def _saves(account: Account, snapshot: Snapshot | None) -> list[SaveEstimate]:
    """The measured record of the playbooks working on the account (its open interventions', else those whose
    trigger is its tier or risk level) for accounts in its tier: kept = not churned within 90 days."""
    if snapshot is None:
        return []
    playbooks = set(Intervention.objects.filter(account=account, status=InterventionStatus.OPEN)
                    .values_list("playbook_id", flat=True))
    if not playbooks:
        playbooks = set(Playbook.objects.filter(active=True).filter(
            Q(trigger_kind=TriggerKind.TIER, trigger_value=snapshot.health_tier)
            | Q(trigger_kind=TriggerKind.RISK_LEVEL, trigger_value=snapshot.risk_level)).values_list("id", flat=True))
    if not playbooks:
        return []
    rows = [row for row in effectiveness(as_of=snapshot.as_of, workload=False).rows if row.playbook_id in playbooks]
    in_tier = [row for row in rows if row.tier == snapshot.health_tier] or rows
    return [SaveEstimate(playbook=row.playbook, tier=row.tier,
                         treated_kept=row.churn_treated.n - row.churn_treated.hits, treated=row.churn_treated.n,
                         control_kept=row.churn_control.n - row.churn_control.hits, control=row.churn_control.n)
            for row in in_tier if row.churn_treated.n or row.churn_control.n]


def _risk_summary(brief: RiskBrief) -> list[str]:
    """The brief in a few sentences; every figure and quote in them comes from the sections above."""
    snapshot, account = brief.snapshot, brief.account
    if snapshot is None:
        return [f"{account.name} has no score yet, so there is no risk verdict."]
    lines = [f"{account.name} is at {snapshot.risk_level} churn risk ({snapshot.risk_score}/100) as of "
             f"{snapshot.as_of.isoformat()}."]
    if brief.reasons:
        lines.append("Why: " + "; ".join(brief.reasons) + ".")
    if brief.quotes:
        quote = brief.quotes[0]
        lines.append(f"The latest evidence: “{quote.text}” ({quote.source}, {quote.on.isoformat()}).")
    if brief.competitors:
        lines.append("Competitor mentioned: " + ", ".join(name for name, _ in brief.competitors) + ".")
    if brief.days_to_renewal is not None:
        lines.append(f"Renewal on {account.renewal_date.isoformat()}, in {brief.days_to_renewal} days."
                     if brief.days_to_renewal >= 0 else
                     f"The renewal date {account.renewal_date.isoformat()} passed {-brief.days_to_renewal} days ago.")
    if brief.churn.probability is not None:
        lines.append(f"The churn model gives {percent(brief.churn.probability)} for the next 90 days.")
    best = max((s for s in brief.saves if s.treated), key=lambda s: s.treated, default=None)
    if best:
        lines.append(f"Expected save probability with {best.playbook}: {percent(best.probability)} "
                     f"({best.treated_kept} of {best.treated} treated accounts kept"
                     + (f", against {best.control_kept} of {best.control} without it)." if best.control else ")."))
    return lines


# Expansion -------------------------------------------------------------------------------------------------------

def expansion_brief(account: Account, *, today: dt.date | None = None) -> ExpansionBrief:
    """The account's expansion brief: open signals with the win rate of opportunities from each kind across the
    book, open opportunities, timing and success probability (five queries)."""
    today = today or timezone.localdate()
    brief = ExpansionBrief(account=account, today=today)
    signals = list(ExpansionSignal.objects.filter(account=account, status=SignalStatus.OPEN)
                   .order_by("-last_detected_on", "kind"))
    history = _win_history({signal.kind for signal in signals})
    brief.signals = [SignalLine(kind=s.kind, label=SIGNAL_KINDS.get(s.kind, s.kind), summary=s.summary,
                                first_detected=s.first_detected_on, last_detected=s.last_detected_on,
                                estimated_mrr=s.estimated_mrr, won=history.get(s.kind, (0, 0))[0],
                                closed=history.get(s.kind, (0, 0))[1]) for s in signals]
    brief.opportunities = list(account.opportunities.filter(stage__in=OPEN_STAGES).select_related("owner")
                               .order_by("expected_close", "-amount", "id"))
    snapshot = latest_snapshot(account)
    brief.timing = _timing(account, snapshot, brief, today)
    brief.probability, brief.probability_basis = _success(brief)
    brief.summary = _expansion_summary(brief)
    return brief


def _win_history(kinds: set[str]) -> dict[str, tuple[int, int]]:
    """Per signal kind: (won, closed) opportunities that came from a signal of that kind, across the book."""
    if not kinds:
        return {}
    rows = (Opportunity.objects.filter(source_kind__in=kinds, stage__in=(Stage.WON, Stage.LOST)).order_by()
            .values("source_kind").annotate(won=Count("id", filter=Q(stage=Stage.WON)), closed=Count("id")))
    return {row["source_kind"]: (row["won"], row["closed"]) for row in rows}


def _timing(account: Account, snapshot: Snapshot | None, brief: ExpansionBrief, today: dt.date) -> str:
    """When to raise it, by fixed rules: not while churn risk is High; with a renewal within RENEWAL_WINDOW_DAYS;
    after a check-in while health declines; otherwise now."""
    if not brief.signals and not brief.opportunities:
        return "No expansion signal is open: nothing to time."
    if snapshot and snapshot.risk_level == Level.HIGH:
        return "Not now: churn risk is High. Resolve the risk first; expansion is suppressed until then."
    if account.renewal_date and 0 <= (days := (account.renewal_date - today).days) <= RENEWAL_WINDOW_DAYS:
        return (f"With the renewal: raise it in the renewal conversation before {account.renewal_date.isoformat()} "
                f"(in {days} days).")
    if snapshot and snapshot.trend == "declining":
        return "After a check-in: health is declining; confirm value first, then propose."
    last = max((s.last_detected for s in brief.signals), default=None)
    return f"Now: the signals are current (last seen {last.isoformat()})." if last else "Now: an opportunity is open."


def _success(brief: ExpansionBrief) -> tuple[float | None, str]:
    """An open opportunity's own probability (its stage's, or as edited); else the book's win rate of opportunities
    from the account's signal kinds."""
    if brief.opportunities:
        best = max(brief.opportunities, key=lambda o: o.probability)
        return best.probability / 100, f"“{best.title}” is at {best.get_stage_display()} ({best.probability}%)."
    won = sum(s.won for s in brief.signals)
    closed = sum(s.closed for s in brief.signals)
    if closed:
        return won / closed, f"{won} of {closed} closed opportunities from these signal kinds were won."
    if brief.signals:
        return None, "No opportunity from these signal kinds has closed yet: no measured win rate."
    return None, ""


def _expansion_summary(brief: ExpansionBrief) -> list[str]:
    account = brief.account
    if not brief.signals and not brief.opportunities:
        return [f"{account.name} shows no open expansion signal."]
    lines = []
    if brief.signals:
        mrr = sum((s.estimated_mrr for s in brief.signals), Decimal(0))
        lines.append(f"{account.name} shows {len(brief.signals)} expansion signal"
                     f"{'s' if len(brief.signals) != 1 else ''} worth an estimated {mrr:,.2f} in added MRR: "
                     + "; ".join(s.label for s in brief.signals) + ".")
    lines.append(f"Timing: {brief.timing}")
    if brief.probability is not None:
        lines.append(f"Success probability {percent(brief.probability)}: {brief.probability_basis}")
    elif brief.probability_basis:
        lines.append(brief.probability_basis)
    return lines
