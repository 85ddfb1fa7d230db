"""The pages 50 users work in stay light and cost a fixed number of queries however big the book (issue 13,
docs/security.md). On the demo book (tests/demo_book: `seed_demo`, 300 accounts, built once per run) with a pipeline
and a queue longer than a page: the pipeline board, home (CSM and manager), the account list and Account 360
are each under 200 KB of HTML, and cost exactly as many queries again after the book grows by another
batch of everything they show (accounts with scores and alerts, opportunities in every stage, signals,
tasks, notifications, and tickets, touchpoints and outcomes on the account opened)."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, SupportTicket, Touchpoint, User
from expansion.models import ExpansionSignal, Opportunity, Stage
from expansion.pipeline import COLUMN_PAGE
from interventions.models import Intervention, Notification, Outcome, Playbook, Task
from scoring.models import Alert, Snapshot
from scoring.services import latest_as_of
from tests.factories import SnapshotFactory, SupportTicketFactory, TouchpointFactory

pytestmark = pytest.mark.django_db

MAX_HTML = 200 * 1024
SEQUENCE = itertools.count(1)


@pytest.fixture(scope="module")
def demo(demo_book, django_db_blocker):
    """The demo book with a pipeline and a queue longer than a page for csm1; rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        grow_book(User.objects.get(username="csm1"))
        yield
        transaction.set_rollback(True)


def busiest_account(csm: User) -> Account:
    """The CSM's account with the most tickets: the heaviest Account 360."""
    return Account.objects.filter(csm=csm).annotate(n=Count("tickets")).order_by("-n", "id").first()


def grow_book(csm: User, opened: Account | None = None) -> None:
    """Another batch of everything the pages show, on 30 new accounts of the CSM (scored today with an
    alert and a signal each): 30 opportunities in every stage, 25 tasks due and 25 coming up with
    notifications, and on `opened` 40 tickets, 40 touchpoints and 10 outcomes."""
    batch = next(SEQUENCE)
    now, as_of = timezone.now(), latest_as_of()
    accounts = Account.objects.bulk_create(
        Account(external_id=f"GROW-{batch}-{n:03d}", name=f"Grown Clinic {batch}-{n:03d}", csm=csm, seats=10,
                plan_tier="Pro", segment="SMB", renewal_date=as_of + dt.timedelta(days=n)) for n in range(30))
    Snapshot.objects.bulk_create(SnapshotFactory.build(account=account, as_of=as_of, risk_score=70 + n % 30,
                                                       risk_level="High", health_tier="Critical", health_score=20.0,
                                                       arr=Decimal("12000"))
                                 for n, account in enumerate(accounts))
    Alert.objects.bulk_create(Alert(account=account, kind="failed_payment", as_of=as_of, message="Invoice failed")
                              for account in accounts)
    ExpansionSignal.objects.bulk_create(
        ExpansionSignal(account=account, kind="usage_limit", first_detected_on=as_of, last_detected_on=as_of,
                        summary="Usage at 92% of the plan's limit", estimated_mrr=Decimal("300"))
        for account in accounts)
    Opportunity.objects.bulk_create(
        Opportunity(account=accounts[n], owner=csm, title=f"Grown {stage} {n}", stage=stage, amount=Decimal(500 + n),
                    probability=100 if stage == Stage.WON else 0 if stage == Stage.LOST else 25,
                    lost_reason="Timing" if stage == Stage.LOST else "", created_at=now,
                    closed_at=now - dt.timedelta(days=n) if stage in (Stage.WON, Stage.LOST) else None,
                    expected_close=as_of + dt.timedelta(days=n)) for stage in Stage.values for n in range(30))
    playbook = Playbook.objects.create(name=f"Grown playbook {batch}", trigger_kind="tier", trigger_value="Critical")
    tasks = []
    for n, account in enumerate(accounts[:25]):
        intervention = Intervention.objects.create(account=account, playbook=playbook, triggered_on=as_of,
                                                   triggered_at=now, reason="Critical", csm=csm, draw=0.5,
                                                   group="treated", status="open")
        tasks += Task.objects.bulk_create(
            Task(intervention=intervention, account=account, order=order, title=f"Grown task {n}-{order}",
                 channel="call", assignee_role="csm", assignee=csm, message="Hi, about the invoice",
                 due_at=now + dt.timedelta(hours=-5 + 60 * order))  # one overdue, one in 2.5 days
            for order in (0, 1))
    Notification.objects.bulk_create(Notification(user=csm, account=task.account, task=task, message="Escalated")
                                     for task in tasks[:20])
    if opened is not None:
        SupportTicket.objects.bulk_create(SupportTicketFactory.build(account=opened, submitted_at=now, subject="Help")
                                          for _ in range(40))
        Touchpoint.objects.bulk_create(TouchpointFactory.build(account=opened, occurred_at=now) for _ in range(40))
        Outcome.objects.bulk_create(Outcome(account=opened, kind="contacted", note="Called", created_by=csm,
                                            created_at=now) for _ in range(10))


def pages(account: Account) -> dict[str, str]:
    return {"pipeline board": reverse("pipeline"), "home": reverse("home"), "account list": reverse("account_list"),
            "Account 360": reverse("account_detail", args=[account.external_id])}


def queries(client, address: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("username", ["csm1", "manager"])
def test_every_page_is_under_200_kb(client, demo, username):
    client.force_login(User.objects.get(username=username))
    account = busiest_account(User.objects.get(username="csm1"))

    sizes = {page: len(client.get(address).content) for page, address in pages(account).items()}

    assert {page: size for page, size in sizes.items() if size >= MAX_HTML} == {}, sizes
    assert min(sizes.values()) > 10_000  # real pages, not error pages


def test_the_board_shows_a_page_of_each_column_and_no_forms(client, demo):
    client.force_login(User.objects.get(username="csm1"))

    response = client.get(reverse("pipeline"))

    for column in response.context["board"].columns:
        assert len(column.cards) == min(COLUMN_PAGE, column.totals.count), column.stage
        assert column.totals.count > COLUMN_PAGE, column.stage  # the book is big enough to matter
    html = response.content.decode()
    board = html[html.index('<div id="board"'):html.index('<p class="note">')]
    assert board.count("<form") == board.count("<select") == 0
    assert board.count('data-testid="card"') == 6 * COLUMN_PAGE


@pytest.mark.parametrize("username", ["csm1", "manager"])
def test_pages_cost_the_same_queries_when_the_book_grows(client, demo, username):
    csm = User.objects.get(username="csm1")
    account = busiest_account(csm)
    client.force_login(User.objects.get(username=username))
    for address in pages(account).values():  # warm: session, user, role, permissions
        client.get(address)
    before = {page: queries(client, address) for page, address in pages(account).items()}
    shown_before = client.get(reverse("pipeline")).context["board"].columns[0].totals.count

    grow_book(csm, opened=account)

    after = {page: queries(client, address) for page, address in pages(account).items()}
    assert after == before
    assert client.get(reverse("pipeline")).context["board"].columns[0].totals.count == shown_before + 30
