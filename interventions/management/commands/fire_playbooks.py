"""python manage.py fire_playbooks [--as-of D]: fire the active playbooks for a scoring date's snapshots
(default: the latest scored date). Idempotent: running it again for the same date adds nothing."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from interventions.firing import fire_playbooks
from scoring.services import latest_as_of


class Command(BaseCommand):
    help = "Fire the intervention playbooks for a scoring date (default: the latest scored date)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None,
                            help="The scoring date, YYYY-MM-DD (default: the latest date with snapshots).")

    def handle(self, *args, as_of, **options):
        as_of = as_of or latest_as_of()
        if as_of is None:
            raise CommandError("Nothing is scored yet: run recompute_scores first.")
        self.stdout.write(str(fire_playbooks(as_of=as_of)))
