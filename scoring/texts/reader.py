"""The built-in reader (docs/text-intelligence.md): offline, deterministic and fast. One call reads everything the
product stores about a customer text — churn intent with its evidence, category, sentiment, competitors, facts,
feature request, case-study mention, summary and recommended action — under one version.

The parts live beside it: intent (churn intent, English and German), category, sentiment, language,
entities (competitors and facts), summary and signals (feature request, case study)."""

from collections.abc import Sequence
from dataclasses import dataclass

from scoring.texts.category import categorise
from scoring.texts.clean import sanitise
from scoring.texts.entities import competitors as named_competitors
from scoring.texts.entities import facts as stated_facts
from scoring.texts.intent import churn_intent
from scoring.texts.language import language as language_of
from scoring.texts.reading import Evidence, Facts, Reading
from scoring.texts.sentiment import sentiment as sentiment_of
from scoring.texts.signals import case_study, feature_request
from scoring.texts.summary import summarise

# The version stored with every reading. Change it whenever what the reader finds changes, in a release whose
# migration marks every text unread, so the whole book is read again by the same rules.
VERSION = "3"
NAME = f"builtin-{VERSION}"
INTENT_PHRASE_LENGTH = 200  # the stored phrase is cut to this (the field's max_length)

ACTIONS = {
    "account_cancellation": "Call the customer today: hear the reasons for leaving, involve the account's executive "
                            "sponsor and prepare a retention offer.",
    "integration": "Open an integration ticket with engineering, confirm the failing interface with the customer "
                   "and share a fix timeline.",
    "billing": "Check the invoice and payment history, correct or explain the charge and confirm in writing.",
    "bug": "Reproduce the defect, link the engineering ticket and give the customer a workaround and a date.",
    "performance": "Collect timings and affected workflows, escalate to engineering and follow up with results.",
    "onboarding": "Offer a guided session and send the getting-started material for the workflows they asked about.",
    "feature_request": "Log the request on the roadmap board, tell the customer how it is prioritised and suggest "
                       "a workaround.",
    "other": "Acknowledge the message and follow up within one business day.",
}
EXPANSION_ACTION = "Loop in the account executive with a quote for the extra seats before the customer's date."


# The competitor list a new installation starts with (admins keep it in Scoring → Competitors).
DEFAULT_COMPETITORS = ("CareLoop", "MedRelay", "Clinexa", "PatientPilot", "Qurely", "OrbitCare", "NovaChart",
                       "ClinicFlow", "Klinikon", "PraxisPro")


@dataclass(frozen=True)
class Lexicon:
    """The names the reader is told about: competitors (admin-edited) and our own product and company names,
    which are "us" ("switching from HealthCS to X" is leaving; "we left X for HealthCS" is not)."""

    competitors: tuple[str, ...] = ()
    own_names: tuple[str, ...] = ("HealthCS",)


def sentiment_label(score: float) -> str:
    return "negative" if score <= -0.05 else "positive" if score >= 0.05 else "neutral"


def recommended_action(*, churn: bool, category: str, competitors: Sequence[str], facts: Facts) -> str:
    """The next step for the CSM: by topic, made concrete with what the text says (a competitor, the renewal
    date, seats asked for)."""
    if churn:
        action = ACTIONS["account_cancellation"]
        if competitors:
            action += f" Prepare a comparison with {', '.join(competitors[:3])}."
        if facts.days_to_renewal is not None:
            action += f" The renewal is {facts.days_to_renewal} days away."
        return action
    if category == "account_cancellation" and facts.seats:
        return EXPANSION_ACTION
    action = ACTIONS.get(category, ACTIONS["other"])
    if competitors:
        action += f" They named {', '.join(competitors[:3])}: tell the account executive."
    return action


def read(text: object, lexicon: Lexicon = Lexicon()) -> Reading:
    """The built-in reading of one customer text."""
    clean, note = sanitise(text)
    evidence: list[Evidence] = []
    intent = churn_intent(clean, own_names=lexicon.own_names, competitors=lexicon.competitors)
    if intent:
        evidence.append(intent)
    category, category_evidence = categorise(clean, churn=intent is not None)
    language = language_of(clean)
    score, sentiment_evidence = sentiment_of(clean, language)
    named = named_competitors(clean, known=lexicon.competitors, own_names=lexicon.own_names)
    facts, fact_evidence = stated_facts(clean)
    request, study = feature_request(clean), case_study(clean)
    evidence += category_evidence + sentiment_evidence + [found for _, found in named] + fact_evidence
    names = [name for name, _ in named]
    return Reading(
        summary=summarise(clean, evidence), category=category, sentiment=round(score, 3),
        sentiment_label=sentiment_label(score), churn_intent=intent is not None,
        intent_phrase=intent.phrase[:INTENT_PHRASE_LENGTH] if intent else "", competitors=names,
        recommended_action=recommended_action(churn=intent is not None, category=category, competitors=names,
                                              facts=facts),
        language=language, feature_request=request is not None or category == "feature_request",
        case_study=study is not None, facts=facts, evidence=sorted(evidence, key=lambda e: (e.start, -e.end)),
        reader=NAME, note=note)
