"""feature_request() and case_study(): the phrases found, their offsets and their kinds of evidence."""

import pytest

from scoring.texts.signals import case_study, feature_request


@pytest.mark.parametrize(("text", "phrase"), [
    ("It would be great if we could export to Excel.", "would be great if"),
    ("Please add an option to hide cancelled slots", "Please add an option"),
    ("Schön wäre eine Erinnerung per WhatsApp", "wäre"),
    ("Es wäre schön, wenn man Termine verschieben könnte", "wäre schön"),
    ("Könnt ihr einen Export nach Excel einbauen?", "Könnt ihr einen Export nach Excel einbauen"),
    ("Could you add a waitlist?", "you add"),
    ("We'd love to see a dark mode", "We'd love to see"),
    ("Any plans to support SMS reminders?", "plans to support"),
    ("Is this on the roadmap?", "roadmap"),
    ("Gibt es Pläne für eine App?", "Pläne"),
    ("The feature request was shipped last week", None),
    ("Our would-be partner asked for a call", None),
    ("Können Sie eine Funktion ergänzen, mit der Patienten Termine absagen?", "Können Sie eine Funktion ergänzen"),
    ("Please add Dr. Lee as a user", None),
    ("The export is broken again.", None),
])
def test_it_finds_feature_requests(text, phrase):
    found = feature_request(text)
    assert (found.phrase if found else None) == phrase


@pytest.mark.parametrize(("text", "phrase"), [
    ("Happy to do a reference call next month", "reference call"),
    ("Wir wären gern Referenzkunde", "Referenzkunde"),
    ("Gern schreiben wir einen Erfahrungsbericht.", "Erfahrungsbericht"),
    ("Could we see a case study from a similar clinic?", "case study"),
    ("Please call me back", None),
])
def test_it_finds_case_study_mentions(text, phrase):
    found = case_study(text)
    assert (found.phrase if found else None) == phrase


def test_a_feature_request_is_category_evidence_and_a_case_study_other_evidence():
    text = "Happy to be a reference. Also, could you add a waitlist?"
    request, study = feature_request(text), case_study(text)
    assert (request.kind, text[request.start:request.end]) == ("category", "you add")
    assert (study.kind, text[study.start:study.end]) == ("evidence", "reference")
