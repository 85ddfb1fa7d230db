"""python manage.py recompute_scores [--as-of D] [--days N] [--workers N] [--scores-only]: recompute every
account's snapshot, then finish the day (workspace.daily: planner statistics, churn predictions by the active
model, the day's expansion signals, playbook firing).

Runs the batches in this process, or with --workers N in N forked processes (the daily schedule
and the web button spread them over Celery workers instead). --days N recomputes the N days up to
the as-of date, oldest first, so the trend of each day reads the day 30 days earlier.
"""

import datetime as dt

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.management.progress import ProgressPrinter
from healthcs.commands import DataCommand
from scoring.config import ConfigError
from scoring.services import recompute_scores
from workspace.daily import run_day


class Command(DataCommand):
    help = "Recompute health and churn-risk snapshots of all accounts as of a date (default: today)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None,
                            help="Score as of this date, YYYY-MM-DD (default: today).")
        parser.add_argument("--days", type=int, default=1, help="Also recompute the days before (default 1).")
        parser.add_argument("--batch-size", type=int, default=None,
                            help="Accounts per batch (default: a day's, SCORING_BATCH_SIZE, 5000; with "
                                 "--scores-only, SCORING_COMMAND_BATCH_SIZE, 25000).")
        parser.add_argument("--scores-only", action="store_true",
                            help="Scores and alerts only: no follow-up work (planner statistics, churn "
                                 "predictions, expansion signals, playbooks) after each day's recompute.")
        parser.add_argument("--workers", type=int, default=None,
                            help="Worker processes scoring batches at once, PostgreSQL only (default: "
                                 "SCORING_COMMAND_WORKERS: one per core, at most 4).")

    def handle(self, *args, as_of, days, batch_size, workers, verbosity, scores_only=False, **options):
        as_of = as_of or timezone.localdate()
        if days < 1:
            raise CommandError("--days must be at least 1")
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if workers is not None and workers < 1:
            raise CommandError("--workers must be at least 1")
        for offset in range(days - 1, -1, -1):
            day = as_of - dt.timedelta(days=offset)
            printer = ProgressPrinter(self.stdout.write, 10) if verbosity > 1 else None
            # A whole day reads the book's usage once for all its batches (forked workers inherit the read), so its
            # batches may be small: the schedule's size bounds what one process holds whatever the book's size.
            default_size = settings.SCORING_COMMAND_BATCH_SIZE if scores_only else settings.SCORING_BATCH_SIZE
            batches = {"batch_size": batch_size or default_size,
                       "workers": workers or settings.SCORING_COMMAND_WORKERS,
                       "progress": (lambda done, total, p=printer: p("batches", done, total)) if printer else None}
            try:
                day_report = None if scores_only else run_day(day, **batches)
                report = recompute_scores(as_of=day, **batches) if scores_only else day_report.scores
            except ConfigError as error:
                raise CommandError(f"The active scoring configuration is invalid: {error}") from error
            run = report.run
            self.stdout.write(
                f"As of {day}: {run.accounts_scored} accounts scored in {run.batches_total} batch(es), "
                f"{run.alerts_opened} new alert(s), {report.seconds:.1f} s (config v{run.config.version})"
            )
            if day_report is not None:
                if day_report.predicted:
                    self.stdout.write(f"  {day_report.predicted} churn prediction(s) by the active model")
                self.stdout.write(f"  {day_report.signals}")
                self.stdout.write(f"  {day_report.firing}")
