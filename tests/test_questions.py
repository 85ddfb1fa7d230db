"""Reading a question for Ask the book (workspace.questions): the EHR named as the customers' system, time phrases,
plural source nouns and stop words in English and German; what is left is looked for."""

import datetime as dt

from workspace.questions import parse_question

EHRS = ["Epic", "Cerner", "Allscripts", "athenahealth", "NextGen Office"]
TODAY = dt.date(2025, 3, 14)


def parse(text: str):
    return parse_question(text, ehr_names=EHRS, today=TODAY)


def test_an_ehr_before_customers_is_the_filter_and_since_a_month_is_the_latest_such_month():
    question = parse("which Epic customers mention sync failures since September")

    assert (question.words, question.ehr, question.date_from, question.date_to) == (
        ("sync", "failures"), "Epic", dt.date(2024, 9, 1), None)
    assert question.understood == ("EHR: Epic", "from 1 September 2024")


def test_an_ehr_that_was_mentioned_is_a_word_to_look_for():
    question = parse("who mentioned athenahealth")

    assert (question.words, question.ehr, question.understood) == (("athenahealth",), "", ())


def test_customers_on_an_ehr_and_a_month_of_this_year():
    question = parse("customers on Cerner talking about downtime since March")

    assert (question.words, question.ehr, question.date_from) == (("downtime",), "Cerner", dt.date(2025, 3, 1))


def test_a_german_question_with_its_stop_words_month_and_year():
    question = parse("Welche Kunden auf Allscripts erwähnen die Synchronisierung seit März 2024?")

    assert (question.words, question.ehr, question.date_from) == (("Synchronisierung",), "Allscripts",
                                                                   dt.date(2024, 3, 1))


def test_last_n_days_weeks_and_german_letzten_tagen():
    assert parse("refund requests in the last 30 days").date_from == dt.date(2025, 2, 12)
    assert parse("escalations over the past two weeks").date_from == dt.date(2025, 2, 28)
    assert parse("Rechnung in den letzten 10 Tagen").date_from == dt.date(2025, 3, 4)
    assert parse("Rechnung in den letzten 10 Tagen").words == ("Rechnung",)


def test_in_a_month_is_the_whole_month_and_before_ends_the_day_ahead():
    question = parse("calls in January about renewal pricing")
    assert (question.category, question.date_from, question.date_to, question.words) == (
        "call", dt.date(2025, 1, 1), dt.date(2025, 1, 31), ("renewal", "pricing"))
    assert parse("outage before May 2024").date_to == dt.date(2024, 4, 30)
    assert parse("outage until 2024-06-30").date_to == dt.date(2024, 6, 30)


def test_quoted_phrases_and_plural_sources():
    question = parse('surveys saying "hard to use" since 2024')

    assert (question.phrases, question.words, question.category, question.date_from) == (
        ("hard to use",), (), "survey", dt.date(2024, 1, 1))  # "saying" is a stop word


def test_a_singular_source_word_and_a_lone_month_name_stay_words():
    question = parse("email notifications broken in may")

    assert question.category == "" and question.words == ("email", "notifications", "broken")
    assert question.date_from == dt.date(2024, 5, 1)  # "in may": the latest May that has begun


def test_a_question_of_filters_only_has_no_words():
    question = parse("which Epic customers since September")

    assert not question.has_terms and question.ehr == "Epic"
