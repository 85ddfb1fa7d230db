"""A CRM's webhook receiver for the tests: a real HTTP server on a free local port, in a thread, that checks each
delivery's signature as docs/api.md tells a receiver to, answers with the status codes it is told (the last one
repeats) and records what it received."""

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from tests.local_server import local_http_server

SECRET = "whsec-0123456789abcdef"


def signature_valid(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """The receiver's check of docs/api.md#webhooks, written out independently of HealthCS's code."""
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


@dataclass
class Received:
    path: str
    event: str
    delivery: str
    timestamp: str
    signed: bool  # the signature checked out with SECRET
    body: dict


class Receiver:
    def __init__(self) -> None:
        self.answers: list[int] = [200]
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.url = ""

    def answer(self, *codes: int) -> None:
        with self.lock:
            self.answers = list(codes)
            self.received = []

    def next_code(self) -> int:
        with self.lock:
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        receiver: Receiver = self.server.receiver  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        timestamp = self.headers.get("X-HealthCS-Timestamp", "")
        with receiver.lock:
            receiver.received.append(Received(
                path=self.path, event=self.headers.get("X-HealthCS-Event", ""),
                delivery=self.headers.get("X-HealthCS-Delivery", ""), timestamp=timestamp,
                signed=signature_valid(SECRET, timestamp, body, self.headers.get("X-HealthCS-Signature", "")),
                body=json.loads(body)))
        code = receiver.next_code()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok" if code < 300 else b"try again later" if code >= 429 else b"no such hook")

    def log_message(self, *args) -> None:
        return None


def serving() -> Iterator[Receiver]:
    """A receiver listening until the generator is closed."""
    receiver = Receiver()
    with local_http_server(_Handler, receiver=receiver) as base_url:
        receiver.url = f"{base_url}/hooks/healthcs"
        yield receiver
