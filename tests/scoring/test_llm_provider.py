"""The optional LLM reader (docs/text-intelligence.md, issue 7): texts go to an Ollama-compatible server when
ANALYSER_LLM_URL is set, answers are checked and cached by text hash, model and our own names, transient
failures are retried, and anything else falls back to the built-in reader with the reason on the reading. A
small HTTP server started by each test (tests.scoring.llm_stub, fixtures `stub` and `llm`) plays the LLM and
counts the requests it saw."""

import socket
import time
from dataclasses import replace

import pytest

from scoring.texts import llm as llm_reader
from scoring.texts.clean import MAX_TEXT, sanitise
from scoring.texts.llm import FALLBACK, cache_key, read_with_llm
from scoring.texts.reader import DEFAULT_COMPETITORS, NAME, Lexicon, read
from scoring.texts.reading import CATEGORIES, Evidence
from scoring.texts.service import read_texts
from tests.scoring.llm_stub import CHURN_MAIL, GOOD_ANSWER, answer, generated, hang, raw, status

LEXICON = Lexicon(competitors=DEFAULT_COMPETITORS)


def read_one(text: str):
    """The configured reader's reading (the LLM's when ANALYSER_LLM_URL is set), as the service asks for it."""
    return read_texts([text], LEXICON)[0]


def read_many(texts: list[str]):
    return read_texts(texts, LEXICON)

def fell_back(text: str, reason: str):
    """What the built-in reader says about the text, with the LLM reader's note."""
    return replace(read(text, LEXICON), note=FALLBACK + reason)


def test_the_llm_answer_becomes_the_analysis(llm):
    result = read_one(CHURN_MAIL)

    assert result.reader == "llm-stub-model"
    assert (result.summary, result.category, result.sentiment, result.sentiment_label) == (
        GOOD_ANSWER["summary"], "integration", -0.7, "negative")
    assert (result.churn_intent, result.intent_phrase, result.competitors) == (True, "we're moving to CareLoop",
                                                                                ["CareLoop"])
    assert result.recommended_action == GOOD_ANSWER["recommended_action"]
    assert (result.language, result.feature_request, result.note) == ("en", False, "")
    # The phrases found in the text, at their offsets; the one the model made up is left out.
    assert result.evidence == [Evidence("evidence", "third Epic sync outage", 14, 36),
                               Evidence("churn_intent", "we're moving to CareLoop", 62, 86),
                               Evidence("competitor", "CareLoop", 78, 86)]


def test_the_request_is_ollamas_generate_call_with_a_json_prompt(llm):
    read_one(CHURN_MAIL)

    assert llm.paths == ["/api/generate"]
    (sent,) = llm.requests
    assert {k: sent[k] for k in ("model", "format", "stream")} == {"model": "stub-model", "format": "json",
                                                                    "stream": False}
    assert CHURN_MAIL in sent["prompt"]
    for name in (*llm_reader.ANSWER_FIELDS, *CATEGORIES):
        assert f'"{name}"' in sent["prompt"] or name in sent["prompt"], name


def test_a_cached_answer_sends_no_request(llm):
    first = read_one(CHURN_MAIL)

    again = read_many([CHURN_MAIL, CHURN_MAIL])

    assert again == [first, first]
    assert len(llm.requests) == 1


def test_the_cache_is_keyed_by_the_sanitised_text_and_the_model(llm, settings):
    read_one("Invoice 42 was charged\x00twice.")
    read_one("Invoice 42 was charged twice.")  # the same text once sanitised
    assert len(llm.requests) == 1

    settings.ANALYSER_LLM_MODEL = "other-model"
    assert read_one("Invoice 42 was charged twice.").reader == "llm-other-model"
    assert len(llm.requests) == 2
    assert cache_key("Invoice 42 was charged twice.", "stub-model") != cache_key("Invoice 42 was charged twice.",
                                                                                 "other-model")


def test_the_cache_and_the_prompt_know_our_own_names(llm):
    ours = Lexicon(competitors=DEFAULT_COMPETITORS, own_names=("Acme Health",))

    read_with_llm([CHURN_MAIL], LEXICON)
    read_with_llm([CHURN_MAIL], ours)

    assert len(llm.requests) == 2  # "us" changed: the answer may differ
    assert "Acme Health" in llm.requests[1]["prompt"] and "HealthCS" not in llm.requests[1]["prompt"]
    assert cache_key(CHURN_MAIL, "stub-model", ("HealthCS",)) != cache_key(CHURN_MAIL, "stub-model", ("Acme Health",))


def test_nothing_is_sent_when_no_llm_is_configured(stub, settings):
    settings.ANALYSER_LLM_URL = ""

    results = read_many([CHURN_MAIL, "The invoice is wrong."])

    assert results == [read(CHURN_MAIL, LEXICON), read("The invoice is wrong.", LEXICON)]
    assert [r.reader for r in results] == [NAME, NAME]
    assert stub.requests == []


def test_an_empty_text_is_not_sent(llm):
    assert read_one("  \n ") == read("  \n ", LEXICON)
    assert llm.requests == []


BAD_SENTIMENT = "invalid LLM answer: sentiment is not a number from -1 to 1"
BAD_ANSWERS = [
    (raw(b"<html>Bad gateway</html>"), "the LLM server's answer is not JSON"),
    (raw(b'{"done": true}'), "the LLM server's answer has no 'response' text"),
    (generated("Sure! Here is the JSON: {summary: ..."), "the LLM answered malformed JSON"),
    (generated('["a list", "not an object"]'), "invalid LLM answer: not a JSON object"),
    (answer({k: v for k, v in GOOD_ANSWER.items() if k not in ("summary", "evidence")}),
     "invalid LLM answer: summary, evidence missing"),
    (answer({**GOOD_ANSWER, "summary": 42}), "invalid LLM answer: summary is not a string"),
    (answer({**GOOD_ANSWER, "summary": "  "}), "invalid LLM answer: the summary is empty"),
    (answer({**GOOD_ANSWER, "category": "weather"}), "invalid LLM answer: unknown category 'weather'"),
    (answer({**GOOD_ANSWER, "sentiment": "very negative"}), BAD_SENTIMENT),
    (answer({**GOOD_ANSWER, "sentiment": -1.5}), BAD_SENTIMENT),
    (answer({**GOOD_ANSWER, "sentiment": True}), BAD_SENTIMENT),
    (answer({**GOOD_ANSWER, "churn_intent": "yes"}), "invalid LLM answer: churn_intent is not true or false"),
    (answer({**GOOD_ANSWER, "evidence": "we're moving to CareLoop"}),
     "invalid LLM answer: evidence is not a list of phrases"),
    (answer({**GOOD_ANSWER, "evidence": [["nested"]]}), "invalid LLM answer: evidence is not a list of phrases"),
    (answer({**GOOD_ANSWER, "competitors": [42]}), "invalid LLM answer: competitors is not a list of names"),
    (answer({**GOOD_ANSWER, "competitors": {"name": "CareLoop"}}),
     "invalid LLM answer: competitors is not a list of names"),
    (status(404), "the LLM server answered HTTP 404"),
    (status(400), "the LLM server answered HTTP 400"),
]


@pytest.mark.parametrize(("behaviour", "reason"), BAD_ANSWERS, ids=[reason for _, reason in BAD_ANSWERS])
def test_a_bad_answer_falls_back_at_once_and_is_not_cached(llm, behaviour, reason):
    llm.play(behaviour)

    first = read_one(CHURN_MAIL)
    second = read_one(CHURN_MAIL)

    assert first == second == fell_back(CHURN_MAIL, reason)
    assert first.reader == NAME
    assert len(llm.requests) == 2  # no retry, and nothing cached: each call asked once


def test_null_for_no_competitor_and_no_phrase_is_accepted(llm):
    llm.play(answer({**GOOD_ANSWER, "category": "Billing", "churn_intent": False, "intent_phrase": None,
                     "competitors": None, "recommended_action": "", "evidence": []}))

    result = read_one("We were charged twice this month.")

    assert (result.reader, result.category, result.churn_intent, result.intent_phrase, result.competitors) == (
        "llm-stub-model", "billing", False, "", [])
    assert result.recommended_action.startswith("Check the invoice")  # the category's standard action
    assert result.evidence == []


def test_one_competitor_as_a_string_and_repeated_names_are_accepted(llm):
    llm.play(answer({**GOOD_ANSWER, "competitors": "CareLoop"}), answer({**GOOD_ANSWER, "competitors": [
        "CareLoop", " CareLoop ", "", "MedRelay"]}))

    assert read_one(CHURN_MAIL).competitors == ["CareLoop"]
    assert read_one(CHURN_MAIL + " ").competitors == ["CareLoop", "MedRelay"]


def test_no_churn_intent_means_no_intent_phrase(llm):
    llm.play(answer({**GOOD_ANSWER, "churn_intent": False}))

    result = read_one(CHURN_MAIL)

    assert (result.reader, result.churn_intent, result.intent_phrase) == ("llm-stub-model", False, "")
    assert "churn_intent" not in {e.kind for e in result.evidence}


def test_a_server_that_hangs_times_out_and_is_retried_then_falls_back(llm, settings):
    settings.ANALYSER_LLM_TIMEOUT = 0.3
    settings.ANALYSER_LLM_RETRIES = 1
    llm.play(hang(llm, 5))

    started = time.monotonic()
    result = read_one(CHURN_MAIL)

    assert time.monotonic() - started < 2.5
    assert result == fell_back(CHURN_MAIL, "timeout after 0.3 s (2 attempts)")
    assert len(llm.requests) == 2


def test_a_single_attempt_timeout_reads_like_the_setting(llm, settings):
    settings.ANALYSER_LLM_RETRIES = 0
    llm.play(hang(llm, 5))

    assert read_one(CHURN_MAIL).note == FALLBACK + "timeout after 0.5 s"
    assert len(llm.requests) == 1


def test_a_500_is_retried_and_the_second_answer_used(llm):
    llm.play(status(500), answer(GOOD_ANSWER))

    result = read_one(CHURN_MAIL)

    assert (result.reader, result.category, result.note) == ("llm-stub-model", "integration", "")
    assert len(llm.requests) == 2


def test_a_slow_answer_then_a_good_one_is_retried(llm):
    llm.play(hang(llm, 5), status(429), answer(GOOD_ANSWER))

    assert read_one(CHURN_MAIL).reader == "llm-stub-model"
    assert len(llm.requests) == 3


def test_503_every_time_gives_up_after_the_retries(llm):
    llm.play(status(503))

    result = read_one(CHURN_MAIL)

    assert result == fell_back(CHURN_MAIL, "the LLM server answered HTTP 503 (3 attempts)")
    assert len(llm.requests) == 3  # the first try and ANALYSER_LLM_RETRIES=2 retries


def test_retries_wait_a_short_growing_backoff(llm, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(llm_reader, "BACKOFF_SECONDS", 0.5)
    monkeypatch.setattr(llm_reader.time, "sleep", waits.append)
    llm.play(status(502))

    read_one(CHURN_MAIL)

    assert waits == [0.5, 1.0]


def test_a_server_that_is_down_falls_back(settings, monkeypatch):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.ANALYSER_LLM_URL = f"http://127.0.0.1:{port}"
    settings.ANALYSER_LLM_RETRIES = 1
    monkeypatch.setattr(llm_reader, "BACKOFF_SECONDS", 0.0)

    assert read_one(CHURN_MAIL) == fell_back(CHURN_MAIL, "could not connect to the LLM server (2 attempts)")


def test_a_url_without_a_scheme_falls_back_at_once(settings):
    settings.ANALYSER_LLM_URL = "127.0.0.1:11434"

    assert read_one(CHURN_MAIL) == fell_back(CHURN_MAIL,
                                                "the request to the LLM server failed (InvalidSchema)")


def test_a_batch_stops_asking_a_failing_server_after_three_texts(llm, settings):
    settings.ANALYSER_LLM_RETRIES = 0
    llm.play(status(503))
    texts = [f"Ticket {n}: the Epic sync failed again." for n in range(5)]

    results = read_many(texts)

    assert len(llm.requests) == 3
    assert [r.note for r in results] == [FALLBACK + "the LLM server answered HTTP 503"] * 3 + [
        FALLBACK + "the LLM server failed on the 3 texts before this one, so it was not asked again in this batch"] * 2
    assert [r.reader for r in results] == [NAME] * 5


def test_a_good_answer_between_failures_resets_the_count(llm, settings):
    settings.ANALYSER_LLM_RETRIES = 0
    llm.play(status(503), status(503), answer(GOOD_ANSWER), status(503), status(503), answer(GOOD_ANSWER))

    results = read_many([f"Ticket {n}" for n in range(6)])

    assert len(llm.requests) == 6
    assert [r.reader for r in results] == [NAME, NAME, "llm-stub-model"] * 2


def test_a_long_text_is_cut_before_it_is_sent_and_the_cut_is_noted(llm):
    long_text = CHURN_MAIL + " " + "x" * MAX_TEXT

    result = read_one(long_text)

    assert result.reader == "llm-stub-model"
    assert result.note == f"text cut to {MAX_TEXT:,} characters"
    assert sanitise(long_text)[0] in llm.requests[0]["prompt"] and long_text not in llm.requests[0]["prompt"]


def test_a_fallback_keeps_the_cut_note(llm):
    llm.play(status(404))
    long_text = CHURN_MAIL + " " + "x" * MAX_TEXT

    assert read_one(long_text).note == (f"text cut to {MAX_TEXT:,} characters; {FALLBACK}"
                                           "the LLM server answered HTTP 404")
