"""sentiment(): -1..1 with negation and "but", English and German."""

import pytest

from scoring.texts.sentiment import sentiment


@pytest.mark.parametrize(("text", "language", "sign"), [
    ("This is great, thanks!", "en", 1),
    ("I am very frustrated with the constant errors", "en", -1),
    ("This is not good", "en", -1),
    ("It isn't great", "en", -1),
    ("The app is slow but the support is great", "en", 1),
    ("Wir sind sehr zufrieden", "de", 1),
    ("Wir sind nicht zufrieden", "de", -1),
    ("Das ist leider eine Katastrophe!", "de", -1),
    ("Please help, I can't log in", "en", 0),
    ("", "en", 0),
])
def test_it_reads_the_sign(text, language, sign):
    score, _evidence = sentiment(text, language)
    assert -1 <= score <= 1
    assert (score > 0.05) - (score < -0.05) == sign


def test_its_evidence_points_into_the_text():
    text = "I am very frustrated with the constant errors"
    _score, evidence = sentiment(text, "en")
    assert [(e.phrase, e.start, e.end) for e in evidence] == [("frustrated", 10, 20), ("errors", 39, 45)]
    assert all(text[e.start:e.end] == e.phrase and e.kind == "sentiment" for e in evidence)
