"""categorise(): the main topic from weighted, distinct cues; and its accuracy on the tuning set."""

import csv
from pathlib import Path

import pytest

from scoring.texts.category import categorise

TUNING_SET = Path(__file__).resolve().parents[2] / "data" / "analyzer_eval.csv"


@pytest.mark.parametrize(("text", "expected"), [
    ("we'd like to add 20 more seats next quarter", "account_cancellation"),
    ("We were charged twice for March, please refund the second payment.", "billing"),
    ("Die Rechnung für März wurde doppelt abgebucht.", "billing"),
    ("The HL7 feed from our EHR stopped syncing lab results.", "integration"),
    ("We are working on the integration of our new office furniture.", "other"),
    ("Die Schnittstelle zum PVS überträgt keine Befunde mehr.", "integration"),
    ("The schedule page is extremely slow and keeps timing out.", "performance"),
    ("Seit dem Update ist alles sehr langsam.", "performance"),
    ("Getting an error message when I save a patient form.", "bug"),
    ("Der Export funktioniert nicht, es kommt eine Fehlermeldung.", "bug"),
    ("How do I set up the reminder templates for new staff?", "onboarding"),
    ("Wir brauchen eine Schulung für die neuen Mitarbeiter.", "onboarding"),
    ("It would be great if we could have a waitlist feature.", "feature_request"),
    ("Thanks for the call yesterday!", "other"),
    ("Please cancel tomorrow's appointment.", "other"),
    ("the weekly view skips wednesdays entirely??", "bug"),
    ("Seit dem Update werden Notizen nicht mehr gespeichert.", "bug"),
    ("I keep getting 'Your session has been terminated' every two minutes.", "bug"),
    ("Where do I set the default reminder time?", "onboarding"),
    ("Wie lege ich eine neue Vorlage an?", "onboarding"),
    ("Wo stelle ich ein, dass Erinnerungen zwei Tage vorher verschickt werden?", "onboarding"),
    ("Would be great to have a Spanish version of the intake form.", "feature_request"),
    ("Könnt ihr eine Warteliste einbauen?", "feature_request"),
    ("login takes ages", "performance"),
    ("Kündigen kommt für uns nicht in Frage, das Team ist sehr zufrieden.", "other"),
    ("If we ever did cancel, would we get our data back?", "other"),
    ("thanks for the quick fix yesterday!", "other"),
    ("please close my account by the end of the month", "account_cancellation"),
    ("Wir möchten unser Konto auf die neue Praxisinhaberin übertragen.", "account_cancellation"),
    ("can we move from the monthly to the yearly plan?", "account_cancellation"),
    ("Reports now take 30-45 minutes to load every morning.", "performance"),
    ("Is a dark mode planned for a future release?", "feature_request"),
    ("The schedule page crashes.\n\nThanks,\nOwen Price\nBilling Office", "bug"),
])
def test_it_finds_the_main_topic(text, expected):
    assert categorise(text, churn=False)[0] == expected


def test_churn_makes_it_account_cancellation():
    assert categorise("The export is broken again.", churn=True)[0] == "account_cancellation"


def test_its_evidence_points_into_the_text():
    text = "We were charged twice for March, please refund the second payment."
    category, evidence = categorise(text, churn=False)
    assert category == "billing"
    assert [e.phrase for e in evidence] == ["charged", "refund", "payment"]
    assert all(text[e.start:e.end] == e.phrase and e.kind == "category" for e in evidence)


def test_tuning_set_accuracy():
    with TUNING_SET.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    right = sum(categorise(r["text"], churn=r["churn_intent"] == "yes")[0] == r["category"] for r in rows)
    # 0.93 when written (923 rows), 0.906 on 1,540; 0.892 on 2,477 after two fresh sets were added (indirect leaving,
    # long IT tickets) and tuned on for one round; 0.891 after a round on two more fresh sets (chatbot voice, IT
    # tickets) that are not in the tuning set.
    assert right / len(rows) >= 0.88
