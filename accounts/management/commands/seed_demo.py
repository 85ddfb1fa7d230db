"""`manage.py seed_demo`: generate the deterministic demo book and import it like any customer data.

The demo users are created (or reset) first, the three demo CSMs get the accounts, and the book goes
through the ordinary validated import, so re-running with the same arguments changes nothing. The book
is then scored weekly over 120 days; after each scored day the playbooks fire and the demo CSMs work
what fired (interventions.demo), so the queue, timelines and effectiveness page start with history.
"""

import datetime as dt
import random
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.demo.generator import book_to_csv_bytes, generate_book
from accounts.demo.users import DEMO_CSMS, ensure_demo_users
from accounts.management.progress import ProgressPrinter, report_import
from accounts.models import User
from accounts.services import import_files_recorded
from expansion.demo import simulate_pipeline
from expansion.models import ExpansionSignal, Opportunity
from expansion.signals import detect_signals
from interventions.defaults import install_default_playbooks
from interventions.demo import simulate_csm_work
from interventions.firing import fire_playbooks
from interventions.models import Intervention, Playbook, PlaybookStep
from interventions.services import escalate_overdue_tasks
from scoring.services import recompute_scores
from scoring.texts.service import texts_read_pending

BIG_BOOK = 2000
SIGNAL_HISTORY_DAYS = 70  # signals compare 30 days with the 30 before: the 130 days of usage allow 70 days
HISTORY_WEEKS = 17  # weekly snapshots over the last 120 days, plus the day 30 days back (trend)


def score_history_days(as_of: dt.date) -> list[dt.date]:
    """The days the demo is scored on, oldest first: weekly for 120 days, 30 days back, and as_of."""
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
            days = score_history_days(as_of)
            self.stdout.write(f"Scoring the book on {len(days)} days up to {as_of} (history for trends)")
            read = texts_read_pending(progress=lambda n, total: progress("texts", n, total))
            self.stdout.write(f"  {read:,} customer texts read by the text reader")
            install_default_playbooks(Playbook, PlaybookStep)
            csm_ids = list(User.objects.filter(username__in=[u.username for u in DEMO_CSMS])
                           .order_by("username").values_list("id", flat=True))
            for number, day in enumerate(days, 1):
                report = recompute_scores(as_of=day, trigger="seed_demo")
                # Signals are detected and playbooks fire as they would have that morning (dated then), and
                # the CSMs work what fired.
                morning = timezone.make_aware(dt.datetime.combine(day, dt.time(7)))
                if day >= as_of - dt.timedelta(days=SIGNAL_HISTORY_DAYS):  # 60 days of usage behind it
                    detect_signals(as_of=day, now=morning if day < timezone.localdate() else None)
                fire_playbooks(as_of=day, rng=random.Random(f"{seed}-{day}"))
                simulate_csm_work(fired_on=day, history_end=as_of, csm_ids=csm_ids, seed=seed)
                progress("scores", number, len(days))
            escalated = escalate_overdue_tasks(announce=False)
            moved = simulate_pipeline(as_of=as_of, seed=seed)
            run = report.run
            self.stdout.write(f"  as of {as_of}: {run.accounts_scored} accounts scored, "
                              f"{run.alerts_opened} open alert(s)")
            self.stdout.write(f"  playbooks: {Intervention.objects.count()} interventions over {len(days)} days, "
                              f"{escalated} late task(s) escalated")
            self.stdout.write(f"  expansion: {ExpansionSignal.objects.count()} signals, "
                              f"{Opportunity.objects.count()} opportunities ({moved} moved on in the pipeline)")

        self.stdout.write(self.style.SUCCESS(f"Demo book ready in {time.perf_counter() - started:.1f}s"))
        self.stdout.write("Demo logins (username / role / password):")
        for username, role, password in logins:
            self.stdout.write(f"  {username:<8} {role:<8} {password}")
