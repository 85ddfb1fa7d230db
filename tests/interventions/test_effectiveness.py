"""The effectiveness numbers (docs/interventions.md) on a small hand-built history with known answers, and the
confidence interval against a published example."""

import datetime as dt
from decimal import Decimal

import pytest

from interventions.effectiveness import Rate, effectiveness, newcombe_difference
from interventions.models import Intervention, Outcome, Playbook, Task
from tests.factories import AccountFactory, ChurnEventFactory, SnapshotFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 6, 30)
MARCH_1 = dt.datetime(2025, 3, 1, 8, tzinfo=dt.UTC)


def hours(n: float) -> dt.datetime:
    return MARCH_1 + dt.timedelta(hours=n)


def intervene(playbook, account, group: str, on=MARCH_1) -> Intervention:
    return Intervention.objects.create(
        account=account, playbook=playbook, triggered_on=on.date(), triggered_at=on, reason="In the Critical tier",
        health_tier="Critical", draw=0.05 if group == "control" else 0.5, group=group,
        status="control" if group == "control" else "open")


def task(intervention, order: int, due: float, done: float | None) -> None:
    Task.objects.create(intervention=intervention, account=intervention.account, order=order, title=f"Step {order}",
                        channel="call", assignee_role="csm", due_at=hours(due),
                        status="done" if done is not None else "open", done_at=None if done is None else hours(done))


def outcome(intervention, kind: str, at: float, user) -> None:
    Outcome.objects.create(account=intervention.account, intervention=intervention, kind=kind, created_by=user,
                           created_at=hours(at))


@pytest.fixture
def history(csm):
    """Three treated and two control interventions of one Critical playbook (see each line)."""
    Playbook.objects.update(active=False)
    playbook = Playbook.objects.create(name="Rescue", trigger_kind="tier", trigger_value="Critical")
    a1, a2, a3, a4, a5 = (AccountFactory(csm=csm) for _ in range(5))
    # Treated 1: first task on time, second a day late; contacted after 6 hours; At risk on March 20; stays.
    i1 = intervene(playbook, a1, "treated")
    task(i1, 1, due=2, done=1)
    task(i1, 2, due=26, done=50)
    outcome(i1, "contacted", 6, csm)
    SnapshotFactory(account=a1, as_of=dt.date(2025, 3, 20), health_tier="At risk")
    # Treated 2: all on time; no response, then a meeting after 24 hours; still Critical; churned April 15.
    i2 = intervene(playbook, a2, "treated")
    task(i2, 1, due=2, done=2)
    outcome(i2, "no_response", 1, csm)
    outcome(i2, "meeting_scheduled", 24, csm)
    SnapshotFactory(account=a2, as_of=dt.date(2025, 3, 25), health_tier="Critical")
    ChurnEventFactory(account=a2, churn_date=dt.date(2025, 4, 15))
    # Control 1: still Critical on March 28; churned May 1.
    intervene(playbook, a3, "control")
    SnapshotFactory(account=a3, as_of=dt.date(2025, 3, 28), health_tier="Critical")
    ChurnEventFactory(account=a3, churn_date=dt.date(2025, 5, 1))
    # Control 2: Healthy on March 10; churned July 15, beyond the 90 days.
    intervene(playbook, a4, "control")
    SnapshotFactory(account=a4, as_of=dt.date(2025, 3, 10), health_tier="Healthy")
    ChurnEventFactory(account=a4, churn_date=dt.date(2025, 7, 15))
    # Treated 3, fired June 1: too recent for recovery or churn, no tasks.
    intervene(playbook, a5, "treated", on=dt.datetime(2025, 6, 1, 8, tzinfo=dt.UTC))
    SnapshotFactory(account=a5, as_of=AS_OF, health_tier="Critical", arr=Decimal("12000"))
    return playbook


def test_the_numbers_of_a_known_history(history, django_assert_num_queries):
    with django_assert_num_queries(9):  # counted in the database, whatever the number of interventions
        report = effectiveness(as_of=AS_OF)
    with django_assert_num_queries(5):  # without the CSMs' workload, the same rows
        assert effectiveness(as_of=AS_OF, workload=False).rows == report.rows

    [row] = report.rows
    assert (row.playbook, row.tier, row.treated, row.control) == ("Rescue", "Critical", 3, 2)
    assert row.on_time == Rate(2, 1)
    assert row.median_first_contact_hours == 15.0
    assert row.outcomes == {"contacted": 1, "no_response": 1, "meeting_scheduled": 1}
    assert (row.recovery_treated, row.recovery_control) == (Rate(2, 1), Rate(2, 1))
    assert (row.churn_treated, row.churn_control) == (Rate(2, 1), Rate(2, 1))
    difference, lower, upper = row.churn_difference
    assert difference == 0.0 and lower < 0 < upper


@pytest.mark.parametrize(("counts", "expected"), [
    ((56, 70, 48, 80), (0.2, 0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.6, 0.1705, 0.8090)),
])
def test_the_difference_interval_matches_newcombes_published_examples(counts, expected):
    # Newcombe (1998), Statistics in Medicine 17, examples (a) and (d), method 10 (hybrid score).
    assert tuple(round(value, 4) for value in newcombe_difference(*counts)) == expected


def test_the_workload_per_csm(history, csm, other_csm):
    report = effectiveness(as_of=AS_OF, now=dt.datetime(2025, 3, 3, tzinfo=dt.UTC))

    mine = next(w for w in report.workload if w.csm == csm)
    assert (mine.accounts, mine.arr) == (5, 12000.0)
    assert (mine.open_tasks, mine.overdue_tasks) == (0, 0)  # the tasks above are unassigned
    Task.objects.update(assignee=csm)
    Task.objects.filter(title="Step 2").update(status="open", done_at=None)
    mine = next(w for w in effectiveness(as_of=AS_OF, now=dt.datetime(2025, 3, 3, tzinfo=dt.UTC)).workload
                if w.csm == csm)
    assert (mine.open_tasks, mine.overdue_tasks) == (1, 1)
    assert next(w for w in report.workload if w.csm == other_csm).accounts == 0


def test_the_page_shows_the_table_and_the_charts(client, manager, history):
    from scoring.models import Snapshot

    Snapshot.objects.filter(as_of=AS_OF).update(as_of=AS_OF)  # the latest scoring date is AS_OF
    client.force_login(manager)

    response = client.get("/interventions/effectiveness/")

    assert response.status_code == 200
    content = response.content.decode()
    assert '<span data-testid="difference">0.000 (' in content
    assert response.context["charts"]["churn"]["datasets"][0]["data"] == [50.0]
