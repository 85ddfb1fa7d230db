"""The built-in reader measured on labelled sets (docs/text-intelligence.md, scoring.texts.evaluation): `manage.py
evaluate_analyzer` over the tuning set and the blind set (here a small temporary blind set: the real one is
tested on its own), or one given file, and the floor CI holds the reader to on the tuning set (churn-intent F1
at least 0.9)."""

import io
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import SupportTicket
from scoring.management.commands import evaluate_analyzer
from scoring.texts.evaluation import (
    TUNING_MIN_CHURN_F1,
    TUNING_SET,
    LabelledSetError,
    LabelledText,
    evaluate,
    load_labelled_texts,
    read_as_shipped,
)
from scoring.texts.reader import read
from scoring.texts.reading import CATEGORIES
from scoring.texts.service import lexicon, texts_read_pending
from tests.factories import AccountFactory

HEADER = "text,churn_intent,category,language,note\n"
GOOD_ROWS = ("We won't renew.,yes,account_cancellation,en,", "Please cancel the meeting.,no,other,en,look-alike")


@pytest.fixture(scope="module")
def labelled():
    return load_labelled_texts(TUNING_SET)


@pytest.fixture(scope="module")
def result(labelled):
    return evaluate(labelled)


def write_set(path: Path, *rows: str) -> Path:
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def blind_set(tmp_path, monkeypatch) -> Path:
    """A small blind set in place of the project's (two texts the reader gets right)."""
    path = write_set(tmp_path / "blind.csv", *GOOD_ROWS)
    monkeypatch.setattr(evaluate_analyzer, "BLIND_SET", path)
    return path


# The tuning set ---------------------------------------------------------------------------------------

def test_the_set_is_large_about_a_third_churn_intent_and_at_least_a_quarter_german(labelled):
    languages = Counter(item.language for item in labelled)

    assert len(labelled) >= 1500
    assert 0.30 <= sum(item.churn_intent for item in labelled) / len(labelled) <= 0.45
    assert set(languages) == {"en", "de"}
    assert languages["de"] / len(labelled) >= 0.25
    assert len({item.text for item in labelled}) == len(labelled)


def test_every_category_is_labelled_and_churn_intent_rows_are_account_cancellation(labelled):
    assert {item.category for item in labelled} == set(CATEGORIES)
    assert {item.category for item in labelled if item.churn_intent} == {"account_cancellation"}


def test_both_languages_carry_both_classes_and_hard_negatives(labelled):
    for language in ("en", "de"):
        rows = [item for item in labelled if item.language == language]
        assert sum(item.churn_intent for item in rows) >= 0.3 * len(rows)
        assert sum(not item.churn_intent for item in rows) >= 0.5 * len(rows)
    hard = [item for item in labelled if not item.churn_intent and any(
        word in item.note.lower() for word in ("negation", "verneinung", "look-alike", "conditional", "bedingung"))]
    assert len(hard) >= 80


# The reader on the tuning set ---------------------------------------------------------------------------

def test_churn_intent_f1_on_the_set_is_at_least_the_floor(result):
    assert result.churn.f1 >= TUNING_MIN_CHURN_F1, (result.churn.precision, result.churn.recall)
    for language, scores in result.churn_by_language.items():
        assert scores.f1 >= TUNING_MIN_CHURN_F1, language


def test_category_accuracy_on_the_set_is_at_least_0_8(result):
    assert result.category_accuracy >= 0.8


def test_throughput_is_measured_over_every_text(result, labelled):
    assert result.count == len(labelled)
    assert result.seconds > 0
    assert result.texts_per_second == result.count / result.seconds


@pytest.mark.django_db
@pytest.mark.usefixtures("migration_defaults")
def test_what_scoring_reads_is_the_readers_reading_on_every_text_of_the_set(labelled, settings):
    # The evaluation measures read() with the shipped competitors; scoring reads what the service stored. Both
    # must be the same reading, or the figures say nothing about the scores.
    settings.ANALYSER_LLM_URL = ""
    account = AccountFactory()
    SupportTicket.objects.bulk_create([
        SupportTicket(external_id=f"T-{n}", account=account, submitted_at="2025-03-01T10:00:00Z", subject="",
                      body=item.text) for n, item in enumerate(labelled)])

    assert texts_read_pending() == len(labelled)

    stored = {external_id: (phrase, category, competitors) for external_id, phrase, category, competitors in
              SupportTicket.objects.values_list("external_id", "intent_phrase", "category", "competitors")}
    for n, item in enumerate(labelled):
        reading = read(item.text.strip(), lexicon())
        assert stored[f"T-{n}"] == (reading.intent_phrase, reading.category, reading.competitors), item.text
        assert bool(reading.intent_phrase) == read_as_shipped(item.text).churn_intent, item.text


# evaluate() on a small set -----------------------------------------------------------------------------

def test_evaluate_counts_hits_misses_and_false_alarms_per_language():
    items = [LabelledText("We won't renew.", True, "account_cancellation", "en"),
             LabelledText("Please cancel the meeting.", False, "other", "en"),
             LabelledText("The weather is nice, see you next week.", True, "account_cancellation", "en"),
             LabelledText("Wir kündigen den Vertrag.", True, "account_cancellation", "de")]

    result = evaluate(items)

    assert (result.churn.true_positives, result.churn.false_positives, result.churn.false_negatives) == (2, 0, 1)
    assert (result.churn.precision, result.churn.recall) == (1.0, 2 / 3)
    assert result.churn.f1 == pytest.approx(0.8)
    assert result.churn_by_language["de"].f1 == 1.0
    assert result.churn_by_language["en"].recall == 0.5
    assert result.category_correct == 3
    assert result.category_confusion[("account_cancellation", "other")] == 1
    assert [item.text for item, _ in result.errors] == ["The weather is nice, see you next week."]


def test_evaluate_reads_with_the_shipped_competitor_list():
    item = LabelledText("We are moving to PraxisPro next month.", True, "account_cancellation", "en")

    result = evaluate([item])

    assert result.churn.true_positives == 1
    assert read_as_shipped(item.text).competitors == ["PraxisPro"]


@pytest.mark.parametrize(("content", "message"), [
    (HEADER + "We won't renew.,maybe,account_cancellation,en,\n", r"line 2: churn_intent must be yes or no"),
    (HEADER + "We won't renew.,yes,churn,en,\n", r"line 2: .*category one of"),
    ("text,label\nWe won't renew.,yes\n", r"missing column\(s\) category, churn_intent, language"),
    (HEADER, r"has no rows"),
])
def test_a_set_that_cannot_be_read_is_named_with_the_problem(tmp_path, content, message):
    path = tmp_path / "set.csv"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(LabelledSetError, match=message):
        load_labelled_texts(path)


# The command -------------------------------------------------------------------------------------------

def test_the_command_prints_the_scores_of_the_tuning_set_and_the_blind_set(blind_set, labelled):
    out = io.StringIO()

    call_command("evaluate_analyzer", stdout=out)

    text = out.getvalue()
    assert f"== tuning set: {len(labelled)} labelled texts (analyzer_eval.csv)" in text
    assert "== blind set: 2 labelled texts (blind.csv)" in text
    assert text.index("== tuning set") < text.index("== blind set")
    assert "  overall " in text and "  de " in text and "  en " in text
    assert "Category accuracy" in text
    assert "texts per second on one core" in text


def test_the_command_prints_exact_scores_for_a_given_file(tmp_path):
    path = write_set(tmp_path / "set.csv", *GOOD_ROWS)
    out = io.StringIO()

    call_command("evaluate_analyzer", "--file", str(path), stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "== labelled set: 2 labelled texts (set.csv)"
    assert "  overall               1.000   1.000  1.000    1    0    0      2" in lines
    assert "Category accuracy   1.000 (2 of 2)" in lines
    assert "== tuning set" not in out.getvalue()


def test_a_given_file_is_measured_without_a_floor(tmp_path):
    path = write_set(tmp_path / "set.csv", "We won't renew.,yes,account_cancellation,en,",
                     "The weather is nice.,yes,account_cancellation,en,", "All good here.,yes,account_cancellation,en,")
    out = io.StringIO()

    call_command("evaluate_analyzer", "--file", str(path), stdout=out)

    assert "  overall               1.000   0.333  0.500    1    0    2      3" in out.getvalue().splitlines()


def test_show_errors_lists_each_text_read_differently_from_its_label(tmp_path):
    path = write_set(tmp_path / "set.csv", "We won't renew.,yes,account_cancellation,en,",
                     "Please cancel the meeting.,no,billing,en,")
    out = io.StringIO()

    call_command("evaluate_analyzer", "--file", str(path), "--show-errors", stdout=out)

    assert "  [en] category other, labelled billing: Please cancel the meeting." in out.getvalue().splitlines()


def test_show_errors_never_lists_the_blind_sets_errors(blind_set):
    write_set(blind_set, "We won't renew.,yes,account_cancellation,en,", "Please cancel the meeting.,no,billing,en,",
              "Thanks for the call.,yes,account_cancellation,en,")
    out = io.StringIO()

    with pytest.raises(CommandError):
        call_command("evaluate_analyzer", "--show-errors", stdout=out)

    text = out.getvalue()
    assert "texts read differently from their labels" in text  # the tuning set's errors
    assert "Please cancel the meeting." not in text and "Thanks for the call." not in text


def test_the_command_exits_with_status_1_when_the_tuning_sets_churn_f1_is_below_the_floor(tmp_path, blind_set,
                                                                                          monkeypatch):
    tuning = write_set(tmp_path / "tuning.csv", "We won't renew.,yes,account_cancellation,en,",
                       "The weather is nice.,yes,account_cancellation,en,",
                       "All good here.,yes,account_cancellation,en,")
    monkeypatch.setattr(evaluate_analyzer, "TUNING_SET", tuning)
    out = io.StringIO()

    with pytest.raises(CommandError, match=r"^tuning set: churn-intent F1 0\.500 is below 0\.9$") as raised:
        call_command("evaluate_analyzer", stdout=out)

    assert raised.value.returncode == 1
    assert "  overall               1.000   0.333  0.500    1    0    2      3" in out.getvalue().splitlines()
    assert "== blind set" in out.getvalue()  # both sets are measured before the command fails


def test_the_command_exits_with_status_1_below_the_blind_sets_floors(blind_set):
    write_set(blind_set, "We won't renew.,yes,account_cancellation,en,",
              "Please cancel the meeting.,no,billing,en,", "Thanks for the invoice.,no,onboarding,en,",
              "The weather is nice.,yes,account_cancellation,en,")

    with pytest.raises(CommandError) as raised:
        call_command("evaluate_analyzer", stdout=io.StringIO())

    assert raised.value.returncode == 1
    assert str(raised.value) == ("blind set: churn-intent F1 0.667 is below 0.85; "
                                 "blind set: category accuracy 0.250 is below 0.8")


def test_a_missing_blind_set_is_a_command_error(tmp_path, monkeypatch):
    monkeypatch.setattr(evaluate_analyzer, "BLIND_SET", tmp_path / "analyzer_blind.csv")

    with pytest.raises(CommandError, match=r"Cannot read .*analyzer_blind\.csv"):
        call_command("evaluate_analyzer", stdout=io.StringIO())


@pytest.mark.parametrize(("content", "message"), [
    (HEADER + "We won't renew.,maybe,account_cancellation,en,\n", r"line 2: churn_intent must be yes or no"),
    (HEADER, r"has no rows"),
])
def test_a_set_the_command_cannot_read_is_named_with_the_problem(tmp_path, content, message):
    path = tmp_path / "set.csv"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(CommandError, match=message):
        call_command("evaluate_analyzer", "--file", str(path), stdout=io.StringIO())


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("evaluate_analyzer", "--file", str(tmp_path / "missing.csv"), stdout=io.StringIO())
