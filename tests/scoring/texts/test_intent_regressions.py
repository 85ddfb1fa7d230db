"""Sentences the earlier phrase rules were tested on, kept as regression tests of the churn-intent grammar
and of feature-request detection (docs/scoring.md): the verdict must hold, and the evidence must be
the text's own words at its offsets."""

import pytest

from scoring.texts.clean import sanitise
from scoring.texts.intent import churn_intent
from scoring.texts.signals import feature_request


def churn_intent_phrase(text: str) -> str | None:
    """The deciding phrase, checked to sit at its offsets in the cleaned text; None without intent."""
    clean, _ = sanitise(text)
    found = churn_intent(clean)
    if found is None:
        return None
    assert clean[found.start:found.end] == found.phrase
    return found.phrase


def is_feature_request(text: str) -> bool:
    return feature_request(sanitise(text)[0]) is not None

# (customer text, the phrase quoted as evidence)
CANCELLATION_INTENT = [
    ("We're planning to cancel at the end of our term.", "planning to cancel"),
    ("we won't renew unless things change", "won't renew"),
    ("we wont renew unless things change", "wont renew"),
    ("Honestly we're evaluating other options right now.", "evaluating other options"),
    ("We're moving to CareLoop in March.", "We're moving to CareLoop"),
    ("If nothing changes we will take our business elsewhere.", "take our business elsewhere"),
    ("Wir wollen den Vertrag kündigen.", "Vertrag kündigen"),
    ("Wir kündigen den Vertrag zum Jahresende.", "kündigen den Vertrag"),
    ("Wir werden zu einem anderen Anbieter wechseln.", "zu einem anderen Anbieter wechseln"),
    ("We're seriously considering switching to another vendor.", "switching to another vendor"),
    ("Leadership asked me to look at alternatives before the renewal.", "look at alternatives"),
    ("Budget cuts hit us hard, we need to cancel or downgrade.", "need to cancel"),
    ("We would like to terminate our contract.", "terminate our contract"),
    ("Please start cancelling our subscription today.", "cancelling our subscription"),
    ("We are not going to renew.", "not going to renew"),
    ("Maria said budget cut, may not renew.", "not renew"),
    ("If this isn't fixed we'll have to move off the platform.", "move off the platform"),
]

# Texts that mention leaving, switching or cancelling without meaning to leave the product.
NO_CANCELLATION_INTENT = [
    "we are not leaving",
    "We have no plans to switch to another vendor.",
    "the bus is leaving",
    "Please leave a comment on the ticket.",
    "cancel the meeting",
    "we're not planning to cancel",
    "We don't plan to cancel.",
    "We do not intend to cancel our subscription.",
    "We never intend to cancel our subscription.",
    "I don't think we will cancel our subscription.",
    "We will definitely renew.",
    "We're moving to a new office next month.",
    "Our sister practice moved to CareLoop.",
    "Wir werden den Vertrag nicht kündigen.",
    "Our old card was cancelled by the bank last week.",
    "I'm not sure we can justify the cost anymore.",  # a doubt, a risk the CSM hears, not a stated intention
    "",
]


@pytest.mark.parametrize(("text", "phrase"), CANCELLATION_INTENT)
def test_churn_intent_is_read_in_the_sentences_the_old_rules_knew(text, phrase):
    assert churn_intent_phrase(text) is not None


@pytest.mark.parametrize("text", NO_CANCELLATION_INTENT)
def test_negations_and_look_alikes_the_old_rules_knew_are_still_ruled_out(text):
    assert churn_intent_phrase(text) is None


def test_churn_intent_is_found_in_a_later_sentence_of_a_longer_text():
    text = "Hi team,\n\nThe sync failed again today. Nobody can see labs.\nWe won't renew unless this is fixed.\n\nSam"

    assert churn_intent_phrase(text) is not None


def test_a_negation_in_an_earlier_sentence_does_not_cancel_a_later_intent():
    text = "We are not happy. We're planning to cancel at the end of our term."

    assert churn_intent_phrase(text) is not None


def test_a_negated_mention_does_not_hide_a_genuine_one_in_the_same_sentence():
    text = "We have no plans to switch to another vendor, but we will terminate our contract in May."

    assert churn_intent_phrase(text) is not None


def test_typographic_apostrophes_count_like_straight_ones():
    # Mail clients and word processors turn ' into ’ ; both spellings must read the same.
    assert churn_intent_phrase("We won\u2019t renew unless things change.") is not None
    assert churn_intent_phrase("We don\u2019t plan to cancel.") is None


def test_a_contraction_typed_without_its_apostrophe_still_negates():
    assert churn_intent_phrase("we dont plan to cancel, we just need the sync fixed") is None


def test_a_negation_inside_an_if_clause_is_a_condition_not_a_denial():
    assert churn_intent_phrase("If this isn't fixed we'll move off the platform.") is not None
    assert churn_intent_phrase("If we don't see improvement we plan to cancel.") is not None


def test_asking_why_not_just_cancel_voices_intent():
    assert churn_intent_phrase("Leadership is asking me why we don't just cancel.") is not None
    assert churn_intent_phrase("Leadership is asking me why we dont just cancel.") is not None


@pytest.mark.parametrize(
    "text",
    [
        "We need to cancel the meeting on Friday.",
        "I want to cancel my appointment.",
        "We have to cancel tomorrow's training session.",
        "Sorry, we need to cancel the 3pm call.",
        "Can we just cancel the demo?",
    ],
)
def test_cancelling_a_meeting_or_appointment_is_not_cancellation_intent(text):
    assert churn_intent_phrase(text) is None


def test_cancelling_the_contract_in_the_same_words_still_counts():
    assert churn_intent_phrase("We need to cancel the contract.") is not None
    assert churn_intent_phrase("We need to cancel our subscription.") is not None


@pytest.mark.parametrize(
    "text",
    [
        "Feature request: bulk export of visit notes",
        "We would love a dark mode for the front desk.",
        "Is recurring scheduling on the roadmap?",
        "Dr. Lee keeps asking for a waitlist that auto-offers slots.",
        "Small suggestion: show the patient's age on the card.",
        "It would be great if reminders could go out in Spanish.",
        "FEATURE REQUEST - more seats view",
    ],
)
def test_is_feature_request_recognises_requests(text):
    assert is_feature_request(text) is True


@pytest.mark.parametrize(
    "text",
    ["The export button is broken.", "I love the new scheduler!", "Please reset my password.", ""],
)
def test_is_feature_request_ignores_other_texts(text):
    assert is_feature_request(text) is False
