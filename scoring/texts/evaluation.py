"""Measuring a text reader on labelled sets (`manage.py evaluate_analyzer`, and the tests that hold the reader
to its targets).

Two sets ship in tests/data (columns text, churn_intent, category, language, note):
- analyzer_eval.csv, the tuning set: the rules were written and corrected against it, so its figures show
  only that the rules do what their authors meant.
- analyzer_blind.csv, the blind set: written in one go by someone who had not seen the rules, before anyone
  looked at the reader's errors on it, and never tuned on. Its figures are the evidence; CI fails below
  BLIND_MIN_CHURN_F1 and BLIND_MIN_CATEGORY_ACCURACY. Once anyone tunes on its errors it becomes tuning data and
  must be replaced by a fresh blind set.
"""

import csv
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from scoring.texts.reader import DEFAULT_COMPETITORS, Lexicon, read
from scoring.texts.reading import CATEGORIES, Reading

TUNING_SET = Path(settings.BASE_DIR) / "tests" / "data" / "analyzer_eval.csv"
BLIND_SET = Path(settings.BASE_DIR) / "tests" / "data" / "analyzer_blind.csv"
TUNING_MIN_CHURN_F1 = 0.9
BLIND_MIN_CHURN_F1 = 0.85
BLIND_MIN_CATEGORY_ACCURACY = 0.80
_YES = {"yes", "1", "true"}
_NO = {"no", "0", "false"}


class LabelledSetError(Exception):
    """A labelled set that cannot be read; the message names the file and line."""


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
    errors: list[tuple[LabelledText, Reading]] = field(default_factory=list)

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
    """The rows of a labelled CSV; LabelledSetError naming the line when a label is not understood."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as source:
            reader = csv.DictReader(source)
            missing = {"text", "churn_intent", "category", "language"} - set(reader.fieldnames or ())
            if missing:
                raise LabelledSetError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
            rows = []
            for row in reader:
                intent = (row["churn_intent"] or "").strip().lower()
                category = (row["category"] or "").strip()
                if intent not in _YES | _NO or category not in CATEGORIES:
                    raise LabelledSetError(f"{path}, line {reader.line_num}: churn_intent must be yes or no and "
                                       f"category one of {', '.join(CATEGORIES)}")
                rows.append(LabelledText(text=row["text"] or "", churn_intent=intent in _YES, category=category,
                                         language=(row["language"] or "").strip(), note=row.get("note") or ""))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise LabelledSetError(f"Cannot read {path}: {error}") from error
    if not rows:
        raise LabelledSetError(f"{path} has no rows")
    return rows


SHIPPED_LEXICON = Lexicon(competitors=DEFAULT_COMPETITORS)


def read_as_shipped(text: str) -> Reading:
    """The built-in reader with the competitor list a new installation starts with."""
    return read(text, SHIPPED_LEXICON)


def evaluate(items: list[LabelledText], analyser: Callable[[str], Reading] = read_as_shipped) -> Evaluation:
    """How the analyser's readings of the texts compare with their labels, and how long they took."""
    analyser("Warm-up: lexicons load on first use.")
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
