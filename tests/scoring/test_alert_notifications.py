"""Alert notifications of docs/scoring.md: after a recompute commits, a Slack incoming webhook, when set, gets
the new alerts. Each alert is announced once; a Slack failure never breaks the recompute and the alerts are
posted on the next run. Nobody is e-mailed per run: new alerts go into each CSM's daily digest
(tests/test_digests.py).
"""

import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accounts.models import ContactRole, InvoiceStatus, UsageRecord
from scoring.models import Alert
from scoring.notifications import alerts_slack
from scoring.services import recompute_scores
from tests.factories import (
    AccountFactory,
    ContactFactory,
    InvoiceFactory,
    SubscriptionFactory,
    UsageRecordFactory,
)

AS_OF = dt.date(2025, 3, 16)
SITE = "https://cs.example.org"


def day(days_before: int) -> dt.date:
    return AS_OF - dt.timedelta(days=days_before)


def live_account(external_id: str, name: str, csm=None):
    """An account with an active subscription and steady use (10 a day for 61 days): no alert of its own."""
    account = AccountFactory(external_id=external_id, name=name, csm=csm)
    subscription = SubscriptionFactory(account=account, start_date=dt.date(2024, 1, 1))
    UsageRecord.objects.bulk_create(
        UsageRecordFactory.build(subscription=subscription, usage_id=f"{external_id}-{n}", date=day(n), usage_count=10)
        for n in range(61)
    )
    return account


def failing_payer(external_id: str, name: str, csm=None):
    """A live account whose only alert is a failed payment due 5 days ago."""
    account = live_account(external_id, name, csm)
    InvoiceFactory(account=account, due_date=day(5), status=InvoiceStatus.FAILED)
    return account


def recompute(capture, as_of: dt.date = AS_OF) -> None:
    """A recompute whose transaction commits, so its on-commit notifications run."""
    with capture(execute=True):
        recompute_scores(as_of=as_of)


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE
    settings.SLACK_WEBHOOK_URL = ""
    return settings


# E-mail ----------------------------------------------------------------------------------------------

@pytest.fixture
def book(csm, other_csm, manager):
    """Casey: a failed payment and a champion who left; Robin: a failed payment; one unassigned account."""
    lakeside = failing_payer("A-OWN", "Lakeside Family Practice", csm=csm)
    bayview = live_account("A-BAY", "Bayview Cardiology", csm=csm)
    ContactFactory(account=bayview, role=ContactRole.CHAMPION, is_active=False, left_date=day(4))
    failing_payer("A-FOREIGN", "Harbor Pediatrics", csm=other_csm)
    failing_payer("A-NOBODY", "Summit Orthopedics")
    return lakeside


def test_a_recompute_emails_nobody_new_alerts_wait_for_the_daily_digest(book, mailoutbox,
                                                                      django_capture_on_commit_callbacks):
    recompute(django_capture_on_commit_callbacks)

    assert Alert.objects.count() == 4
    assert mailoutbox == []


# Slack -------------------------------------------------------------------------------------------------

@dataclass
class SlackStub:
    """A local stand-in for a Slack incoming webhook that records what it receives."""

    url: str = ""
    status: int = 200
    hang: bool = False
    posts: list[dict] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def slack() -> Iterator[SlackStub]:
    stub = SlackStub()

    class Webhook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            stub.posts.append({"path": self.path, "content_type": self.headers["Content-Type"],
                               "json": json.loads(body)})
            if stub.hang:
                stub.release.wait(10)
            self.send_response(stub.status)
            self.end_headers()
            self.wfile.write(b"ok" if stub.status == 200 else b"internal_error")

        def log_message(self, format, *args):  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/XXXX"
    yield stub
    stub.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def two_alerts(csm):
    failing_payer("A-OWN", "Lakeside Family Practice", csm=csm)
    failing_payer("A-NOBODY", "Summit Orthopedics")


def test_new_alerts_are_posted_to_slack_once(two_alerts, slack, settings, django_capture_on_commit_callbacks):
    settings.SLACK_WEBHOOK_URL = slack.url

    recompute(django_capture_on_commit_callbacks)
    recompute(django_capture_on_commit_callbacks)

    assert len(slack.posts) == 1
    post = slack.posts[0]
    assert (post["path"], post["content_type"]) == ("/services/T000/B000/XXXX", "application/json")
    assert list(post["json"]) == ["text"]
    lines = post["json"]["text"].split("\n")
    assert lines[0] == "HealthCS: 2 new alert(s)"
    assert sorted(lines[1:]) == [
        "• *Failed payment* — <https://cs.example.org/accounts/A-NOBODY/|Summit Orthopedics>: "
        "1 failed or overdue invoice(s) since 2025-03-11",
        "• *Failed payment* — <https://cs.example.org/accounts/A-OWN/|Lakeside Family Practice>: "
        "1 failed or overdue invoice(s) since 2025-03-11",
    ]
    assert not Alert.objects.filter(slack_sent_at__isnull=True).exists()


def test_nothing_is_posted_without_a_webhook(two_alerts, slack, django_capture_on_commit_callbacks):
    recompute(django_capture_on_commit_callbacks)

    assert slack.posts == []
    assert Alert.objects.filter(slack_sent_at__isnull=True).count() == 2


def test_alerts_stay_unsent_when_slack_answers_500_and_go_out_on_the_next_run(
        two_alerts, slack, settings, django_capture_on_commit_callbacks):
    settings.SLACK_WEBHOOK_URL = slack.url
    slack.status = 500

    recompute(django_capture_on_commit_callbacks)

    assert len(slack.posts) == 1
    assert Alert.objects.filter(slack_sent_at__isnull=True).count() == 2

    slack.status = 200
    recompute(django_capture_on_commit_callbacks, as_of=AS_OF + dt.timedelta(days=1))

    assert len(slack.posts) == 2
    assert slack.posts[1]["json"]["text"].startswith("HealthCS: 2 new alert(s)\n")
    assert not Alert.objects.filter(slack_sent_at__isnull=True).exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_alerts_stay_unsent_when_slack_is_not_listening(two_alerts, slack, settings,
                                                        django_capture_on_commit_callbacks):
    settings.SLACK_WEBHOOK_URL = f"http://127.0.0.1:{free_port()}/hook"

    recompute(django_capture_on_commit_callbacks)

    assert Alert.objects.filter(slack_sent_at__isnull=True).count() == 2

    settings.SLACK_WEBHOOK_URL = slack.url
    recompute(django_capture_on_commit_callbacks)

    assert len(slack.posts) == 1
    assert not Alert.objects.filter(slack_sent_at__isnull=True).exists()


def test_a_slack_webhook_that_hangs_times_out_without_a_crash(two_alerts, slack, settings,
                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        recompute_scores(as_of=AS_OF)
    slack.hang = True

    started = time.perf_counter()
    sent = alerts_slack(site_url=SITE, webhook_url=slack.url, timeout=0.3)
    elapsed = time.perf_counter() - started

    assert sent == 0
    assert elapsed < 3
    assert len(slack.posts) == 1
    assert Alert.objects.filter(slack_sent_at__isnull=True).count() == 2


def test_many_new_alerts_are_all_posted_100_to_a_message(csm, slack):
    accounts = AccountFactory.create_batch(201, csm=csm)
    Alert.objects.bulk_create(Alert(account=a, kind="silent_account", as_of=AS_OF, message="No interaction")
                              for a in accounts)

    sent = alerts_slack(site_url=SITE, webhook_url=slack.url)

    assert sent == 201
    assert [p["json"]["text"].split("\n")[0] for p in slack.posts] == [
        "HealthCS: 100 new alert(s)", "HealthCS: 100 new alert(s)", "HealthCS: 1 new alert(s)"]
    assert not Alert.objects.filter(slack_sent_at__isnull=True).exists()
