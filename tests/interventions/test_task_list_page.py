"""The Tasks page (issue 17, item 6; docs/pages.md#tasks): a CSM's open tasks, or the team's for a manager,
filtered by due, account, playbook, channel, priority (and assignee), sorted by due, account, playbook or
priority, 25 to a page, with the filter in the address; a bad filter value is named and left out; the
page reads the same number of queries for 20 or 200 overdue tasks."""

import datetime as dt
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from interventions.models import Task
from tests.factories import AccountFactory, PlaybookFactory
from tests.interventions.task_book import add_task, task_book

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def book(csm, other_csm, own_account, foreign_account):
    return task_book(csm, own_account, foreign_account)


def titles(html: str) -> list[str]:
    found = re.findall(r'id="task-\d+" data-testid="task">\s*<div class="task-head">\s*(?:<input[^>]*>\s*)?'
                       r"<strong>([^<]+)</strong>", html)
    return [unescape(title) for title in found]


def listed(client, **params) -> list[str]:
    response = client.get(reverse("task_list"), params)
    assert response.status_code == 200
    return titles(response.content.decode())


def test_a_csm_sees_their_open_tasks_oldest_due_first_and_nobody_elses(client, csm, book):
    client.force_login(csm)

    response = client.get(reverse("task_list"))

    html = response.content.decode()
    assert titles(html) == ["Call Lakeside", "Email Bayview", "Email Lakeside", "Check Bayview usage",
                            "Review Lakeside"]
    assert "Robin" not in html and "Done already" not in html
    assert "Page 1 of 1 · 5 open tasks" in html
    assert 'data-testid="queue-counts"' in html and ">2 overdue</span>" in html
    assert html.count('data-testid="select-task"') == 5


@pytest.mark.parametrize("due, expected", [
    ("overdue", ["Call Lakeside", "Email Bayview"]),
    ("today", ["Email Lakeside"]),
    ("week", ["Check Bayview usage"]),
    ("later", ["Review Lakeside"]),
])
def test_the_due_filter_splits_the_tasks_by_when_they_are_due(client, csm, book, due, expected):
    client.force_login(csm)

    assert listed(client, due=due) == expected


def test_account_playbook_channel_and_priority_filters_narrow_the_list(client, csm, book):
    client.force_login(csm)

    assert listed(client, account="bayV") == ["Email Bayview", "Check Bayview usage"]
    assert listed(client, account="A-OWN") == ["Call Lakeside", "Email Lakeside", "Review Lakeside"]
    assert listed(client, playbook=str(book["onboarding"].pk)) == ["Email Bayview", "Email Lakeside"]
    assert listed(client, channel="email") == ["Email Bayview", "Email Lakeside"]
    assert listed(client, priority="10") == ["Call Lakeside", "Check Bayview usage", "Review Lakeside"]
    assert listed(client, due="overdue", channel="call") == ["Call Lakeside"]


@pytest.mark.parametrize("ordering, expected", [
    ("account", ["Email Bayview", "Check Bayview usage", "Call Lakeside", "Email Lakeside", "Review Lakeside"]),
    ("-account", ["Call Lakeside", "Email Lakeside", "Review Lakeside", "Email Bayview", "Check Bayview usage"]),
    ("playbook", ["Email Bayview", "Email Lakeside", "Call Lakeside", "Check Bayview usage", "Review Lakeside"]),
    ("priority", ["Call Lakeside", "Check Bayview usage", "Review Lakeside", "Email Bayview", "Email Lakeside"]),
    ("-priority", ["Email Bayview", "Email Lakeside", "Call Lakeside", "Check Bayview usage", "Review Lakeside"]),
    ("-due", ["Review Lakeside", "Check Bayview usage", "Email Lakeside", "Email Bayview", "Call Lakeside"]),
])
def test_the_list_sorts_by_due_account_playbook_and_priority(client, csm, book, ordering, expected):
    client.force_login(csm)

    assert listed(client, ordering=ordering) == expected


def test_a_bad_filter_value_is_named_and_left_out_while_the_others_apply(client, csm, book):
    client.force_login(csm)

    response = client.get(reverse("task_list"), {"due": "yesterday", "channel": "email", "ordering": "size",
                                                 "playbook": "١", "account": "x" * 201})

    html = response.content.decode()
    assert response.status_code == 200
    assert titles(html) == ["Email Bayview", "Email Lakeside"]
    assert "due: &#x27;yesterday&#x27; is not a due filter; use one of: overdue, today, week, later." in html
    assert "ordering: Unknown ordering &#x27;size&#x27;; use one of: due, -due, account, -account, playbook, " \
           "-playbook, priority, -priority." in html
    assert "playbook: &#x27;١&#x27; is not one of the playbooks; choose one from the list (by its id)." in html
    assert "account: Search for at most 200 characters of an account&#x27;s name or id." in html


def test_a_nul_byte_in_the_search_is_refused_with_a_message(client, csm, book):
    client.force_login(csm)

    response = client.get(reverse("task_list"), {"account": "Lake\x00side"})

    assert response.status_code == 400
    assert response.content.decode() == "The parameter 'account' contains a NUL character (%00); remove it."


def test_with_htmx_the_rows_come_alone_and_the_address_follows_the_filter(client, csm, book):
    client.force_login(csm)

    response = client.get(reverse("task_list"), {"channel": "email", "due": "", "ordering": "account"},
                          headers=HTMX)

    html = response.content.decode()
    assert "<html" not in html and titles(html) == ["Email Bayview", "Email Lakeside"]
    assert response["HX-Push-Url"] == "/tasks/?channel=email&ordering=account"
    assert 'action="/tasks/bulk/?channel=email&amp;ordering=account"' in html


def test_an_empty_result_says_so_and_offers_to_clear_the_filters(client, csm, book):
    client.force_login(csm)

    filtered = client.get(reverse("task_list"), {"account": "nowhere"}).content.decode()
    Task.objects.update(status="done")
    empty = client.get(reverse("task_list")).content.decode()

    assert "No open task matches these filters." in filtered and 'id="task-bulk"' not in filtered
    assert "No open tasks. Playbooks add tasks here" in empty


def test_a_manager_sees_the_teams_tasks_and_filters_by_assignee(client, manager, csm, other_csm, book):
    Task.objects.filter(title="Review Lakeside").update(assignee=None)
    client.force_login(manager)

    assert listed(client, due="overdue") == ["Call Lakeside", "Robin's call", "Email Bayview"]
    assert listed(client, assignee=str(other_csm.pk)) == ["Robin's call"]
    assert listed(client, assignee="unassigned") == ["Review Lakeside"]
    assert listed(client, assignee="me") == []


def test_the_list_is_paged_by_25_with_the_filter_kept_in_the_links(client, csm, own_account):
    playbook = PlaybookFactory(name="Rescue")
    start = timezone.now() - dt.timedelta(days=10)
    for n in range(60):
        add_task(own_account, playbook, f"Call {n:02d}", start + dt.timedelta(hours=n))
    client.force_login(csm)

    first = client.get(reverse("task_list"), {"due": "overdue"}).content.decode()
    last = client.get(reverse("task_list"), {"due": "overdue", "page": "3"}).content.decode()

    assert titles(first) == [f"Call {n:02d}" for n in range(25)]
    assert titles(last) == [f"Call {n:02d}" for n in range(50, 60)]
    assert '<a href="/tasks/?due=overdue&amp;page=2"' in first and "Page 3 of 3 · 60 open tasks" in last
    assert "all 60 tasks matching the filter" in first


def overdue_tasks(account, count: int) -> None:
    playbooks = [PlaybookFactory(priority=10 * n) for n in range(1, 5)]
    start = timezone.now() - dt.timedelta(days=20)
    for n in range(count):
        add_task(account, playbooks[n % 4], f"Overdue {n:03d}", start + dt.timedelta(hours=n),
                 channel=("call", "email", "task")[n % 3])


@pytest.mark.parametrize("filters", [{}, {"due": "overdue", "ordering": "priority"}, {"account": "lake"}])
def test_the_page_reads_as_many_queries_for_200_overdue_tasks_as_for_20(client, csm, own_account, filters):
    overdue_tasks(own_account, 20)
    client.force_login(csm)
    client.get(reverse("task_list"))  # the session and the user's groups, read once
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("task_list"), filters).status_code == 200
    overdue_tasks(AccountFactory(name="Lakeside East", csm=csm), 180)

    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("task_list"), filters)

    assert len(titles(response.content.decode())) == 25
    assert len(many) == len(few), [q["sql"] for q in many]
    assert len(many) == 7  # session, user (with groups and permissions), counts, playbooks, people, the count, rows
