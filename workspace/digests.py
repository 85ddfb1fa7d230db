"""The daily CSM digest and the weekly executive summary (docs/operations.md#digests, docs/pages.md#my-digest): what
each is made of, built for every recipient at once with a fixed number of set-based queries, and sent as HTML
e-mails with a plain-text part, once per user and day (workspace.models.DigestDelivery records each).

A daily digest is about the user's accounts (a manager's or admin's: the unassigned ones) on day D:
- *new alerts*: open alerts created since the user's previous digest was sent (at most 7 days back; the last
  24 hours when there was none), by kind with their counts and the newest few of each;
- *tasks*: their open tasks (assigned to them, or to nobody on their accounts) overdue (due before D) or due on D;
- *renewals*: live accounts renewing from D to D + 30 days;
- *changes*: live accounts whose health tier or risk level on the latest scoring day up to D differs from the
  scoring day before it.
The weekly summary, for managers and admins, covers the seven days up to D: the risk and tier distribution and
ARR at risk (workspace.dashboards, as the Executive page computes them) against a week earlier, churned ARR,
saves, playbook effectiveness (interventions.effectiveness), the pipeline (expansion.pipeline.forecast) and the
programme's return over the year up to D (workspace.roi, as the ROI page shows it).
"""

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, FilteredRelation, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Account, ChurnEvent, Role, User
from accounts.selectors import accounts_for_user, scope_to_user
from expansion.models import Opportunity, Stage
from expansion.pipeline import Forecast, forecast
from interventions.effectiveness import PlaybookRow, effectiveness
from interventions.models import Arm, Intervention, Outcome, OutcomeKind, Task, TaskStatus
from scoring.config import TIER_NAMES
from scoring.levels import RISK_LEVELS, Level
from scoring.models import Alert, AlertStatus, AlertType, Snapshot
from workspace.dashboards import NO_DATA, Executive, book_groups, executive_summary
from workspace.models import DigestDelivery, DigestKind
from workspace.roi import Roi, roi

logger = logging.getLogger(__name__)

ROWS = 10  # rows a section lists (its count says how many there are)
ALERTS_PER_KIND = 3
RENEWAL_DAYS = 30
FIRST_WINDOW = dt.timedelta(days=1)  # new alerts of a user's first digest
LONGEST_WINDOW = dt.timedelta(days=7)  # however long ago the previous digest was
STALE_CLAIM = dt.timedelta(minutes=30)  # a claim not sent by then was a killed worker's: taken over
WEEK_DAYS = 7
PLAYBOOK_ROWS = 8
LEADS = (Role.MANAGER, Role.ADMIN)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first moment of the local day and of the next one."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def digest_end(day: dt.date, now: dt.datetime | None = None) -> dt.datetime:
    """Where a digest of `day` stops looking: now for today, the end of the day for a past one."""
    now = now or timezone.now()
    return min(now, day_bounds(day)[1])


def leading(users: list[User]) -> set[int]:
    """Which of the users are managers or admins: their digest also covers the unassigned accounts, which nobody
    else's does (one query)."""
    return {u.pk for u in users if u.is_superuser} | set(
        User.groups.through.objects.filter(user_id__in=[u.pk for u in users], group__name__in=LEADS)
        .values_list("user_id", flat=True))


def digest_recipients() -> list[User]:
    """Active users with an e-mail address and a role (one query)."""
    return list(User.objects.filter(Q(groups__name__in=[r.value for r in Role]) | Q(is_superuser=True),
                                    is_active=True).exclude(email="").distinct().order_by("username"))


def summary_recipients() -> list[User]:
    """Active managers and admins (superusers too) with an e-mail address (one query)."""
    return list(User.objects.filter(Q(groups__name__in=LEADS) | Q(is_superuser=True), is_active=True)
                .exclude(email="").distinct().order_by("username"))


# The daily digest ---------------------------------------------------------------------------------------------

@dataclass
class AlertGroup:
    kind: str
    label: str
    count: int
    top: list[dict]

    @property
    def more(self) -> int:
        return self.count - len(self.top)


@dataclass
class Digest:
    user: User
    day: dt.date
    since: dt.datetime
    until: dt.datetime
    unassigned: bool  # a manager's digest: about the unassigned accounts
    scored_on: dt.date | None = None
    scored_before: dt.date | None = None
    alert_groups: list[AlertGroup] = field(default_factory=list)
    overdue_tasks: int = 0
    due_tasks: int = 0
    tasks: list[dict] = field(default_factory=list)
    renewal_count: int = 0
    renewals: list[dict] = field(default_factory=list)
    change_count: int = 0
    worse_count: int = 0
    changes: list[dict] = field(default_factory=list)
    renewal_days: int = RENEWAL_DAYS

    @property
    def new_alerts(self) -> int:
        return sum(group.count for group in self.alert_groups)

    @property
    def task_count(self) -> int:
        return self.overdue_tasks + self.due_tasks

    @property
    def empty(self) -> bool:
        return not (self.new_alerts or self.task_count or self.renewal_count or self.change_count)

    @property
    def subject(self) -> str:
        parts = [f"{n} {one if n == 1 else many}" for n, one, many in (
            (self.new_alerts, "new alert", "new alerts"), (self.overdue_tasks, "overdue task", "overdue tasks"),
            (self.due_tasks, "task due", "tasks due"), (self.renewal_count, "renewal", "renewals"),
            (self.change_count, "tier change", "tier changes")) if n]
        return f"HealthCS digest for {self.day}: " + (", ".join(parts) if parts else "nothing new")


def _windows(users: list[User], day: dt.date, until: dt.datetime) -> dict[int, tuple[dt.datetime, dt.datetime]]:
    """Each user's window of new alerts: the one recorded when their digest of `day` was sent, else from the end
    of their previous digest sent (at most 7 days back; 24 hours without one) to `until` (one query)."""
    ids = [u.pk for u in users]
    sent = DigestDelivery.objects.filter(user_id__in=ids, kind=DigestKind.DAILY, day__lte=day, sent_at__isnull=False)
    recorded = {row["user_id"]: (row["window_start"], row["window_end"])
                for row in sent.filter(day=day).values("user_id", "window_start", "window_end")}
    previous = dict(sent.filter(day__lt=day).order_by().values_list("user_id").annotate(end=Max("window_end")))
    windows = {}
    for uid in ids:
        if uid in recorded:
            windows[uid] = recorded[uid]
        elif uid in previous:
            windows[uid] = (max(min(previous[uid], until), until - LONGEST_WINDOW), until)
        else:
            windows[uid] = (until - FIRST_WINDOW, until)
    return windows


def _scope(ids: list[int], leads: bool, csm_path: str) -> Q:
    """Rows of the users' accounts (and of the unassigned ones when a lead is among them)."""
    scope = Q(**{f"{csm_path}__in": ids})
    return (scope | Q(**{f"{csm_path}__isnull": True})) if leads else scope


def scoring_days(day: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The latest scoring day up to `day` and the one before it (two queries)."""
    latest = Snapshot.objects.filter(as_of__lte=day).aggregate(d=Max("as_of"))["d"]
    before = Snapshot.objects.filter(as_of__lt=latest).aggregate(d=Max("as_of"))["d"] if latest else None
    return latest, before


def daily_digests(users: list[User], day: dt.date, now: dt.datetime | None = None) -> list[Digest]:
    """The digest of `day` for each user, in their order (nine queries however many users and rows)."""
    if not users:
        return []
    until = digest_end(day, now)
    windows = _windows(users, day, until)
    lead_ids = leading(users)
    digests = {u.pk: Digest(user=u, day=day, since=windows[u.pk][0], until=windows[u.pk][1],
                            unassigned=u.pk in lead_ids) for u in users}
    ids = list(digests)
    leads = [d for d in digests.values() if d.unassigned]

    def owners(csm_id: int | None) -> list[Digest]:
        """The digests a row of an account with this CSM goes to."""
        if csm_id is None:
            return leads
        return [digests[csm_id]] if csm_id in digests else []

    _add_alerts(digests, ids, bool(leads), owners)
    _add_tasks(digests, ids, bool(leads), owners, day)
    scored_on, scored_before = scoring_days(day)
    for digest in digests.values():
        digest.scored_on, digest.scored_before = scored_on, scored_before
    _add_renewals(ids, bool(leads), owners, day, scored_on)
    if scored_on and scored_before:
        _add_changes(ids, bool(leads), owners, scored_on, scored_before)
    return [digests[u.pk] for u in users]


def _add_alerts(digests: dict[int, Digest], ids: list[int], leads: bool, owners) -> None:
    """New open alerts, grouped by kind (most first), with the newest of each (one query)."""
    since = min(d.since for d in digests.values())
    until = max(d.until for d in digests.values())
    rows = (Alert.objects.filter(_scope(ids, leads, "account__csm_id"), status=AlertStatus.OPEN,
                                 created_at__gt=since, created_at__lte=until)
            .order_by("-created_at", "-id")
            .values("kind", "message", "created_at", "account__external_id", "account__name", "account__csm_id"))
    found: dict[int, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        for digest in owners(row["account__csm_id"]):
            if digest.since < row["created_at"] <= digest.until:
                found[digest.user.pk][row["kind"]].append(row)
    labels = dict(AlertType.choices)
    for uid, kinds in found.items():
        digests[uid].alert_groups = sorted(
            (AlertGroup(kind=kind, label=labels.get(kind, kind), count=len(alerts), top=alerts[:ALERTS_PER_KIND])
             for kind, alerts in kinds.items()), key=lambda g: (-g.count, g.label))


def _add_tasks(digests: dict[int, Digest], ids: list[int], leads: bool, owners, day: dt.date) -> None:
    """Open tasks overdue or due on the day: the user's own, and those nobody holds on their accounts; the most
    overdue first (one query)."""
    start, end = day_bounds(day)
    unheld = Q(assignee__isnull=True) & _scope(ids, leads, "account__csm_id")
    rows = (Task.objects.filter(Q(assignee_id__in=ids) | unheld, status=TaskStatus.OPEN, due_at__lt=end)
            .order_by("due_at", "id")
            .values("id", "title", "due_at", "assignee_id", "account__external_id", "account__name",
                    "account__csm_id"))
    for row in rows:
        holders = [digests[row["assignee_id"]]] if row["assignee_id"] else owners(row["account__csm_id"])
        row["overdue"] = row["due_at"] < start
        for digest in holders:
            if row["overdue"]:
                digest.overdue_tasks += 1
            else:
                digest.due_tasks += 1
            if len(digest.tasks) < ROWS:
                digest.tasks.append(row)


def _at(scored_on: dt.date | None, column: str) -> Subquery | None:
    return Subquery(Snapshot.objects.filter(account=OuterRef("pk"), as_of=scored_on).values(column)[:1])


def _add_renewals(ids: list[int], leads: bool, owners, day: dt.date, scored_on: dt.date | None) -> None:
    """Live accounts renewing in the next 30 days, soonest first, with their ARR and risk level (one query)."""
    rows = (Account.objects.filter(_scope(ids, leads, "csm_id"), churned=False, renewal_date__gte=day,
                                   renewal_date__lte=day + dt.timedelta(days=RENEWAL_DAYS))
            .annotate(arr=_at(scored_on, "arr"), risk_level=_at(scored_on, "risk_level"))
            .order_by("renewal_date", "name").values("external_id", "name", "renewal_date", "csm_id", "arr",
                                                     "risk_level"))
    for row in rows:
        for digest in owners(row["csm_id"]):
            digest.renewal_count += 1
            if len(digest.renewals) < ROWS:
                digest.renewals.append(row)


def _add_changes(ids: list[int], leads: bool, owners, scored_on: dt.date, scored_before: dt.date) -> None:
    """Live accounts whose tier or risk level changed between the two scoring days, those that got worse first,
    then by ARR (one query; an account not scored the day before has nothing to compare)."""
    # A join on the day before's snapshot (one per account and day): correlated subqueries took seconds at 20,000.
    before = FilteredRelation("account__snapshots", condition=Q(account__snapshots__as_of=scored_before))
    rows = (Snapshot.objects.filter(_scope(ids, leads, "account__csm_id"), as_of=scored_on, account__churned=False)
            .annotate(before=before).filter(before__risk_level__isnull=False)
            .filter(~Q(health_tier=F("before__health_tier")) | ~Q(risk_level=F("before__risk_level")))
            .values("account__external_id", "account__name", "account__csm_id", "health_tier", "risk_level",
                    "risk_score", "arr", tier_before=F("before__health_tier"), level_before=F("before__risk_level")))
    changed = [{**row, "worse": _worse(row)} for row in rows]
    changed.sort(key=lambda r: (not r["worse"], -(r["arr"] or 0), r["account__name"]))
    for row in changed:
        for digest in owners(row["account__csm_id"]):
            digest.change_count += 1
            digest.worse_count += row["worse"]
            if len(digest.changes) < ROWS:
                digest.changes.append(row)


def _worse(row: dict) -> bool:
    """A higher risk level, or (the level unchanged) a less healthy tier."""
    rank = {level: i for i, level in enumerate(reversed(RISK_LEVELS))}  # Low 0 … High 2
    level_now, level_then = rank.get(row["risk_level"], 0), rank.get(row["level_before"], 0)
    if level_now != level_then:
        return level_now > level_then
    order = {tier: i for i, tier in enumerate(TIER_NAMES)}  # healthiest first
    return order.get(row["health_tier"] or NO_DATA, -1) > order.get(row["tier_before"] or NO_DATA, -1)


def daily_digest(user: User, day: dt.date, now: dt.datetime | None = None) -> Digest:
    """One user's digest of `day` (what the My digest page shows)."""
    return daily_digests([user], day, now)[0]


# The weekly executive summary -----------------------------------------------------------------------------------

@dataclass
class WeeklySummary:
    day: dt.date
    start: dt.date
    as_of: dt.date | None
    week_ago_as_of: dt.date | None
    book: Executive
    risk_levels: list[dict] = field(default_factory=list)
    arr_at_risk_before: float | None = None
    high_risk_before: int | None = None
    recovered: list[dict] = field(default_factory=list)  # High risk a week ago, no longer
    churned: list[dict] = field(default_factory=list)
    saves: list[dict] = field(default_factory=list)  # a Renewed outcome logged in the week
    fired_treated: int = 0
    fired_control: int = 0
    playbooks: list[PlaybookRow] = field(default_factory=list)
    pipeline: Forecast | None = None
    won_count: int = 0
    won_amount: Decimal = Decimal(0)
    lost_count: int = 0
    roi: Roi | None = None

    @property
    def churned_arr(self) -> float:
        return sum(float(row["arr"] or 0) for row in self.churned)

    @property
    def saved_arr(self) -> float:
        return sum(float(row["arr"] or 0) for row in self.saves)

    @property
    def arr_at_risk_change(self) -> float | None:
        return None if self.arr_at_risk_before is None else self.book.arr_at_risk - self.arr_at_risk_before

    @property
    def subject(self) -> str:
        return f"HealthCS weekly summary, {self.start} to {self.day}"


def weekly_summary(user: User, day: dt.date, now: dt.datetime | None = None) -> WeeklySummary:
    """The summary of the seven days up to `day` over the accounts the user may see, for managers and admins (the
    playbooks' effectiveness is the whole portfolio's); about twenty queries, however large the book."""
    start = day - dt.timedelta(days=WEEK_DAYS - 1)
    as_of, _ = scoring_days(day)
    week_ago, _ = scoring_days(start - dt.timedelta(days=1))
    groups = book_groups(user, as_of)
    summary = WeeklySummary(day=day, start=start, as_of=as_of, week_ago_as_of=week_ago,
                            book=executive_summary(user, as_of, with_trend=False, groups=groups))
    if not groups.empty:
        levels = groups.groupby("risk_level")[["accounts", "arr"]].sum()
        summary.risk_levels = [{"level": level, "accounts": int(levels.loc[level, "accounts"]) if level in levels.index
                                else 0, "arr": float(levels.loc[level, "arr"]) if level in levels.index else 0.0}
                               for level in RISK_LEVELS]
    if week_ago is not None and week_ago != as_of:
        before = book_groups(user, week_ago)
        high_before = before[before["high"]]
        summary.arr_at_risk_before = float(high_before["arr"].sum())
        summary.high_risk_before = int(high_before["accounts"].sum())
        summary.recovered = list(_recovered(user, week_ago, as_of).annotate(arr=_at(as_of, "arr"))
                                 .order_by("-arr", "name").values("external_id", "name", "arr"))
    summary.churned = _churned(user, start, day)
    summary.saves = _saves(user, start, day, as_of)
    fired = scope_to_user(Intervention.objects.filter(triggered_on__gte=start, triggered_on__lte=day), user).aggregate(
        treated=Count("id", filter=Q(group=Arm.TREATED)), control=Count("id", filter=Q(group=Arm.CONTROL)))
    summary.fired_treated, summary.fired_control = fired["treated"], fired["control"]
    until = digest_end(day, now)
    report = effectiveness(as_of=as_of or day, now=until, workload=False)  # the playbooks' rows alone
    summary.playbooks = sorted(report.rows, key=lambda r: (-r.treated, r.playbook))[:PLAYBOOK_ROWS]
    summary.pipeline = forecast(user, now=until)
    week_start = day_bounds(start)[0]
    closed = scope_to_user(Opportunity.objects.filter(closed_at__gte=week_start, closed_at__lt=until), user).aggregate(
        won=Count("id", filter=Q(stage=Stage.WON)), lost=Count("id", filter=Q(stage=Stage.LOST)),
        won_amount=Sum("amount", filter=Q(stage=Stage.WON)))
    summary.won_count, summary.lost_count = closed["won"], closed["lost"]
    summary.won_amount = closed["won_amount"] or Decimal(0)
    summary.roi = roi(day)
    return summary


def _recovered(user: User, week_ago: dt.date, as_of: dt.date | None) -> QuerySet[Account]:
    """The live accounts at High risk on `week_ago` that are scored on `as_of` and no longer at High risk."""
    snapshots, high = Snapshot.objects.filter(account=OuterRef("pk")), Q(risk_level=Level.HIGH)
    return accounts_for_user(user).filter(Exists(snapshots.filter(high, as_of=week_ago)),
                                          Exists(snapshots.filter(~high, as_of=as_of)), churned=False)


def _churned(user: User, start: dt.date, day: dt.date) -> list[dict]:
    """Accounts with a churn event in the week, with the ARR of their last snapshot up to it (one query)."""
    last_arr = Subquery(Snapshot.objects.filter(account=OuterRef("account"), as_of__lte=OuterRef("churn_date"))
                        .order_by("-as_of").values("arr")[:1])
    events = (ChurnEvent.objects.filter(churn_date__gte=start, churn_date__lte=day,
                                        account__in=_visible(user))
              .annotate(arr=last_arr).order_by("account_id", "-churn_date")
              .distinct("account_id").values("account__external_id", "account__name", "churn_date", "reason_code",
                                             "arr"))
    return sorted(events, key=lambda r: (-(r["arr"] or 0), r["account__name"]))


def _saves(user: User, start: dt.date, day: dt.date, as_of: dt.date | None) -> list[dict]:
    """Accounts with a Renewed outcome logged in the week, with their latest ARR (one query)."""
    begin, _ = day_bounds(start)
    _, end = day_bounds(day)
    arr = Subquery(Snapshot.objects.filter(account=OuterRef("account"), as_of=as_of).values("arr")[:1])
    rows = (Outcome.objects.filter(kind=OutcomeKind.RENEWED, created_at__gte=begin, created_at__lt=end,
                                   account__in=_visible(user))
            .annotate(arr=arr).order_by("account_id", "-created_at").distinct("account_id")
            .values("account__external_id", "account__name", "created_at", "arr"))
    return sorted(rows, key=lambda r: (-(r["arr"] or 0), r["account__name"]))


def _visible(user: User):
    return accounts_for_user(user).order_by().values("pk")


# Sending ----------------------------------------------------------------------------------------------------------

@dataclass
class Sent:
    """What one run of a sender did."""

    sent: int = 0
    empty: int = 0  # nothing to say: not sent
    already: int = 0  # sent (or being sent) before, by this run's earlier try or another worker
    failed: int = 0  # the mail server refused: released, tried again by the next run


def _claim(*, user: User, kind: str, day: dt.date, window: tuple[dt.datetime, dt.datetime], subject: str,
           now: dt.datetime) -> bool:
    """Claim the user's digest of the day; False when it was sent, or is being sent, already. A claim left
    unsent for 30 minutes (a killed worker) is taken over."""
    try:
        with transaction.atomic():
            DigestDelivery.objects.create(user=user, kind=kind, day=day, window_start=window[0],
                                          window_end=window[1], claimed_at=now, subject=subject[:200])
        return True
    except IntegrityError:
        return bool(DigestDelivery.objects.filter(user=user, kind=kind, day=day, sent_at__isnull=True,
                                                  claimed_at__lt=now - STALE_CLAIM)
                    .update(claimed_at=now, window_start=window[0], window_end=window[1], subject=subject[:200]))


def _send(*, user: User, kind: str, day: dt.date, window: tuple[dt.datetime, dt.datetime], subject: str,
          template: str, context: dict, connection, result: Sent) -> None:
    """Claim, render and send one digest; release the claim when the mail server refuses it."""
    now = timezone.now()
    if not _claim(user=user, kind=kind, day=day, window=window, subject=subject, now=now):
        result.already += 1
        return
    message = EmailMultiAlternatives(subject=subject, body=render_to_string(f"{template}.txt", context),
                                     to=[user.email], connection=connection)
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    try:
        message.send()
    except OSError as error:  # SMTP down or refusing (smtplib's errors are OSErrors): the next run tries again
        logger.warning("%s to %s failed, will retry: %s", DigestKind(kind).label, user.email, error)
        DigestDelivery.objects.filter(user=user, kind=kind, day=day, sent_at__isnull=True).delete()
        result.failed += 1
        return
    DigestDelivery.objects.filter(user=user, kind=kind, day=day).update(sent_at=timezone.now())
    result.sent += 1


def daily_digests_send(*, day: dt.date | None = None, site_url: str | None = None,
                       now: dt.datetime | None = None) -> Sent:
    """E-mail every recipient with something to read their digest of the day (default today), once."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    site = (settings.SITE_URL if site_url is None else site_url).rstrip("/")
    result = Sent()
    connection = get_connection()
    for digest in daily_digests(digest_recipients(), day, now):
        if digest.empty:
            result.empty += 1
            continue
        _send(user=digest.user, kind=DigestKind.DAILY, day=day, window=(digest.since, digest.until),
              subject=digest.subject, template="workspace/digest_email",
              context={"digest": digest, "site": site}, connection=connection, result=result)
    return result


def weekly_summaries_send(*, day: dt.date | None = None, site_url: str | None = None,
                          now: dt.datetime | None = None) -> Sent:
    """E-mail every manager and admin the weekly summary of the seven days up to `day` (default today), once.
    Managers and admins all see the whole portfolio, so the summary is built once."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    site = (settings.SITE_URL if site_url is None else site_url).rstrip("/")
    result = Sent()
    recipients = summary_recipients()
    if not recipients:
        return result
    summary = weekly_summary(recipients[0], day, now)
    connection = get_connection()
    start, _ = day_bounds(summary.start)
    for user in recipients:
        _send(user=user, kind=DigestKind.WEEKLY, day=day, window=(start, digest_end(day, now)),
              subject=summary.subject, template="workspace/weekly_email",
              context={"summary": summary, "site": site, "user": user}, connection=connection, result=result)
    return result

