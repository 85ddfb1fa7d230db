"""`manage.py seed_demo`: generate the deterministic demo book and import it like any customer data.

The demo users are created (or reset) first, the three demo CSMs get the accounts, and the book goes
through the ordinary validated import, so re-running with the same arguments changes nothing. The book
is then scored weekly over 182 days; after each scored day the playbooks fire and the demo CSMs work
what fired (workspace.demo.interventions), so the queue, timelines and effectiveness page start with history.

The book's planned churners (due within its year) are decided as the walk reaches them, from what the
product did before each one's churn day: a treated intervention whose steps were all done on time saves
the account far more often than nothing, a control draw or late work (workspace.demo.outcomes). After each
scored day, the churners due before the next one are decided and their rows of the decided book imported
(churn event, churned flags, ended subscriptions, or recovered usage), and what followed a churn removed,
so every snapshot is taken on data that agrees with the fates and nothing is scored twice. Churners due
before the first scored day had no help (nothing was scored yet): they are decided before the import. A
second run finds the fates in the database and imports the decided book straight away.
"""

import datetime as dt
import random
import time
from decimal import Decimal
from pathlib import Path

import pandas as pd
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.importing import schema
from accounts.importing.services import import_files
from accounts.management.progress import ProgressPrinter, report_import
from accounts.models import Account, Invoice, SupportTicket, SurveyResponse, Touchpoint, UsageRecord, User
from accounts.services import import_files_recorded
from expansion.models import ExpansionSignal, Opportunity
from interventions.defaults import install_default_playbooks
from interventions.firing import trigger_time
from interventions.models import Intervention, Playbook, PlaybookStep
from interventions.services import escalate_overdue_tasks
from scoring.texts.service import texts_read_pending
from workspace.daily import run_day
from workspace.demo.expansion import simulate_pipeline
from workspace.demo.generator import PLAN_KEY, book_to_csv_bytes, generate_book
from workspace.demo.interventions import simulate_csm_work, treated_on_time
from workspace.demo.outcomes import apply_fates, draw_fates, pending_churners
from workspace.demo.saved_views import seed_saved_views
from workspace.demo.users import DEMO_CSMS, ensure_demo_users

BIG_BOOK = 2000
DEMO_CONTROL_SHARE = Decimal("0.250")
SIGNAL_HISTORY_DAYS = 70  # signals compare 30 days with the 30 before: the 130 days of usage allow 70 days
HISTORY_WEEKS = 26  # weekly snapshots over the last 182 days, plus the day 30 days back (trend)


# The files whose rows apply_fates never changes (it only drops those dated after a churn, which _remove_after_churn
# deletes): importing them again for the decided accounts would write nothing.
UNCHANGED_BY_FATES = frozenset(table.filename for table in (schema.CONTACTS, schema.TOUCHPOINTS, schema.SURVEYS,
                                                             schema.INVOICES))


def score_history_days(as_of: dt.date) -> list[dt.date]:
    """The days the demo is scored on, oldest first: weekly for 182 days, 30 days back, and as_of."""
    days = {as_of - dt.timedelta(weeks=w) for w in range(HISTORY_WEEKS + 1)} | {as_of - dt.timedelta(days=30)}
    return sorted(days)  # from this many accounts on, progress is shown in finer steps


def _iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = "Generate a realistic, deterministic healthcare SaaS demo book and import it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, default=300, help="Number of accounts (default 300).")
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument("--as-of", type=_iso_date, default=None, dest="as_of",
                            help="Date the book ends on, YYYY-MM-DD (default today).")
        parser.add_argument("--write-csv", metavar="DIR", default=None,
                            help="Also write the CSV files into this directory.")
        parser.add_argument("--no-import", action="store_true", help="Generate (and write) only.")

    def _decide_due(self, *, frames: dict, planted, due, seed: int) -> tuple[dict, dict]:
        """Decide the planned churners due before the next scored day from what the product did so far,
        and write their rows of the decided book (an ordinary import of those accounts' rows)."""
        ids = list(due["account_id"])
        lost, saved = draw_fates(due, seed, treated_on_time(account_ids=ids))
        before = _rows_of(frames, planted, ids)
        after = apply_fates(before, lost, saved)
        after.pop(PLAN_KEY)
        result = import_files(book_to_csv_bytes({name: frame for name, frame in after.items()
                                                 if name not in UNCHANGED_BY_FATES}))
        if not result.ok:
            report_import(self, result, "the demo's churn outcomes were not imported")
        _remove_after_churn(before, after, lost)
        return lost, saved

    def handle(self, *args, accounts: int, seed: int, as_of: dt.date | None, write_csv: str | None,
               no_import: bool, **options) -> None:
        if accounts < 1:
            raise CommandError("--accounts must be at least 1")
        started = time.perf_counter()
        as_of = as_of or timezone.localdate()
        logins = ensure_demo_users()
        progress = ProgressPrinter(self.stdout.write, 10 if accounts >= BIG_BOOK else 50)

        self.stdout.write(f"Generating {accounts} accounts (seed {seed}, as of {as_of.isoformat()})")
        frames = generate_book(
            accounts=accounts, seed=seed, as_of=as_of,
            csm_emails=[u.email for u in DEMO_CSMS],
            csm_names={u.email: u.full_name for u in DEMO_CSMS},
            progress=progress,
        )
        planted = frames.pop(PLAN_KEY)
        pending = pending_churners({PLAN_KEY: planted}, as_of)
        days = score_history_days(as_of)
        recorded = not no_import and _fates_recorded(list(pending["account_id"]))
        if no_import or recorded:
            # Drawn without a product (--no-import), or as the first run decided them (same draws, same help).
            known = pending
            helped = {} if no_import else treated_on_time(account_ids=list(pending["account_id"]))
        else:  # due before the first scored day: nobody could act in time, so nobody did
            known = pending[pending["planned_churn"] < pd.Timestamp(days[0])]
            helped = {}
        lost, saved = draw_fates(known, seed, helped)
        frames = apply_fates({**frames, PLAN_KEY: planted}, lost, saved)
        frames.pop(PLAN_KEY)
        files = book_to_csv_bytes(frames)
        for name, frame in frames.items():
            self.stdout.write(f"  {name}: {len(frame):,} rows")

        if write_csv:
            folder = Path(write_csv)
            folder.mkdir(parents=True, exist_ok=True)
            for name, raw in files.items():
                (folder / name).write_bytes(raw)
            self.stdout.write(f"Wrote {len(files)} CSV files to {folder}")

        if not no_import:
            self.stdout.write("Importing")
            result = import_files_recorded(files=files, source=f"seed_demo --accounts {accounts} --seed {seed}",
                                           progress=progress)
            report_import(self, result, "the demo book was not imported")
            self.stdout.write(f"Scoring the book on {len(days)} days up to {as_of} (history for trends)")
            read = texts_read_pending(progress=lambda n, total: progress("texts", n, total))
            self.stdout.write(f"  {read:,} customer texts read by the text reader")
            install_default_playbooks(Playbook, PlaybookStep)
            # A demo book is small: a quarter of each playbook's firings stay untreated, so the effectiveness
            # page has a control group to compare with (an admin can set the share back).
            Playbook.objects.filter(control_share__lt=DEMO_CONTROL_SHARE).update(control_share=DEMO_CONTROL_SHARE)
            csm_ids = list(User.objects.filter(username__in=[u.username for u in DEMO_CSMS])
                           .order_by("username").values_list("id", flat=True))
            for number, day in enumerate(days, 1):
                # The day as the schedule runs it, replayed: signals are detected and playbooks fire as they
                # would have that morning (dated then; signals only with 60 days of usage behind them), and the
                # CSMs work what fired.
                report = run_day(day, trigger="seed_demo", now=trigger_time(day, timezone.now()),
                                 rng=random.Random(f"{seed}-{day}"),
                                 signals=day >= as_of - dt.timedelta(days=SIGNAL_HISTORY_DAYS)).scores
                simulate_csm_work(fired_on=day, history_end=as_of, csm_ids=csm_ids, seed=seed)
                if not recorded:  # fates due before the next scored day: only what was done by now counts
                    until = pd.Timestamp(days[number] if number < len(days) else as_of)
                    due = pending[(pending["planned_churn"] >= pd.Timestamp(day)) & (pending["planned_churn"] < until)
                                  if number < len(days) else (pending["planned_churn"] >= pd.Timestamp(day))]
                    if len(due):
                        more_lost, more_saved = self._decide_due(frames=frames, planted=planted, due=due, seed=seed)
                        lost |= more_lost
                        saved |= more_saved
                progress("scores", number, len(days))
            helped = treated_on_time(account_ids=list(pending["account_id"]))
            due_on = dict(zip(pending["account_id"], pending["planned_churn"].dt.date, strict=True))
            timely = sum(1 for a in saved if a in helped and helped[a] < due_on[a])
            self.stdout.write(f"  planned churners due by {as_of}: {len(pending)}; {len(lost)} churned, "
                              f"{len(saved)} stayed ({timely} after timely help)")
            escalated = escalate_overdue_tasks(announce=False)
            moved = simulate_pipeline(as_of=as_of, seed=seed)
            run = report.run
            self.stdout.write(f"  as of {as_of}: {run.accounts_scored} accounts scored, "
                              f"{run.alerts_opened} open alert(s)")
            self.stdout.write(f"  playbooks: {Intervention.objects.count()} interventions over {len(days)} days, "
                              f"{escalated} late task(s) escalated")
            self.stdout.write(f"  expansion: {ExpansionSignal.objects.count()} signals, "
                              f"{Opportunity.objects.count()} opportunities ({moved} moved on in the pipeline)")
            views = seed_saved_views(manager=User.objects.get(username="manager"))
            self.stdout.write(f"  saved views: {views}, pinned to the demo users' home pages")

        self.stdout.write(self.style.SUCCESS(f"Demo book ready in {time.perf_counter() - started:.1f}s"))
        self.stdout.write("Demo logins (username / role / password):")
        for username, role, password in logins:
            self.stdout.write(f"  {username:<8} {role:<8} {password}")


def _fates_recorded(account_ids: list[str]) -> bool:
    """Whether a run before this one decided these planned churners (churned, or kept as retained)."""
    return Account.objects.filter(external_id__in=account_ids).filter(Q(churned=True) | Q(outcome="retained")).exists()


def _rows_of(frames: dict, planted: pd.DataFrame, ids: list[str]) -> dict:
    """The book's rows of some accounts only (with their planted row), as frames."""
    subs = frames["ravenstack_subscriptions.csv"]
    sub_ids = set(subs[subs["account_id"].isin(ids)]["subscription_id"])
    rows = {name: frame[frame["account_id"].isin(ids)] for name, frame in frames.items() if "account_id" in frame}
    usage = frames["ravenstack_feature_usage.csv"]
    rows["ravenstack_feature_usage.csv"] = usage[usage["subscription_id"].astype(str).isin(sub_ids)]
    rows[PLAN_KEY] = planted[planted["account_id"].isin(ids)]
    return rows


@transaction.atomic
def _remove_after_churn(before: dict, after: dict, lost: dict[str, dt.date]) -> None:
    """Delete what the decided rows no longer have: what is dated after a churn."""
    if not lost:
        return
    for model, filename, column in ((SupportTicket, "ravenstack_support_tickets.csv", "ticket_id"),
                                    (Touchpoint, "touchpoints.csv", "touchpoint_id"),
                                    (SurveyResponse, "surveys.csv", "survey_id"),
                                    (Invoice, "invoices.csv", "invoice_id")):
        gone = set(before[filename][column]) - set(after[filename][column])
        model.objects.filter(external_id__in=gone).delete()
    after_churn = Q()
    for account_id, day in lost.items():
        after_churn |= Q(subscription__account__external_id=account_id, date__gt=day)
    UsageRecord.objects.filter(after_churn).delete()
