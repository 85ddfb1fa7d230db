"""The built-in analyser measured on the project's labelled set (SPEC §2f): `manage.py evaluate_analyzer`,
and the floor CI holds it to (churn-intent F1 at least 0.9)."""

import io
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from scoring import text_signals
from scoring.analysis import CATEGORIES, analyse
from scoring.management.commands.evaluate_analyzer import (
    DEFAULT_FILE,
    MIN_CHURN_F1,
    LabelledText,
    evaluate,
    load_labelled_texts,
)
from scoring.text_signals import CHURN_KEYWORDS, analyse_text

HEADER = "text,churn_intent,category,language,note\n"


@pytest.fixture(scope="module")
def labelled():
    return load_labelled_texts(DEFAULT_FILE)


@pytest.fixture(scope="module")
def result(labelled):
    return evaluate(labelled)


def write_set(path: Path, *rows: str) -> Path:
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


# The set ----------------------------------------------------------------------------------------------

def test_the_set_is_large_about_two_fifths_churn_intent_and_at_least_a_quarter_german(labelled):
    languages = Counter(item.language for item in labelled)

    assert len(labelled) >= 360
    assert 0.35 <= sum(item.churn_intent for item in labelled) / len(labelled) <= 0.45
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


# The analyser on the set --------------------------------------------------------------------------------

def test_churn_intent_f1_on_the_set_is_at_least_the_floor(result):
    assert result.churn.f1 >= MIN_CHURN_F1, (result.churn.precision, result.churn.recall)
    for language, scores in result.churn_by_language.items():
        assert scores.f1 >= MIN_CHURN_F1, language


def test_category_accuracy_on_the_set_is_at_least_0_8(result):
    assert result.category_accuracy >= 0.8


def test_throughput_is_measured_over_every_text(result, labelled):
    assert result.count == len(labelled)
    assert result.seconds > 0
    assert result.texts_per_second == result.count / result.seconds


def test_every_phrase_the_rules_match_in_the_set_holds_a_prefilter_keyword(labelled):
    # Texts (and sentences) without one of CHURN_KEYWORDS never reach the phrase rules, so a rule whose phrase
    # holds no keyword would silently never fire. Checked on the rules themselves, before that shortcut.
    for item in labelled:
        for sentence in text_signals._SENTENCE_BREAK.split(item.text.replace("\u2019", "'")):
            for match in text_signals._INTENT.finditer(sentence):
                assert any(keyword in match.group(0).lower() for keyword in CHURN_KEYWORDS), match.group(0)


def test_the_scoring_runs_reading_matches_the_analysers_on_every_text_of_the_set(labelled):
    for item in labelled:
        assert analyse_text("", item.text)["intent_phrase"] == analyse(item.text).intent_phrase, item.text


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


# The command -------------------------------------------------------------------------------------------

def test_the_command_prints_the_scores_of_the_projects_set():
    out = io.StringIO()

    call_command("evaluate_analyzer", stdout=out)

    text = out.getvalue()
    assert "labelled texts from the set" in text
    assert "  overall " in text and "  de " in text and "  en " in text
    assert "Category accuracy" in text
    assert "texts per second on one core" in text


def test_the_command_prints_exact_scores_for_a_given_file(tmp_path):
    path = write_set(tmp_path / "set.csv", "We won't renew.,yes,account_cancellation,en,",
                     "Please cancel the meeting.,no,other,en,look-alike")
    out = io.StringIO()

    call_command("evaluate_analyzer", "--file", str(path), stdout=out)

    lines = out.getvalue().splitlines()
    assert "  overall               1.000   1.000  1.000    1    0    0      2" in lines
    assert "Category accuracy   1.000 (2 of 2)" in lines


def test_show_errors_lists_each_text_read_differently_from_its_label(tmp_path):
    path = write_set(tmp_path / "set.csv", "We won't renew.,yes,account_cancellation,en,",
                     "Please cancel the meeting.,no,billing,en,")
    out = io.StringIO()

    call_command("evaluate_analyzer", "--file", str(path), "--show-errors", stdout=out)

    assert "  [en] category other, labelled billing: Please cancel the meeting." in out.getvalue().splitlines()


def test_the_command_exits_with_status_1_when_churn_intent_f1_is_below_the_floor(tmp_path):
    path = write_set(tmp_path / "set.csv", "We won't renew.,yes,account_cancellation,en,",
                     "The weather is nice.,yes,account_cancellation,en,", "All good here.,yes,account_cancellation,en,")
    out = io.StringIO()

    with pytest.raises(CommandError, match=r"Churn-intent F1 0\.500 is below 0\.9") as raised:
        call_command("evaluate_analyzer", "--file", str(path), stdout=out)

    assert raised.value.returncode == 1
    assert "  overall               1.000   0.333  0.500    1    0    2      3" in out.getvalue().splitlines()


@pytest.mark.parametrize(("content", "message"), [
    (HEADER + "We won't renew.,maybe,account_cancellation,en,\n", r"line 2: churn_intent must be yes or no"),
    (HEADER + "We won't renew.,yes,churn,en,\n", r"line 2: .*category one of"),
    ("text,label\nWe won't renew.,yes\n", r"missing column\(s\) category, churn_intent, language"),
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
