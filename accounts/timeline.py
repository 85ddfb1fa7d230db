"""Account 360's timeline: tickets, touchpoints, alerts, score changes, playbooks fired and outcomes logged
of one account in one list, newest first, paged. Each source gives at most the rows the requested page
can show (a query each, whatever the account's history), merged in Python."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Account

PAGE_SIZE = 20
READING_FIELDS = ("analysis_version", "intent_phrase", "category", "sentiment")  # what reading_words reads


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    kind: str  # ticket, touchpoint, alert, score, outcome, intervention
    title: str
    detail: str
    reading: str = ""  # what the text reader read in a touchpoint (churn intent, category, sentiment)
    alarm: bool = False  # the reading voices churn intent


@dataclass(frozen=True)
class TimelinePage:
    events: list[Event]
    number: int
    has_next: bool


def _day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


@dataclass(frozen=True)
class TimelineSources:
    """What a timeline page is made from, newest first: up to `wanted` rows of each source, and up to a year of
    the account's scored days as (as_of, health_tier, risk_level, health_score, risk_score). Account 360 shows the
    first of them in sections of its own too (the recent tickets, the outcomes, the trend) instead of reading them
    again; its open alerts and open interventions come with the timeline's alerts and interventions, after the
    newest `wanted` (timeline_sources' also_alerts and also_interventions)."""

    wanted: int
    tickets: list
    touchpoints: list
    alerts: list
    outcomes: list
    interventions: list
    days: list[tuple]


SCORED_DAYS = 365  # the score changes are looked for in the account's last year of scored days


def _newest(rows: QuerySet, order: tuple[str, ...], wanted: int, also: Q | None) -> list:
    """The first `wanted` rows in `order` and then, when `also` is given, the later ones that match it (one query)."""
    if also is None:
        return list(rows.order_by(*order)[:wanted])
    return list(rows.filter(also | Q(pk__in=rows.order_by(*order).values("pk")[:wanted])).order_by(*order))


def timeline_sources(account: Account, page: int = 1, *, also_alerts: Q | None = None,
                     also_interventions: Q | None = None) -> TimelineSources:
    """The rows the timeline's page needs (a query per source, whatever the account's history); the alerts and the
    interventions matching also_alerts and also_interventions (Account 360's open ones) come with them."""
    wanted = max(1, page) * PAGE_SIZE + 1  # one more than the page needs: is there a next page?
    # Only what an event shows: a ticket's body, a text's stored search vector and its reading's evidence, facts and
    # competitors (JSON to decode) are the largest columns.
    tickets = list(account.tickets.only("account", "external_id", "subject", "priority", "satisfaction_score",
                                        "escalated", "submitted_at").order_by("-submitted_at")[:wanted])
    touchpoints = list(account.touchpoints.select_related("contact")
                       .only("account", "occurred_at", "kind", "direction", "contact__name", "subject", "text",
                             *READING_FIELDS).order_by("-occurred_at")[:wanted])
    alerts = _newest(account.alerts.all(), ("-created_at", "-id"), wanted, also_alerts)
    outcomes = list(account.outcomes.select_related("created_by", "intervention__playbook")
                    .order_by("-created_at", "-id")[:wanted])
    interventions = _newest(account.interventions.select_related("playbook"), ("-triggered_at", "-id"), wanted,
                            also_interventions)
    days = list(account.snapshots.order_by("-as_of").values_list("as_of", "health_tier", "risk_level",
                                                                 "health_score", "risk_score")[:SCORED_DAYS])
    return TimelineSources(wanted, tickets, touchpoints, alerts, outcomes, interventions, days)


def account_timeline(account: Account, page: int = 1, sources: TimelineSources | None = None) -> TimelinePage:
    """The page of the account's timeline (from `sources` when they were read already for this page)."""
    page = max(1, page)
    sources = sources or timeline_sources(account, page)
    events: list[Event] = []
    for t in sources.tickets:
        rating = f", rated {t.satisfaction_score}/5" if t.satisfaction_score else ""
        events.append(Event(t.submitted_at, "ticket", f"Ticket {t.external_id}: {t.subject or 'no subject'}",
                            f"{t.get_priority_display() or 'No'} priority{rating}"
                            + (", escalated" if t.escalated else "")))
    for p in sources.touchpoints:
        direction = f" ({p.get_direction_display().lower()})" if p.direction else ""
        contact = f" with {p.contact.name}" if p.contact else ""
        events.append(Event(p.occurred_at, "touchpoint",
                            f"{p.get_kind_display()}{direction}{contact}: {p.subject or '—'}",
                            (p.text[:200] + ("…" if len(p.text) > 200 else "")) if p.text else "",
                            reading_words(p), bool(p.intent_phrase)))
    for a in sources.alerts[:sources.wanted]:
        events.append(Event(a.created_at, "alert", f"Alert: {a.get_kind_display()}",
                            f"{a.message} ({a.get_status_display().lower()})"))
    for o in sources.outcomes:
        who = o.created_by.get_full_name() or o.created_by.username
        where = f" ({o.intervention.playbook.name})" if o.intervention else ""
        events.append(Event(o.created_at, "outcome", f"Outcome: {o.get_kind_display()}{where}",
                            f"by {who}" + (f": {o.note}" if o.note else "")))
    for i in sources.interventions[:sources.wanted]:
        state = ("control group: no action, to measure the playbook" if i.group == "control"
                 else i.get_status_display().lower())
        events.append(Event(i.triggered_at, "intervention", f"Playbook fired: {i.playbook.name}",
                            f"{i.reason} ({state})"))
    events += _score_changes(sources.days, sources.wanted)
    events.sort(key=lambda e: e.at, reverse=True)
    start = (page - 1) * PAGE_SIZE
    return TimelinePage(events[start:start + PAGE_SIZE], page, len(events) > start + PAGE_SIZE)


def reading_words(text) -> str:
    """A touchpoint's or ticket's reading in a few words: churn intent and its phrase, topic, sentiment."""
    if not text.analysis_version:
        return "Waiting to be read."
    parts = [f"Churn intent: \u201c{text.intent_phrase}\u201d" if text.intent_phrase else "No churn intent"]
    if text.category:
        parts.append(f"topic {text.category.replace('_', ' ')}")
    if text.sentiment is not None:
        parts.append(f"sentiment {text.sentiment:+.2f}")
    return "; ".join(parts) + "."


def _score_changes(days: list[tuple], wanted: int) -> list[Event]:
    """Days on which the health tier or the risk level changed from the day scored before (days newest first)."""
    changes = []
    for (day, tier, level, health, risk), (_, before_tier, before_level, _, _) in zip(days, days[1:], strict=False):
        parts = []
        if tier != before_tier:
            parts.append(f"health tier {before_tier or 'none'} → {tier or 'none'}")
        if level != before_level:
            parts.append(f"risk {before_level} → {level}")
        if parts:
            changes.append(Event(_day(day), "score", "Score change: " + ", ".join(parts),
                                 f"health {health if health is not None else 'n/a'}, risk {risk}"))
        if len(changes) >= wanted:
            break
    return changes
