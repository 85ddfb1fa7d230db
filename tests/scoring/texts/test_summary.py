"""summarise(): the informative sentence, not the greeting."""

from scoring.texts.reading import Evidence
from scoring.texts.summary import summarise

EMAIL = ("Hi Anna,\n\nI hope you had a lovely weekend and that the conference went well. We have been using the "
         "scheduling module for three years now. After the board meeting, we have decided to cancel our "
         "subscription at the end of the term. Please confirm the notice period.\n\nBest regards,\nTom Baker\n"
         "Clinic Manager")


def test_it_picks_the_churn_sentence_from_the_middle():
    start = EMAIL.index("we have decided")
    end = start + len("we have decided to cancel our subscription")
    summary = summarise(EMAIL, [Evidence("churn_intent", EMAIL[start:end], start, end)])
    assert summary == "After the board meeting, we have decided to cancel our subscription at the end of the term."


def test_without_evidence_it_skips_the_greeting():
    assert summarise("Hallo zusammen,\nDie Terminerinnerungen kommen doppelt an.", []) == (
        "Die Terminerinnerungen kommen doppelt an.")


def test_it_cuts_at_a_word():
    summary = summarise("word " * 100, [])
    assert len(summary) <= 200 and summary.endswith("word…")


def test_it_ignores_quoted_replies():
    text = "The export works again, thanks.\n> On Monday you wrote:\n> we will cancel"
    assert summarise(text, [Evidence("churn_intent", "we will cancel", 58, 72)]) == "The export works again, thanks."
