"""python manage.py refresh_text_analysis [--all] [--limit N]: read the waiting tickets and touchpoints with
the configured text reader in this process (the workers do it in the background otherwise). --all marks
every text as waiting first: after switching the LLM on or off."""

from django.core.management.base import BaseCommand, CommandError

from accounts.management.progress import ProgressPrinter
from scoring.texts.service import reader_name, texts_mark_unread, texts_read_pending


class Command(BaseCommand):
    help = "Read the tickets and touchpoints waiting for the text reader."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Read every text again.")
        parser.add_argument("--limit", type=int, default=None, help="Read at most this many texts.")

    def handle(self, *args, all: bool, limit: int | None, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1")
        if all:
            self.stdout.write(f"{texts_mark_unread():,} texts marked to be read again")
        printer = ProgressPrinter(self.stdout.write, 10)
        done = texts_read_pending(limit, progress=lambda n, total: printer("chunks", n, total))
        self.stdout.write(f"{done:,} texts read by {reader_name()}")
