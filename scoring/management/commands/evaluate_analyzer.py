"""python manage.py evaluate_analyzer [--file PATH] [--show-errors]

Runs the built-in text analyser (scoring.analysis.analyse) over a labelled set of customer texts (by default
the project's own, tests/data/analyzer_eval.csv: columns text, churn_intent, category, language, note) and
prints precision, recall and F1 of churn intent (overall and per language), category accuracy with a
confusion summary, and the throughput on one core. Exits with status 1 when churn-intent F1 is below 0.9.
"""

import csv
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from scoring.analysis import CATEGORIES, Analysis, analyse

DEFAULT_FILE = Path(settings.BASE_DIR) / "tests" / "data" / "analyzer_eval.csv"
MIN_CHURN_F1 = 0.9
_YES = {"yes", "1", "true"}
_NO = {"no", "0", "false"}


@dataclass(frozen=True)
class LabelledText:
    text: str
    churn_intent: bool
    category: str
    language: str
    note: str = ""


@dataclass
class BinaryScores:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    true_negatives: int = 0

    def add(self, expected: bool, predicted: bool) -> None:
        if expected and predicted:
            self.true_positives += 1
        elif predicted:
            self.false_positives += 1
        elif expected:
            self.false_negatives += 1
        else:
            self.true_negatives += 1

    @property
    def count(self) -> int:
        return self.true_positives + self.false_positives + self.false_negatives + self.true_negatives

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 0.0

    @property
    def recall(self) -> float:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Evaluation:
    churn: BinaryScores
    churn_by_language: dict[str, BinaryScores]
    category_correct: int
    category_confusion: Counter  # (expected, predicted) -> count
    seconds: float
    errors: list[tuple[LabelledText, Analysis]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return self.churn.count

    @property
    def category_accuracy(self) -> float:
        return self.category_correct / self.count if self.count else 0.0

    @property
    def texts_per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


def load_labelled_texts(path: Path) -> list[LabelledText]:
    """The rows of a labelled CSV; CommandError naming the line when a label is not understood."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as source:
            reader = csv.DictReader(source)
            missing = {"text", "churn_intent", "category", "language"} - set(reader.fieldnames or ())
            if missing:
                raise CommandError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
            rows = []
            for row in reader:
                intent = (row["churn_intent"] or "").strip().lower()
                category = (row["category"] or "").strip()
                if intent not in _YES | _NO or category not in CATEGORIES:
                    raise CommandError(f"{path}, line {reader.line_num}: churn_intent must be yes or no and "
                                       f"category one of {', '.join(CATEGORIES)}")
                rows.append(LabelledText(text=row["text"] or "", churn_intent=intent in _YES, category=category,
                                         language=(row["language"] or "").strip(), note=row.get("note") or ""))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CommandError(f"Cannot read {path}: {error}") from error
    if not rows:
        raise CommandError(f"{path} has no rows")
    return rows


def evaluate(items: list[LabelledText], analyser: Callable[[str], Analysis] = analyse) -> Evaluation:
    """How the analyser's readings of the texts compare with their labels, and how long they took."""
    analyser("Warm-up: the sentiment lexicon loads on first use.")
    started = time.perf_counter()
    results = [analyser(item.text) for item in items]
    seconds = time.perf_counter() - started
    churn, by_language = BinaryScores(), {}
    confusion: Counter = Counter()
    errors = []
    for item, result in zip(items, results, strict=True):
        churn.add(item.churn_intent, result.churn_intent)
        by_language.setdefault(item.language, BinaryScores()).add(item.churn_intent, result.churn_intent)
        confusion[(item.category, result.category)] += 1
        if item.churn_intent != result.churn_intent or item.category != result.category:
            errors.append((item, result))
    correct = sum(n for (expected, predicted), n in confusion.items() if expected == predicted)
    return Evaluation(churn=churn, churn_by_language=dict(sorted(by_language.items())), category_correct=correct,
                      category_confusion=confusion, seconds=seconds, errors=errors)


class Command(BaseCommand):
    help = "Measure the built-in text analyser on a labelled set: churn-intent precision, recall and F1, category " \
           "accuracy and throughput (SPEC §2f)."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(DEFAULT_FILE),
                            help="Labelled CSV (text, churn_intent, category, language, note).")
        parser.add_argument("--show-errors", action="store_true", help="List every text the analyser got wrong.")

    def handle(self, *args, file, show_errors, **options):
        result = evaluate(load_labelled_texts(Path(file)))
        if show_errors:
            self._write_errors(result)
        self._write_scores(result)
        if result.churn.f1 < MIN_CHURN_F1:
            raise CommandError(f"Churn-intent F1 {result.churn.f1:.3f} is below {MIN_CHURN_F1}", returncode=1)

    def _write_scores(self, result: Evaluation) -> None:
        out = self.stdout.write
        out(f"{result.count} labelled texts from the set")
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
