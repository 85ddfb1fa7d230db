"""competitors() and facts()."""

import pytest

from scoring.texts.entities import MAX_DAYS, competitors, facts
from scoring.texts.reading import Facts

KNOWN = ("PatientPilot", "CareLoop", "MedRelay", "Klinikon", "PraxisPro", "NovaChart", "ClinicFlow")


@pytest.mark.parametrize(("text", "expected"), [
    ("I had a demo from Athenahealth last week", ["Athenahealth"]),
    ("We are 47 days from renewal and evaluating NovaChart and ClinicFlow", ["NovaChart", "ClinicFlow"]),
    ("We are leaving you for athenahealth", ["athenahealth"]),
    ("we are switching from Epic to Cerner next month", []),
    ("We're moving to Qurely next month.", ["Qurely"]),
    ("we signed with medrelay yesterday", ["MedRelay"]),
    ("Wir haben uns für Praxisfuchs entschieden.", ["Praxisfuchs"]),
    ("Wir wollen zu Doctolib wechseln", ["Doctolib"]),
    ("Wir steigen im Mai auf Samedi um", ["Samedi"]),
    ("Wir haben ein Angebot von Medflex erhalten", ["Medflex"]),
    ("Zocdoc offered us 20% off", ["Zocdoc"]),
    ("evaluating Relatient, Solutionreach and Weave", ["Relatient", "Solutionreach", "Weave"]),
    ("We met CareLoop and Doctolib at the conference", ["CareLoop", "Doctolib"]),
    ("Dr. Lee and Dr. Patel said hi", []),
    ("Please send the invoice to Frau Meier.", []),
    ("We are switching to HealthCS from CareLoop", ["CareLoop"]),
    ("Angebot von Ihnen", []),
    ("Wir wechseln zu Beginn des Jahres", []),
    ("Our office manager is going to Berlin next week", []),
    ("We moved to Windows 11 last week", []),
])
def test_it_names_competitors(text, expected):
    found = competitors(text, known=KNOWN)
    assert [name for name, _e in found] == expected
    assert all(text[e.start:e.end].lower() == name.lower() and e.kind == "competitor" for name, e in found)


@pytest.mark.parametrize(("text", "expected"), [
    ("We are 47 days from renewal and evaluating NovaChart and ClinicFlow", Facts(days_to_renewal=47)),
    ("renewal in 3 weeks", Facts(days_to_renewal=21)),
    ("Our renewal is in 2 months.", Facts(days_to_renewal=60)),
    ("renewal in three weeks", Facts(days_to_renewal=21)),
    ("noch 30 Tage bis zur Verlängerung", Facts(days_to_renewal=30)),
    ("The quote was $12,400 and USD 3k for setup", Facts(amounts=("$12,400", "USD 3k"))),
    ("Das kostet 3.500 € im Jahr, Rechnung über EUR 1.200,50", Facts(amounts=("3.500 €", "EUR 1.200,50"))),
    ("we'd like to add 20 more seats next quarter", Facts(seats=20)),
    ("Wir brauchen 25 Lizenzen", Facts(seats=25)),
    ("We have 15 users on Epic and athenahealth", Facts(seats=15, ehr="Epic")),
    ("That was an epic fail on athenahealth", Facts(ehr="athenahealth")),
])
def test_it_reads_facts(text, expected):
    found, evidence = facts(text)
    assert found == expected
    assert all(text[e.start:e.end] == e.phrase and e.kind == "fact" for e in evidence)


@pytest.mark.parametrize(("text", "expected"), [
    ("renewal in ²² days", Facts()),
    ("١٢ seats", Facts()),
    ("9" * 5000 + " seats", Facts()),
    ("renewal in 99999 days", Facts(days_to_renewal=MAX_DAYS)),
    ("$" + "9" * 3000, Facts()),
    ("2000000 users", Facts(seats=1_000_000)),
    ("", Facts()),
])
def test_hostile_input_neither_crashes_nor_gives_absurd_values(text, expected):
    assert facts(text)[0] == expected
    assert competitors(text, known=KNOWN) == []
