"""python manage.py evaluate_analyzer [--file PATH] [--show-errors]

Runs the built-in text reader (scoring.texts) over the project's tuning set and its blind set (see
scoring.texts.evaluation), or over one labelled CSV given with --file, and prints precision, recall and F1 of churn
intent (overall and per language), category accuracy with a confusion summary, and the throughput on one core.
Exits with status 1 when the tuning set's churn-intent F1 is below 0.9, or the blind set's churn-intent F1 below
0.85 or its category accuracy below 0.80.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scoring.texts.evaluation import (
    BLIND_MIN_CATEGORY_ACCURACY,
    BLIND_MIN_CHURN_F1,
    BLIND_SET,
    TUNING_MIN_CHURN_F1,
    TUNING_SET,
    Evaluation,
    LabelledSetError,
    evaluate,
    load_labelled_texts,
)
from scoring.texts.reading import CATEGORIES


class Command(BaseCommand):
    help = "Measure the built-in text reader on the tuning set and the blind set (or one labelled CSV): " \
           "churn-intent precision, recall and F1, category accuracy and throughput (docs/text-intelligence.md)."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=None,
                            help="One labelled CSV (text, churn_intent, category, language, note) instead of the "
                                 "project's two sets.")
        parser.add_argument("--show-errors", action="store_true",
                            help="List every text the reader got wrong (never for the blind set: looking at its "
                                 "errors makes it tuning data).")

    def handle(self, *args, file, show_errors, **options):
        sets = [("labelled set", Path(file), 0.0, 0.0)] if file else [
            ("tuning set", TUNING_SET, TUNING_MIN_CHURN_F1, 0.0),
            ("blind set", BLIND_SET, BLIND_MIN_CHURN_F1, BLIND_MIN_CATEGORY_ACCURACY)]
        failures = []
        for name, path, min_f1, min_accuracy in sets:
            try:
                result = evaluate(load_labelled_texts(path))
            except LabelledSetError as error:
                raise CommandError(str(error)) from error
            if show_errors and name != "blind set":
                self._write_errors(result)
            self._write_scores(name, path, result)
            if result.churn.f1 < min_f1:
                failures.append(f"{name}: churn-intent F1 {result.churn.f1:.3f} is below {min_f1}")
            if result.category_accuracy < min_accuracy:
                failures.append(f"{name}: category accuracy {result.category_accuracy:.3f} is below {min_accuracy}")
        if failures:
            raise CommandError("; ".join(failures), returncode=1)

    def _write_scores(self, name: str, path: Path, result: Evaluation) -> None:
        out = self.stdout.write
        out(f"== {name}: {result.count} labelled texts ({path.name})")
        out("")
        out("Churn intent        precision  recall     F1   TP   FP   FN  texts")
        rows = [("overall", result.churn)] + list(result.churn_by_language.items())
        for name, s in rows:
            out(f"  {name:<17} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} {s.true_positives:>4} "
                f"{s.false_positives:>4} {s.false_negatives:>4} {s.count:>6}")
        out("")
        out(f"Category accuracy   {result.category_accuracy:.3f} ({result.category_correct} of {result.count})")
        out("  label                   texts  correct  recall  most often confused with")
        for label in CATEGORIES:
            total = sum(n for (expected, _), n in result.category_confusion.items() if expected == label)
            if not total:
                continue
            right = result.category_confusion[(label, label)]
            wrong = sorted(((n, predicted) for (expected, predicted), n in result.category_confusion.items()
                            if expected == label and predicted != label), reverse=True)[:3]
            confused = ", ".join(f"{predicted} ({n})" for n, predicted in wrong) or "-"
            out(f"  {label:<22} {total:>6} {right:>8} {right / total:>7.2f}  {confused}")
        out("")
        out(f"Throughput          {result.texts_per_second:,.0f} texts per second on one core "
            f"({result.count} texts in {result.seconds:.2f} s)")
        out("")

    def _write_errors(self, result: Evaluation) -> None:
        out = self.stdout.write
        out(f"{len(result.errors)} texts read differently from their labels:")
        for item, analysis in result.errors:
            problems = []
            if item.churn_intent != analysis.churn_intent:
                problems.append("missed churn intent" if item.churn_intent
                                else f"false churn intent ({analysis.intent_phrase!r})")
            if item.category != analysis.category:
                problems.append(f"category {analysis.category}, labelled {item.category}")
            text = " ".join(item.text.split())
            out(f"  [{item.language}] {'; '.join(problems)}: {text[:160]}")
        out("")
