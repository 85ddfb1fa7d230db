"""Bulk work on the Tasks page (issue 17, item 6; docs/pages.md#tasks): the ticked tasks, or all matching the
filter, marked done, snoozed or handed on at once, set-based and audited, all or nothing; another CSM's task
among the ticked ones changes nothing; the header's counts come back out of band with HTMX."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from healthcs.errors import DomainError
from interventions.models import Intervention, Task
from interventions.services import tasks_done, tasks_reassign, tasks_snooze
from tests.factories import AccountFactory, PlaybookFactory
from tests.interventions.task_book import add_task, task_book

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def book(csm, other_csm, own_account, foreign_account):
    return task_book(csm, own_account, foreign_account)


def ids(book, *names) -> list[str]:
    return [str(book["tasks"][name].pk) for name in names]


def state(*tasks) -> list[tuple]:
    """What a bulk action may change of each task, read again."""
    return [tuple(Task.objects.filter(pk=t.pk).values_list("status", "due_at", "assignee_id", "snooze_reason")[0])
            for t in tasks]


def in_a_day() -> str:
    return (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")


def test_ticked_tasks_are_marked_done_audited_and_their_finished_intervention_completed(client, csm, book):
    client.force_login(csm)

    response = client.post(reverse("task_bulk"), {"action": "done", "scope": "checked",
                                                  "task": ids(book, "call_lakeside", "email_bayview")})

    assert (response.status_code, response["Location"]) == (302, "/tasks/")
    done = Task.objects.filter(status="done", done_by=csm).exclude(title="Done already")
    assert sorted(done.values_list("title", flat=True)) == ["Call Lakeside", "Email Bayview"]
    assert Intervention.objects.get(tasks__title="Email Bayview").status == "completed"  # its only task
    assert Intervention.objects.get(tasks__title="Call Lakeside").status == "open"  # Review Lakeside is left
    assert sorted(AuditEvent.objects.filter(action="done").values_list("object_repr", "user__username", "changes")) \
        == [("Call Lakeside", "casey", {"status": ["open", "done"]}),
            ("Email Bayview", "casey", {"status": ["open", "done"]})]
    page = client.get(response["Location"]).content.decode()
    assert "2 tasks marked done." in page and ">0 overdue<" not in page and "1 due" in page


def test_all_tasks_matching_the_filter_are_done_and_no_others(client, csm, book):
    client.force_login(csm)

    response = client.post(reverse("task_bulk") + "?due=overdue&channel=call",
                           {"action": "done", "scope": "matching"})

    assert (response.status_code, response["Location"]) == (302, "/tasks/?due=overdue&channel=call")
    assert list(Task.objects.filter(status="done", done_by=csm).values_list("title", flat=True)) == ["Call Lakeside"]
    assert Task.objects.get(title="Robin's call").status == "open"  # robin's is never in casey's filter


def test_all_matching_a_filter_with_an_unreadable_value_is_refused_rather_than_widened(client, csm, book):
    client.force_login(csm)

    response = client.post(reverse("task_bulk") + "?due=overdeu", {"action": "done", "scope": "matching"})

    assert response.status_code == 400
    assert "so &quot;all matching&quot; would take more tasks than shown: &#x27;overdeu&#x27; is not a due " \
           "filter" in response.content.decode()
    assert not Task.objects.filter(status="done").exclude(title="Done already").exists()


def test_with_htmx_the_rows_come_back_with_the_new_counts_swapped_out_of_band(client, csm, book):
    client.force_login(csm)

    response = client.post(reverse("task_bulk") + "?due=overdue",
                           {"action": "done", "scope": "checked", "task": ids(book, "call_lakeside")}, headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert ('<small id="queue-counts" data-testid="queue-counts" hx-get="/tasks/counts/" hx-trigger="tasksChanged '
            'from:body" hx-swap="outerHTML" hx-swap-oob="true">2 due, <span class="badge bad" '
            'data-testid="overdue-count">1 overdue</span></small>') in html
    assert "1 task marked done." in html and "Email Bayview" in html and "Call Lakeside" not in html


def test_another_csms_task_among_the_ticked_ones_changes_nothing(client, csm, book):
    mine, robins = book["tasks"]["call_lakeside"], book["tasks"]["robins_call"]
    before = state(mine, robins)
    client.force_login(csm)

    responses = [client.post(reverse("task_bulk"), {"action": action, "scope": "checked",
                                                    "task": [str(mine.pk), str(robins.pk)], "until": in_a_day(),
                                                    "reason": "Away", "assignee": str(csm.pk)})
                 for action in ("done", "snooze", "reassign")]

    assert [r.status_code for r in responses] == [400, 400, 400]
    assert "1 of the 2 chosen tasks cannot be changed: they are done already or not in your queue. Nothing was " \
           "changed" in responses[0].content.decode()
    assert state(mine, robins) == before and not AuditEvent.objects.exists()


def test_a_bulk_snooze_moves_due_and_escalation_times_by_the_single_snoozes_rules(client, csm, book):
    call, email = book["tasks"]["call_lakeside"], book["tasks"]["email_bayview"]
    Task.objects.filter(pk=call.pk).update(escalate_at=call.due_at + dt.timedelta(hours=4))
    Task.objects.filter(pk=email.pk).update(escalate_at=email.due_at, escalated_at=email.due_at)
    client.force_login(csm)
    until = in_a_day()

    response = client.post(reverse("task_bulk"), {"action": "snooze", "scope": "checked", "until": until,
                                                  "reason": " Waiting for the renewal call ",
                                                  "task": ids(book, "call_lakeside", "email_bayview")})

    assert response.status_code == 302
    moment = timezone.make_aware(dt.datetime.fromisoformat(until))
    call.refresh_from_db()
    email.refresh_from_db()
    assert (call.due_at, call.snoozed_until, call.escalate_at, call.snooze_reason) == (
        moment, moment, moment + dt.timedelta(hours=4), "Waiting for the renewal call")
    assert (email.due_at, email.escalate_at) == (moment, email.escalated_at)  # escalated already: stays
    assert AuditEvent.objects.filter(action="snoozed").count() == 2


@pytest.mark.parametrize("typed, problem", [
    ({"until": "2020-01-01T09:00", "reason": "Holiday"}, "Snooze until a time in the future."),
    ({"until": "2099-01-01T09:00", "reason": "Holiday"}, "Snooze for 30 days at most."),
    ({"until": "soon", "reason": "Holiday"}, "Give a date and time, e.g. 2025-04-02 09:00."),
    ({"until": "", "reason": "Holiday"}, "Give the date and time to snooze the tasks until."),
    ({"until": "2099-01-01T09:00", "reason": "   "}, "Say why the tasks wait (the manager sees it)."),
    ({"until": "2099-01-01T09:00", "reason": "x" * 301}, "Say why the task waits in at most 300 characters (this "
                                                          "reason has 301)."),
])
def test_a_refused_snooze_changes_nothing_and_keeps_what_was_typed(client, csm, book, typed, problem):
    tasks = [book["tasks"]["call_lakeside"], book["tasks"]["email_bayview"]]
    before = state(*tasks)
    client.force_login(csm)

    response = client.post(reverse("task_bulk") + "?due=overdue", {
        "action": "snooze", "scope": "checked", "task": ids(book, "call_lakeside", "email_bayview"), **typed})

    html = response.content.decode()
    assert response.status_code == 400 and problem.replace("'", "&#x27;") in html
    assert state(*tasks) == before and not AuditEvent.objects.exists()
    assert f'value="{typed["until"]}"' in html and '<option value="snooze" selected>' in html
    assert html.count("checked>") == 3  # the two ticked tasks and the "ticked tasks" scope


def test_a_manager_hands_tasks_to_a_manager_or_the_accounts_csm_but_not_to_another_csm(
        client, manager, csm, other_csm, book):
    lakeside = [book["tasks"]["call_lakeside"], book["tasks"]["review_lakeside"]]
    client.force_login(manager)
    chosen = {"action": "reassign", "scope": "checked", "task": ids(book, "call_lakeside", "review_lakeside")}

    to_robin = client.post(reverse("task_bulk"), {**chosen, "assignee": str(other_csm.pk)})
    assert to_robin.status_code == 400
    assert "is not the CSM of every chosen task&#x27;s account" in to_robin.content.decode()
    assert {t.assignee_id for t in Task.objects.filter(pk__in=[t.pk for t in lakeside])} == {csm.pk}

    to_me = client.post(reverse("task_bulk"), {**chosen, "assignee": str(manager.pk)})
    back = client.post(reverse("task_bulk"), {**chosen, "task": ids(book, "call_lakeside"), "assignee": str(csm.pk)})

    assert (to_me.status_code, back.status_code) == (302, 302)
    assert dict(Task.objects.filter(pk__in=[t.pk for t in lakeside]).values_list("title", "assignee__username")) \
        == {"Call Lakeside": "casey", "Review Lakeside": "morgan"}
    assert list(AuditEvent.objects.filter(action="reassigned").order_by("id").values_list("object_repr", "changes")) \
        == [("Call Lakeside", {"assignee": ["casey@example.org", "morgan@example.org"]}),
            ("Review Lakeside", {"assignee": ["casey@example.org", "morgan@example.org"]}),
            ("Call Lakeside", {"assignee": ["morgan@example.org", "casey@example.org"]})]


def test_a_csm_hands_tasks_to_a_manager_and_never_to_another_csm(client, csm, other_csm, manager, book):
    client.force_login(csm)
    chosen = {"action": "reassign", "scope": "checked", "task": ids(book, "call_lakeside")}

    to_robin = client.post(reverse("task_bulk"), {**chosen, "assignee": str(other_csm.pk)})
    page = client.get(reverse("task_list")).content.decode()
    to_manager = client.post(reverse("task_bulk"), {**chosen, "assignee": str(manager.pk)})

    assert to_robin.status_code == 400
    assert "Choose one of the people listed to hand the tasks to." in to_robin.content.decode()
    assert f'<option value="{other_csm.pk}"' not in page and f'<option value="{manager.pk}"' in page
    assert to_manager.status_code == 302
    assert Task.objects.get(title="Call Lakeside").assignee == manager
    assert "Call Lakeside" not in client.get(reverse("task_list")).content.decode()  # out of casey's queue


@pytest.mark.parametrize("posted, problem", [
    ({"action": "done", "task": ["١٢"]}, "&#x27;١٢&#x27; is not a task; tick the tasks on the page."),
    ({"action": "done", "task": ["9" * 40]}, "&#x27;9999999999999999999999999999999999999999&#x27; is not a task"),
    ({"action": "done", "task": [str(n) for n in range(1, 502)]}, "Tick at most 500 tasks, or choose all the tasks "
                                                                  "matching the filter."),
    ({"action": "done"}, "No task was chosen: tick the tasks to change, or choose all the tasks matching the filter."),
    ({"action": "burn", "task": ["1"]}, "Choose what to do: mark done, snooze or reassign."),
    ({"action": "reassign", "task": ["1"]}, "Choose whom to hand the tasks to."),
    ({"action": "reassign", "task": ["1"], "assignee": "١"}, "Choose one of the people listed to hand the tasks to."),
    ({"action": "snooze", "task": ["1"], "until": "2099-01-01T09:00", "reason": "a\x00b"},
     "The reason contains a NUL character (\\0); remove it."),
])
def test_hostile_or_empty_input_is_refused_with_a_message_and_nothing_written(client, csm, book, posted, problem):
    before = state(*book["tasks"].values())
    client.force_login(csm)

    response = client.post(reverse("task_bulk"), {"scope": "checked", **posted})

    assert response.status_code == 400 and problem in response.content.decode()
    assert state(*book["tasks"].values()) == before and not AuditEvent.objects.exists()


def test_the_bulk_address_takes_posts_only(client, csm, book):
    client.force_login(csm)

    assert client.get(reverse("task_bulk")).status_code == 405


# The services, set-based --------------------------------------------------------------------------------

def many_tasks(csm, count: int) -> list[Task]:
    account = AccountFactory(csm=csm)
    playbooks = [PlaybookFactory() for _ in range(4)]
    start = timezone.now() - dt.timedelta(days=20)
    return [add_task(account, playbooks[n % 4], f"Overdue {n:03d}", start + dt.timedelta(hours=n),
                     escalate_at=start + dt.timedelta(hours=n + 24)) for n in range(count)]


@pytest.mark.parametrize("action", ["done", "snooze", "reassign"])
def test_each_bulk_service_reads_as_many_queries_for_200_tasks_as_for_20(csm, manager, action):
    until = timezone.now() + dt.timedelta(days=2)
    run = {"done": lambda qs: tasks_done(tasks=qs, user=csm),
           "snooze": lambda qs: tasks_snooze(tasks=qs, user=csm, until=until, reason="Away"),
           "reassign": lambda qs: tasks_reassign(tasks=qs, user=csm, to=manager)}[action]
    few, many = many_tasks(csm, 20), many_tasks(csm, 200)
    manager.role  # noqa: B018 (the role is read once per user object)

    with CaptureQueriesContext(connection) as for_few:
        assert run(Task.objects.filter(pk__in=[t.pk for t in few])) == 20
    with CaptureQueriesContext(connection) as for_many:
        assert run(Task.objects.filter(pk__in=[t.pk for t in many])) == 200

    assert len(for_many) == len(for_few), [q["sql"] for q in for_many]
    assert 4 <= len(for_many) <= 7  # savepoint, lock and read, UPDATE(s), audit rows, release
    assert AuditEvent.objects.count() == 220


def test_a_bulk_service_refuses_when_no_chosen_task_is_open(csm):
    tasks = many_tasks(csm, 2)
    Task.objects.filter(pk__in=[t.pk for t in tasks]).update(status="done")

    with pytest.raises(DomainError, match="None of the chosen tasks is open any more"):
        tasks_done(tasks=Task.objects.filter(pk__in=[t.pk for t in tasks]), user=csm)
