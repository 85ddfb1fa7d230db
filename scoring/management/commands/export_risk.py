"""python manage.py export_risk --as-of D --level subscription|account --output FILE.csv [--config FILE.json|seed-001]

Scores the book as of the date (with the active configuration, or the one in --config, which is
only read, not stored) and writes the columns of docs/scoring.md.
"""

import datetime as dt

from django.core.management.base import CommandError

from healthcs.commands import DataCommand
from scoring.config import ConfigError, config_argument, parse_config
from scoring.configs import ensure_active_config
from scoring.exports import LEVELS, risk_export
from scoring.services import score_range
from scoring.texts.service import texts_read_pending


class Command(DataCommand):
    help = "Export churn risk and health per subscription or account as CSV (docs/scoring.md)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True, help="YYYY-MM-DD")
        parser.add_argument("--level", choices=LEVELS, required=True)
        parser.add_argument("--output", required=True, help="CSV file to write.")
        parser.add_argument("--config", default=None,
                            help="Score with this configuration instead: a JSON file or a preset (seed-001).")

    def handle(self, *args, as_of, level, output, config, **options):
        try:
            parsed = config_argument(config) if config else parse_config(ensure_active_config().data)
        except ConfigError as error:
            for problem in error.problems:
                self.stderr.write(f"{config}: {problem}")
            raise CommandError(f"{config}: {len(error.problems)} problem(s); nothing was exported") from error
        texts_read_pending()  # the churn-intent rule reads the texts' readings
        scores, _ = score_range(as_of=as_of, config=parsed)
        filters = {"as_of": as_of.isoformat(), "level": level, "config": config or "active"}
        try:
            with open(output, "w", newline="", encoding="utf-8") as out:
                count = risk_export(scores=scores, level=level, out=out, filters=filters)
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error}") from error
        self.stdout.write(f"Wrote {count} {level} rows as of {as_of} to {output}")
