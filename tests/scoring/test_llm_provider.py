"""The optional LLM provider (SPEC §2f, issue 7): texts go to an Ollama-compatible server when
ANALYSER_LLM_URL is set, answers are checked and cached by text hash and model, transient failures are
retried, and anything else falls back to the built-in analyser with the reason on the item. A small HTTP
server started by each test plays the LLM and counts the requests it saw."""

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scoring import providers
from scoring.analysis import CATEGORIES, MAX_TEXT, Evidence, analyse, sanitise
from scoring.providers import analyse_many, analyse_one, cache_key

CHURN_MAIL = ("Hi, after the third Epic sync outage this month we've decided we're moving to CareLoop when our "
              "contract ends.")
GOOD_ANSWER = {
    "summary": "Third Epic sync outage this month; the customer is moving to CareLoop at contract end.",
    "category": "integration",
    "sentiment": -0.7,
    "churn_intent": True,
    "intent_phrase": "we're moving to CareLoop",
    "competitor": "CareLoop",
    "recommended_action": "Call the executive sponsor today with a fix plan for the Epic sync.",
    "evidence": ["third Epic sync outage", "we're moving to CareLoop", "CareLoop", "words the model made up"],
}
FALLBACK = "LLM fell back to the built-in analyser: "

Behaviour = Callable[[BaseHTTPRequestHandler], None]


class StubLLM:
    """What the fake server answers, request by request (the last behaviour repeats), and what it saw."""

    def __init__(self) -> None:
        self.behaviours: list[Behaviour] = [answer(GOOD_ANSWER)]
        self.requests: list[dict] = []
        self.paths: list[str] = []
        self.release = threading.Event()  # ends every hanging answer when the test is over
        self.lock = threading.Lock()

    def play(self, *behaviours: Behaviour) -> None:
        self.behaviours = list(behaviours)

    def next_behaviour(self, handler: BaseHTTPRequestHandler) -> Behaviour:
        with self.lock:
            self.paths.append(handler.path)
            return self.behaviours.pop(0) if len(self.behaviours) > 1 else self.behaviours[0]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        stub: StubLLM = self.server.stub  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers["Content-Length"]))
        stub.requests.append(json.loads(body))
        behaviour = stub.next_behaviour(self)
        try:
            behaviour(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the timeout test)

    def log_message(self, format: str, *args: object) -> None:
        pass


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def generated(text: str) -> Behaviour:
    """200 with Ollama's envelope around `text` as the model's output."""
    return lambda handler: send(handler, 200, json.dumps({"model": "stub", "response": text, "done": True}).encode())


def answer(fields: dict) -> Behaviour:
    return generated(json.dumps(fields))


def status(code: int) -> Behaviour:
    return lambda handler: send(handler, code, json.dumps({"error": f"stub says {code}"}).encode())


def raw(body: bytes) -> Behaviour:
    return lambda handler: send(handler, 200, body)


def hang(stub: StubLLM, seconds: float) -> Behaviour:
    def behaviour(handler: BaseHTTPRequestHandler) -> None:
        stub.release.wait(seconds)
        answer(GOOD_ANSWER)(handler)
    return behaviour


@pytest.fixture
def stub() -> Iterator[StubLLM]:
    stub = StubLLM()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.stub = stub  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield stub
    stub.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def llm(stub: StubLLM, settings, monkeypatch) -> StubLLM:
    """The stub configured as the LLM: 0.5 s timeout, two retries without waiting, a fresh in-memory cache."""
    settings.ANALYSER_LLM_URL = stub.url + "/"
    settings.ANALYSER_LLM_MODEL = "stub-model"
    settings.ANALYSER_LLM_TIMEOUT = 0.5
    settings.ANALYSER_LLM_RETRIES = 2
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"llm-provider-{uuid.uuid4()}"}}  # LocMem keeps entries per name
    monkeypatch.setattr(providers, "BACKOFF_SECONDS", 0.0)
    return stub


def fell_back(text: str, reason: str):
    """What the built-in analyser says about the text, with the provider's note."""
    return replace(analyse(text), note=FALLBACK + reason)


def test_the_llm_answer_becomes_the_analysis(llm):
    result = analyse_one(CHURN_MAIL)

    assert result.analyser == "llm-stub-model"
    assert (result.summary, result.category, result.sentiment, result.sentiment_label) == (
        GOOD_ANSWER["summary"], "integration", -0.7, "negative")
    assert (result.churn_intent, result.intent_phrase, result.competitor) == (True, "we're moving to CareLoop",
                                                                               "CareLoop")
    assert result.recommended_action == GOOD_ANSWER["recommended_action"]
    assert (result.language, result.feature_request, result.note) == ("en", False, "")
    # The phrases found in the text, at their offsets; the one the model made up is left out.
    assert result.evidence == [Evidence("evidence", "third Epic sync outage", 14, 36),
                               Evidence("churn_intent", "we're moving to CareLoop", 62, 86),
                               Evidence("competitor", "CareLoop", 78, 86)]


def test_the_request_is_ollamas_generate_call_with_a_json_prompt(llm):
    analyse_one(CHURN_MAIL)

    assert llm.paths == ["/api/generate"]
    (sent,) = llm.requests
    assert {k: sent[k] for k in ("model", "format", "stream")} == {"model": "stub-model", "format": "json",
                                                                    "stream": False}
    assert CHURN_MAIL in sent["prompt"]
    for name in (*providers.ANSWER_FIELDS, *CATEGORIES):
        assert f'"{name}"' in sent["prompt"] or name in sent["prompt"], name


def test_a_cached_answer_sends_no_request(llm):
    first = analyse_one(CHURN_MAIL)

    again = analyse_many([CHURN_MAIL, CHURN_MAIL])

    assert again == [first, first]
    assert len(llm.requests) == 1


def test_the_cache_is_keyed_by_the_sanitised_text_and_the_model(llm, settings):
    analyse_one("Invoice 42 was charged\x00twice.")
    analyse_one("Invoice 42 was charged twice.")  # the same text once sanitised
    assert len(llm.requests) == 1

    settings.ANALYSER_LLM_MODEL = "other-model"
    assert analyse_one("Invoice 42 was charged twice.").analyser == "llm-other-model"
    assert len(llm.requests) == 2
    assert cache_key("Invoice 42 was charged twice.", "stub-model") != cache_key("Invoice 42 was charged twice.",
                                                                                 "other-model")


def test_nothing_is_sent_when_no_llm_is_configured(stub, settings):
    settings.ANALYSER_LLM_URL = ""

    results = analyse_many([CHURN_MAIL, "The invoice is wrong."])

    assert results == [analyse(CHURN_MAIL), analyse("The invoice is wrong.")]
    assert [r.analyser for r in results] == ["builtin-2", "builtin-2"]
    assert stub.requests == []


def test_an_empty_text_is_not_sent(llm):
    assert analyse_one("  \n ") == analyse("  \n ")
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
    (status(404), "the LLM server answered HTTP 404"),
    (status(400), "the LLM server answered HTTP 400"),
]


@pytest.mark.parametrize(("behaviour", "reason"), BAD_ANSWERS, ids=[reason for _, reason in BAD_ANSWERS])
def test_a_bad_answer_falls_back_at_once_and_is_not_cached(llm, behaviour, reason):
    llm.play(behaviour)

    first = analyse_one(CHURN_MAIL)
    second = analyse_one(CHURN_MAIL)

    assert first == second == fell_back(CHURN_MAIL, reason)
    assert first.analyser == "builtin-2"
    assert len(llm.requests) == 2  # no retry, and nothing cached: each call asked once


def test_null_for_no_competitor_and_no_phrase_is_accepted(llm):
    llm.play(answer({**GOOD_ANSWER, "category": "Billing", "churn_intent": False, "intent_phrase": None,
                     "competitor": None, "recommended_action": "", "evidence": []}))

    result = analyse_one("We were charged twice this month.")

    assert (result.analyser, result.category, result.churn_intent, result.intent_phrase, result.competitor) == (
        "llm-stub-model", "billing", False, "", "")
    assert result.recommended_action.startswith("Check the invoice")  # the category's standard action
    assert result.evidence == []


def test_a_server_that_hangs_times_out_and_is_retried_then_falls_back(llm, settings):
    settings.ANALYSER_LLM_TIMEOUT = 0.3
    settings.ANALYSER_LLM_RETRIES = 1
    llm.play(hang(llm, 5))

    started = time.monotonic()
    result = analyse_one(CHURN_MAIL)

    assert time.monotonic() - started < 2.5
    assert result == fell_back(CHURN_MAIL, "timeout after 0.3 s (2 attempts)")
    assert len(llm.requests) == 2


def test_a_single_attempt_timeout_reads_like_the_setting(llm, settings):
    settings.ANALYSER_LLM_RETRIES = 0
    llm.play(hang(llm, 5))

    assert analyse_one(CHURN_MAIL).note == FALLBACK + "timeout after 0.5 s"
    assert len(llm.requests) == 1


def test_a_500_is_retried_and_the_second_answer_used(llm):
    llm.play(status(500), answer(GOOD_ANSWER))

    result = analyse_one(CHURN_MAIL)

    assert (result.analyser, result.category, result.note) == ("llm-stub-model", "integration", "")
    assert len(llm.requests) == 2


def test_a_slow_answer_then_a_good_one_is_retried(llm):
    llm.play(hang(llm, 5), status(429), answer(GOOD_ANSWER))

    assert analyse_one(CHURN_MAIL).analyser == "llm-stub-model"
    assert len(llm.requests) == 3


def test_503_every_time_gives_up_after_the_retries(llm):
    llm.play(status(503))

    result = analyse_one(CHURN_MAIL)

    assert result == fell_back(CHURN_MAIL, "the LLM server answered HTTP 503 (3 attempts)")
    assert len(llm.requests) == 3  # the first try and ANALYSER_LLM_RETRIES=2 retries


def test_retries_wait_a_short_growing_backoff(llm, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(providers, "BACKOFF_SECONDS", 0.5)
    monkeypatch.setattr(providers.time, "sleep", waits.append)
    llm.play(status(502))

    analyse_one(CHURN_MAIL)

    assert waits == [0.5, 1.0]


def test_a_server_that_is_down_falls_back(settings, monkeypatch):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.ANALYSER_LLM_URL = f"http://127.0.0.1:{port}"
    settings.ANALYSER_LLM_RETRIES = 1
    monkeypatch.setattr(providers, "BACKOFF_SECONDS", 0.0)

    assert analyse_one(CHURN_MAIL) == fell_back(CHURN_MAIL, "could not connect to the LLM server (2 attempts)")


def test_a_url_without_a_scheme_falls_back_at_once(settings):
    settings.ANALYSER_LLM_URL = "127.0.0.1:11434"

    assert analyse_one(CHURN_MAIL) == fell_back(CHURN_MAIL,
                                                "the request to the LLM server failed (InvalidSchema)")


def test_a_batch_stops_asking_a_failing_server_after_three_texts(llm, settings):
    settings.ANALYSER_LLM_RETRIES = 0
    llm.play(status(503))
    texts = [f"Ticket {n}: the Epic sync failed again." for n in range(5)]

    results = analyse_many(texts)

    assert len(llm.requests) == 3
    assert [r.note for r in results] == [FALLBACK + "the LLM server answered HTTP 503"] * 3 + [
        FALLBACK + "the LLM server failed on the 3 texts before this one, so it was not asked again in this batch"] * 2
    assert [r.analyser for r in results] == ["builtin-2"] * 5


def test_a_good_answer_between_failures_resets_the_count(llm, settings):
    settings.ANALYSER_LLM_RETRIES = 0
    llm.play(status(503), status(503), answer(GOOD_ANSWER), status(503), status(503), answer(GOOD_ANSWER))

    results = analyse_many([f"Ticket {n}" for n in range(6)])

    assert len(llm.requests) == 6
    assert [r.analyser for r in results] == ["builtin-2", "builtin-2", "llm-stub-model"] * 2


def test_a_long_text_is_cut_before_it_is_sent_and_the_cut_is_noted(llm):
    long_text = CHURN_MAIL + " " + "x" * MAX_TEXT

    result = analyse_one(long_text)

    assert result.analyser == "llm-stub-model"
    assert result.note == f"text cut to {MAX_TEXT:,} characters"
    assert sanitise(long_text)[0] in llm.requests[0]["prompt"] and long_text not in llm.requests[0]["prompt"]


def test_a_fallback_keeps_the_cut_note(llm):
    llm.play(status(404))
    long_text = CHURN_MAIL + " " + "x" * MAX_TEXT

    assert analyse_one(long_text).note == (f"text cut to {MAX_TEXT:,} characters; {FALLBACK}"
                                           "the LLM server answered HTTP 404")
