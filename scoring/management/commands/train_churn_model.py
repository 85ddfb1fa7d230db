"""python manage.py train_churn_model [--as-of D]: train the churn model on the book's history up to D, print its
validation figures against the rules, and say whether it was activated and why."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from scoring.config import ConfigError
from scoring.model.training import train_churn_model


class Command(BaseCommand):
    help = "Train the churn model on the book's own history; activate it when it beats the rules."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None,
                            help="Use the history up to this date, YYYY-MM-DD (default: the latest usage day).")

    def handle(self, *args, as_of, **options):
        try:
            model = train_churn_model(as_of=as_of, trigger="command")
        except ConfigError as error:
            raise CommandError(f"The active scoring configuration is invalid: {error}") from error
        figures = model.validation
        self.stdout.write(f"Churn model v{model.version}: trained {model.trained_from} to {model.trained_to}, "
                          f"{model.rows} rows, {model.churners} followed by churn within 90 days")
        if "auc_model" in figures:
            self.stdout.write(
                f"  Validation: {figures['validation_rows']} rows, {figures['validation_churners']} churners; "
                f"AUC model {figures['auc_model']:.3f}, rules {figures['auc_rules']:.3f}; Brier "
                f"{figures['brier']:.3f}; top band precision {figures['top_band_precision']:.0%}, "
                f"recall {figures['top_band_recall']:.0%}")
        verdict = "Activated" if model.status == "active" else "Not activated"
        self.stdout.write(f"  {verdict}: {model.reason}")
