"""A small HTTP server that plays an Ollama-compatible LLM for the tests of the LLM reader: it answers
request by request as told and records what it saw."""

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler

from tests.local_server import local_http_server

CHURN_MAIL = ("Hi, after the third Epic sync outage this month we've decided we're moving to CareLoop when our "
              "contract ends.")
GOOD_ANSWER = {
    "summary": "Third Epic sync outage this month; the customer is moving to CareLoop at contract end.",
    "category": "integration",
    "sentiment": -0.7,
    "churn_intent": True,
    "intent_phrase": "we're moving to CareLoop",
    "competitors": ["CareLoop"],
    "recommended_action": "Call the executive sponsor today with a fix plan for the Epic sync.",
    "evidence": ["third Epic sync outage", "we're moving to CareLoop", "CareLoop", "words the model made up"],
}

Behaviour = Callable[[BaseHTTPRequestHandler], None]


class StubLLM:
    """What the fake server answers, request by request (the last behaviour repeats), and what it saw."""

    def __init__(self) -> None:
        self.behaviours: list[Behaviour] = [answer(GOOD_ANSWER)]
        self.requests: list[dict] = []
        self.paths: list[str] = []
        self.release = threading.Event()  # ends every hanging answer when the test is over
        self.lock = threading.Lock()
        self.url = ""

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
            pass  # the client gave up waiting (the timeout tests)

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


def served() -> Iterator[StubLLM]:
    """A stub listening on a free local port until the generator is closed."""
    stub = StubLLM()
    with local_http_server(Handler, stub=stub) as base_url:
        stub.url = base_url
        try:
            yield stub
        finally:
            stub.release.set()  # a request held by hang() answers, so the server can stop
