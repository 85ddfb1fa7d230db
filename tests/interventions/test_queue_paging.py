"""My queue stays light however many tasks wait (issue 13, docs/security.md): home shows the first 10 tasks due
with "show more" for the next ones (in place with HTMX, a page of its own without JavaScript), and the
tasks coming up only when asked for; another CSM's tasks never appear; a list that cannot be read is
refused with what to give."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from interventions.models import Intervention, Playbook, Task
from interventions.selectors import QUEUE_PAGE

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def tasks(account, assignee, count: int, first_due: dt.datetime, prefix: str) -> None:
    """`count` open tasks on the account, due an hour apart from `first_due` on ("<prefix> 01"...)."""
    playbook = Playbook.objects.create(name=f"{prefix} playbook", trigger_kind="tier", trigger_value="Critical")
    intervention = Intervention.objects.create(account=account, playbook=playbook, triggered_on=first_due.date(),
                                               triggered_at=first_due, reason="Critical", csm=assignee, draw=0.5,
                                               group="treated", status="open")
    Task.objects.bulk_create(
        Task(intervention=intervention, account=account, order=n, title=f"{prefix} {n:02d}", channel="call",
             assignee_role="csm", assignee=assignee, due_at=first_due + dt.timedelta(hours=n))
        for n in range(1, count + 1))


@pytest.fixture
def busy(csm, other_csm, own_account, foreign_account):
    """casey: 23 tasks overdue since yesterday and 12 due in two days; robin: 3 overdue."""
    yesterday = timezone.now() - dt.timedelta(days=1, hours=1)
    tasks(own_account, csm, 23, yesterday - dt.timedelta(hours=23), "Overdue")
    tasks(own_account, csm, 12, timezone.now() + dt.timedelta(days=2), "Soon")
    tasks(foreign_account, other_csm, 3, yesterday, "Robin's")


def task_titles(html: str) -> list[str]:
    return re.findall(r'<li class="task[^"]*" id="task-\d+" data-testid="task">\s*<div class="task-head">\s*'
                      r"<strong>([^<]+)</strong>", html)


def test_home_shows_the_first_tasks_due_and_counts_the_rest(client, csm, busy):
    client.force_login(csm)

    response = client.get(reverse("home"))

    html = response.content.decode()
    assert task_titles(html) == [f"Overdue {n:02d}" for n in range(1, QUEUE_PAGE + 1)]  # the oldest first
    queue = response.context["queue"]
    assert (queue.due_count, queue.overdue_count, queue.upcoming_count) == (23, 23, 12)
    more = f"{reverse('task_list')}?list=due&amp;offset=10"
    assert f'<a href="{more}" hx-get="{more}" hx-target="closest li" hx-swap="outerHTML">Show 10 more of 13</a>' \
        in html
    assert "Robin" not in html


def test_show_more_brings_the_next_tasks_in_place(client, csm, busy):
    client.force_login(csm)

    second = client.get(reverse("task_list"), {"list": "due", "offset": "10"}, headers=HTMX).content.decode()
    last = client.get(reverse("task_list"), {"list": "due", "offset": "20"}, headers=HTMX).content.decode()

    assert second.lstrip().startswith('<li class="task overdue"') and "<html" not in second
    assert task_titles(second) == [f"Overdue {n:02d}" for n in range(11, 21)]
    assert "Show 3 more of 3" in second
    assert task_titles(last) == ["Overdue 21", "Overdue 22", "Overdue 23"] and "more of" not in last


def test_the_tasks_coming_up_are_fetched_when_asked_for(client, csm, busy):
    Task.objects.filter(title__startswith="Overdue").update(status="done")
    client.force_login(csm)

    home = client.get(reverse("home")).content.decode()
    upcoming = client.get(reverse("task_list"), {"list": "upcoming"}, headers=HTMX).content.decode()

    assert "Coming up in the next 7 days (12)" in home and task_titles(home) == []
    assert f'hx-get="{reverse("task_list")}?list=upcoming" hx-trigger="click, toggle once from:closest details"' \
        in home
    assert task_titles(upcoming) == [f"Soon {n:02d}" for n in range(1, 11)] and "Show 2 more of 2" in upcoming


def test_without_javascript_show_more_is_a_page_of_the_list(client, csm, busy):
    client.force_login(csm)

    response = client.get(reverse("task_list"), {"list": "due", "offset": "10"})

    assertContains(response, "<h1>Tasks due today and overdue <small>11–20 of 23</small></h1>", html=True)
    assert task_titles(response.content.decode()) == [f"Overdue {n:02d}" for n in range(11, 21)]
    # a task done there comes back to the same page
    assertContains(response, 'name="next" value="/tasks/?list=due&amp;offset=10"')


def test_another_csms_tasks_never_appear(client, other_csm, busy):
    client.force_login(other_csm)

    response = client.get(reverse("task_list"), {"list": "due"}, headers=HTMX)

    assert task_titles(response.content.decode()) == ["Robin&#x27;s 01", "Robin&#x27;s 02", "Robin&#x27;s 03"]


@pytest.mark.parametrize(("query", "message"), [
    ({"list": "later"}, "'later' is not a list of the queue; use due or upcoming."),
    ({"list": ""}, "Say which list: due or upcoming."),
    ({"list": "due", "offset": "-5"}, "The offset must be a whole number of tasks, 0 or more."),
    ({"list": "due", "offset": "x"}, "The offset must be a whole number of tasks, 0 or more."),
    ({"list": "due", "offset": "x\x00"}, "The parameter 'offset' contains a NUL character (%00); remove it."),
])
def test_a_list_that_cannot_be_read_is_refused_with_what_to_give(client, csm, busy, query, message):
    client.force_login(csm)

    response = client.get(reverse("task_list"), query)

    assert response.status_code == 400
    assert response.content.decode() == message
