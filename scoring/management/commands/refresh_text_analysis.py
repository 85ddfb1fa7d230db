"""python manage.py refresh_text_analysis [--all] [--limit N]: read the waiting tickets and touchpoints with
the configured text analyser in this process (the workers do it in the background otherwise). --all
marks every text as waiting first: after switching the LLM provider on or off."""

from django.core.management.base import BaseCommand, CommandError

from accounts.management.progress import ProgressPrinter
from scoring.text_analysis import analyse_pending, current_analyser, reset_all


class Command(BaseCommand):
    help = "Analyse the tickets and touchpoints waiting for the text analyser."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Read every text again.")
        parser.add_argument("--limit", type=int, default=None, help="Read at most this many texts.")

    def handle(self, *args, all: bool, limit: int | None, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1")
        if all:
            self.stdout.write(f"{reset_all():,} texts marked to be read again")
        printer = ProgressPrinter(self.stdout.write, 10)
        done = analyse_pending(limit, progress=lambda n, total: printer("batches", n, total))
        self.stdout.write(f"{done:,} texts read by {current_analyser()}")
