"""The CSM's working day from end to end, on a book nobody on the team wrote (RavenStack, imported with no CSMs):
a manager's assignment rule balances it over a team, the daily run scores it and fires the playbooks, each CSM
gets a digest of their own accounts, works their queue in bulk and follows a success plan made from the fired
reasons (docs/pages.md, docs/operations.md)."""

import datetime as dt
import random

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, AssignmentRule
from accounts.services import import_files_recorded
from interventions.models import PlanStep, Playbook, PlaybookStep, SuccessPlan, Task, TaskStatus
from scoring.models import Alert, Snapshot
from tests.factories import UserFactory
from tests.importing import ravenstack_files
from workspace.daily import run_day
from workspace.digests import daily_digest, daily_digests_send, day_bounds

pytestmark = pytest.mark.django_db(transaction=False)

AS_OF = dt.date(2024, 12, 31)  # the last day of the published RavenStack files


@pytest.fixture
def team():
    return [UserFactory(username=name, email=f"{name}@example.org", role="CSM") for name in ("ann", "bob", "cy")]


@pytest.fixture
def playbooks(db):
    """A call for every account at Medium or High risk, nobody held back as control."""
    Playbook.objects.all().delete()
    for level in ("Medium", "High"):
        playbook = Playbook.objects.create(name=f"{level} risk call", trigger_kind="risk_level", trigger_value=level,
                                           control_share=0)
        PlaybookStep.objects.create(playbook=playbook, order=1, title=f"Call about the {level} risk",
                                    due_offset_hours=24)


def test_a_fresh_book_is_assigned_by_rule_scored_digested_worked_in_bulk_and_planned(
        team, manager, playbooks, client, django_capture_on_commit_callbacks):
    rule = AssignmentRule.objects.create(name="Everyone, in turn")
    rule.team.set(team)

    with django_capture_on_commit_callbacks(execute=True):
        result = import_files_recorded(files=ravenstack_files(), source="ravenstack.zip")

    # Balanced: every live account has a CSM of the team (churned ones are nobody's book), and the books differ by
    # one account at most.
    assert result.ok, [str(problem) for problem in result.problems]
    assert not Account.objects.filter(csm__isnull=True, churned=False).exists()
    books = [Account.objects.filter(csm=csm).count() for csm in team]
    assert sum(books) == Account.objects.filter(churned=False).count() > 0 and max(books) - min(books) <= 1

    report = run_day(AS_OF, rng=random.Random(7))
    assert report.scores.run.accounts_scored > 0 and Snapshot.objects.filter(as_of=AS_OF).exists()
    assert Alert.objects.exists() and Task.objects.filter(status=TaskStatus.OPEN).exists()

    # A digest each, about their own accounts only: their new alerts and their open tasks, one e-mail each.
    today = timezone.localdate()
    end_of_today = day_bounds(today)[1]
    for csm in team:
        digest = daily_digest(csm, today)
        assert digest.new_alerts == Alert.objects.filter(account__csm=csm, status="open").count() > 0
        assert digest.task_count == Task.objects.filter(
            account__csm=csm, status=TaskStatus.OPEN, due_at__lt=end_of_today).count()
    mail.outbox.clear()
    sent = daily_digests_send(day=today, site_url="https://cs.example.org")
    mine = {message.to[0]: message for message in mail.outbox}
    assert sent.sent >= len(team) and {csm.email for csm in team} <= set(mine)
    assert all(mine[csm.email].alternatives[0][1] == "text/html" for csm in team)
    assert daily_digests_send(day=today).sent == 0  # never twice

    # Ann works her whole queue in bulk: every open task of hers done, nobody else's touched.
    ann, bob = team[0], team[1]
    assert Task.objects.filter(assignee=ann, status=TaskStatus.OPEN).exists()
    bobs_open = Task.objects.filter(assignee=bob, status=TaskStatus.OPEN).count()
    client.force_login(ann)
    response = client.post(reverse("task_bulk"), {"action": "done", "scope": "matching"})
    assert response.status_code == 302
    assert not Task.objects.filter(assignee=ann, status=TaskStatus.OPEN).exists()
    assert Task.objects.filter(assignee=bob, status=TaskStatus.OPEN).count() == bobs_open

    # And plans her riskiest account from its fired reasons: steps she owns, shown on her queue.
    riskiest = Snapshot.objects.filter(as_of=AS_OF, account__csm=ann).order_by("-risk_score").first().account
    response = client.post(reverse("success_plan", args=[riskiest.external_id]))
    assert response.status_code == 302
    plan = SuccessPlan.objects.get(account=riskiest)
    steps = PlanStep.objects.filter(objective__plan=plan)
    assert steps.exists() and set(steps.values_list("owner", flat=True)) == {ann.pk}
    home = client.get(reverse("home")).content.decode()
    assert steps.order_by("due_on", "id").first().title in home
