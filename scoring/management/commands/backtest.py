"""python manage.py backtest --as-of D [--horizon 90] [--rescore] [--config FILE] [--csv FILE]

How well the scores of date D foretold the churn of the next `horizon` days (docs/score-accuracy.md): the bands of every
predictor with "caught N of M churners", AUC, calibration by decile and the signals that preceded churn.
Reads the snapshots of D, or replays the rules over the raw tables dated up to D with --rescore (also when D
has no snapshots, and always with --config, whose configuration is only read, not stored). The churn model is
judged from its stored predictions of D, or (with --rescore, or none stored) the active model run on D; a D
inside the model's training range is marked in-sample.
"""

import csv
import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scoring.backtest import DEFAULT_HORIZON, MAX_HORIZON, Backtest, account_rows, run_backtest
from scoring.config import ConfigError, parse_config
from scoring.texts.service import texts_read_pending

TOP_SIGNALS = 12


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of must be a date as YYYY-MM-DD, not {text!r}") from None


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


class Command(BaseCommand):
    help = "Backtest the scores of a date against the churn that followed (docs/score-accuracy.md)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", required=True, help="The cut-off date, YYYY-MM-DD.")
        parser.add_argument("--horizon", type=int, default=DEFAULT_HORIZON,
                            help=f"Days after the cut-off in which churn counts (default {DEFAULT_HORIZON}).")
        parser.add_argument("--rescore", action="store_true",
                            help="Score the date from the raw tables instead of reading its snapshots.")
        parser.add_argument("--config", default=None, help="Rescore with this configuration JSON (implies --rescore).")
        parser.add_argument("--csv", default=None, help="Write one row per account to this CSV file.")

    def handle(self, *args, as_of, horizon, rescore, config, **options):
        cut_off = _date(as_of)
        if not 1 <= horizon <= MAX_HORIZON:
            raise CommandError(f"--horizon must be between 1 and {MAX_HORIZON} days, not {horizon}")
        parsed = self._config(config) if config else None
        if rescore or parsed is not None:
            texts_read_pending()  # the churn-intent rule reads the texts' readings
        result = run_backtest(as_of=cut_off, horizon=horizon, rescore=rescore or parsed is not None, config=parsed)
        if options["csv"]:
            self._write_csv(result, options["csv"])
        self._print(result)

    def _config(self, path: str):
        try:
            return parse_config(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        except ConfigError as error:
            for problem in error.problems:
                self.stderr.write(f"{path}: {problem}")
            raise CommandError(f"{path}: {len(error.problems)} problem(s); no backtest was run") from error

    def _write_csv(self, result: Backtest, path: str) -> None:
        header, rows = account_rows(result)
        try:
            with open(path, "w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow(header)
                writer.writerows(rows)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error}") from error
        self.stderr.write(f"Wrote {len(rows)} accounts to {path}")

    def _print(self, result: Backtest) -> None:
        write = self.stdout.write
        source = "stored snapshots" if result.source == "snapshots" else "rescored from the raw tables"
        write(f"Backtest as of {result.as_of}, churn within {result.horizon} days ({source})")
        write(f"Horizon: {result.status} (latest data {result.latest_data or 'none'})")
        write(f"Live accounts {result.accounts}, churners {result.churners}, base rate {_percent(result.base_rate)}")
        if not result.accounts:
            write("No live accounts at this date: nothing to judge.")
            return
        write("")
        write(f"{'Predictor':<26} {'Band':<20} {'Flagged':>8} {'Share':>7} {'Caught':>14} {'Recall':>7} "
              f"{'Precision':>9} {'F1':>5} {'Accuracy':>8} {'Lift':>5}")
        for predictor in result.predictors:
            for band in predictor.bands:
                marker = "  in-sample" if predictor.in_sample else ""
                write(f"{predictor.label[:26]:<26} {band.band:<20} {band.flagged:>8} {_percent(band.flagged_share):>7} "
                      f"{f'{band.caught} of {band.churners}':>14} {_percent(band.recall):>7} "
                      f"{_percent(band.precision):>9} {_number(band.f1):>5} {_percent(band.accuracy):>8} "
                      f"{_number(band.lift, 1):>5}{marker}")
        write("")
        for predictor in result.predictors:
            headline = predictor.headline
            caught = f"; {headline.band} {headline.caught_text}" if headline else ""
            write(f"{predictor.label}: AUC {_number(predictor.auc, 3)} over {predictor.scored} scored accounts "
                  f"({predictor.unscored} without a score){caught}")
            if predictor.in_sample:
                write(f"  {predictor.in_sample}")
            if predictor.calibration:
                cells = ", ".join(f"{b.decile}: {_percent(b.predicted)}→{_percent(b.observed)}"
                                  for b in predictor.calibration)
                write(f"  calibration by decile (predicted→observed): {cells}")
            if predictor.note:
                write(f"  {predictor.note}")
            if predictor.detail:
                write(f"  {predictor.detail}")
        if result.model_missing:
            write(f"Churn model: not judged. {result.model_missing}")
        write("")
        write("Signals that preceded churn (by lift):")
        if not result.signals:
            write("  none (no rule fired and no measure had data)")
        for signal in result.signals[:TOP_SIGNALS]:
            marked = "fired on" if signal.kind == "rule" else "worst quartile:"
            auc = f", AUC {_number(signal.auc, 3)}" if signal.kind == "measure" else ""
            write(f"  {signal.label:<34} {marked} {signal.accounts} accounts, "
                  f"churn rate {_percent(signal.churn_rate)}, lift {_number(signal.lift, 1)}, "
                  f"{_percent(signal.churner_share)} of churners{auc}")
