"""A CSM's work on interventions in the pages (docs/interventions.md, docs/pages.md): tasks in My queue and on Account
360, done, snoozed and outcomes logged in place with HTMX or as plain forms; another CSM's tasks are out of reach;
the effectiveness page is for managers."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from interventions.firing import fire_playbooks
from interventions.models import Outcome, Playbook, PlaybookStep, Task
from tests.factories import AccountFactory, ContactFactory, SnapshotFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def fired(csm, other_csm):
    """Today's firing of a two-step playbook for one account of each CSM, both steps due late today (the
    e-mail at 23:58, the call at 23:59) whatever the hour the test runs at: neither is overdue yet."""
    Playbook.objects.update(active=False)
    playbook = Playbook.objects.create(name="Rescue", trigger_kind="tier", trigger_value="Critical")
    PlaybookStep.objects.create(playbook=playbook, order=1, title="Personal e-mail", due_offset_hours=1,
                                channel="email", template="Hi {contact}, about {account}: {reasons}")
    PlaybookStep.objects.create(playbook=playbook, order=2, title="Call", due_offset_hours=3, channel="call")
    today = timezone.localdate()
    own = AccountFactory(external_id="A-OWN", name="Lakeside", csm=csm)
    ContactFactory(account=own, name="Ana Diaz", role="champion")
    foreign = AccountFactory(external_id="A-FOREIGN", name="Harbor", csm=other_csm)
    for account in (own, foreign):
        SnapshotFactory(account=account, as_of=today, health_tier="Critical", top_reasons="Usage dropped 70%",
                        fired_rules=[{"rule": "usage_drop", "points": 40, "reason": "Usage dropped 70%"}])
    fire_playbooks(as_of=today)
    for order, minute in ((1, 58), (2, 59)):
        Task.objects.filter(order=order).update(
            due_at=timezone.make_aware(dt.datetime.combine(today, dt.time(23, minute))))
    return {"own": Task.objects.filter(account=own).order_by("order"),
            "foreign": Task.objects.filter(account=foreign).order_by("order")}


def test_my_queue_lists_my_tasks_due_today_only(client, csm, fired):
    client.force_login(csm)

    response = client.get(reverse("home"))

    due = response.context["queue"].due
    assert [(t.account.external_id, t.title) for t in due] == [("A-OWN", "Personal e-mail"), ("A-OWN", "Call")]
    assertContains(response, "Hi Ana, about Lakeside: how your team is using the platform day to day")
    assertNotContains(response, "Harbor")


def test_marking_a_task_done_in_place_returns_its_row(client, csm, fired):
    task = fired["own"][0]
    client.force_login(csm)

    response = client.post(reverse("task_done", args=[task.pk]), headers=HTMX)

    task.refresh_from_db()
    assert (task.status, task.done_by) == ("done", csm)
    assert response["HX-Trigger"] == "tasksChanged"
    assertContains(response, f'id="task-{task.pk}"')
    assertContains(response, "Done: Personal e-mail.")
    assertNotContains(response, "<html")


def test_without_javascript_the_form_returns_to_the_page(client, csm, fired):
    task = fired["own"][0]
    client.force_login(csm)

    response = client.post(reverse("task_done", args=[task.pk]), {"next": "/accounts/A-OWN/"})

    assert response.status_code == 302 and response["Location"] == "/accounts/A-OWN/"
    response = client.post(reverse("task_done", args=[task.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_a_bad_snooze_keeps_what_was_typed_and_changes_nothing(client, csm, fired):
    task = fired["own"][1]
    due = task.due_at
    client.force_login(csm)

    response = client.post(reverse("task_snooze", args=[task.pk]), {"until": "soon", "reason": "Waiting for IT"},
                           headers=HTMX)

    assertContains(response, "Give a date and time, e.g. 2025-04-02 09:00.")
    assertContains(response, 'value="Waiting for IT"')
    assertContains(response, 'value="soon"')
    task.refresh_from_db()
    assert (task.due_at, task.snooze_reason) == (due, "")


def test_a_snooze_moves_the_task_out_of_today(client, csm, fired):
    task = fired["own"][1]
    until = timezone.localtime() + dt.timedelta(days=3)
    client.force_login(csm)

    client.post(reverse("task_snooze", args=[task.pk]), {"until": until.strftime("%Y-%m-%dT%H:%M"),
                                                         "reason": "Customer at a conference"}, headers=HTMX)

    task.refresh_from_db()
    assert task.snooze_reason == "Customer at a conference"
    assert task.due_at == until.replace(second=0, microsecond=0)
    queue = client.get(reverse("home")).context["queue"]
    assert task not in queue.due and queue.upcoming_count == 1
    assert client.get(reverse("task_list"), {"list": "upcoming"}).context["more"].tasks == [task]


def test_an_outcome_logged_from_a_task_is_recorded_and_shown_on_the_account(client, csm, fired):
    task = fired["own"][0]
    client.force_login(csm)

    response = client.post(reverse("outcome_log", args=["A-OWN"]), {
        "kind": "meeting_scheduled", "note": "Thursday", "intervention": task.intervention_id, "task": task.pk},
        headers=HTMX)

    assertContains(response, "Outcome logged: Meeting scheduled.")
    outcome = Outcome.objects.get()
    assert (outcome.kind, outcome.note, outcome.created_by, outcome.intervention_id) == (
        "meeting_scheduled", "Thursday", csm, task.intervention_id)
    page = client.get(reverse("account_detail", args=["A-OWN"]))
    assertContains(page, "Outcome: Meeting scheduled (Rescue)")
    assertContains(page, "Playbook fired: Rescue")


def test_an_outcome_logged_on_account_360_returns_the_outcomes(client, csm, fired):
    client.force_login(csm)

    response = client.post(reverse("outcome_log", args=["A-OWN"]), {"kind": "contacted", "note": "Left a message"},
                           headers=HTMX)

    assertContains(response, 'id="outcomes"')
    assertContains(response, "Left a message")
    bad = client.post(reverse("outcome_log", args=["A-OWN"]), {"kind": "won", "note": "typed"}, headers=HTMX)
    assertContains(bad, "&#x27;won&#x27; is not an outcome")
    assertContains(bad, 'value="typed"')
    assert Outcome.objects.count() == 1


def test_account_360_shows_the_open_intervention_and_drafts_from_its_step(client, csm, fired):
    client.force_login(csm)

    response = client.get(reverse("account_detail", args=["A-OWN"]))

    assert [i.playbook.name for i in response.context["interventions"]] == ["Rescue"]
    drafts = response.context["drafts"]
    # The step's message is the body; the subject stays the customer-facing one, not the step's title.
    assert (drafts.email_subject, drafts.email_body) == (
        "Checking in: Lakeside and your team", "Hi Ana, about Lakeside: how your team is using the platform day to day")
    assertContains(response, "Filled from the step &quot;Personal e-mail&quot; of Rescue.")


@pytest.mark.parametrize("action", ["done", "snooze", "outcome"])
@pytest.mark.parametrize("htmx", [False, True])
def test_a_csm_cannot_act_on_another_csms_task(client, csm, fired, action, htmx):
    task = fired["foreign"][0]
    client.force_login(csm)
    url, data = {
        "done": (reverse("task_done", args=[task.pk]), {}),
        "snooze": (reverse("task_snooze", args=[task.pk]), {"until": "2099-01-01T09:00", "reason": "x"}),
        "outcome": (reverse("outcome_log", args=["A-FOREIGN"]), {"kind": "contacted"}),
    }[action]

    response = client.post(url, data, headers=HTMX if htmx else {})

    assert response.status_code == 404
    task.refresh_from_db()
    assert (task.status, task.snooze_reason) == ("open", "")
    assert not Outcome.objects.exists()


def test_an_outcome_cannot_name_another_csms_intervention(client, csm, fired):
    client.force_login(csm)

    response = client.post(reverse("outcome_log", args=["A-OWN"]),
                           {"kind": "contacted", "intervention": fired["foreign"][0].intervention_id})

    assert response.status_code == 404 and not Outcome.objects.exists()


def test_effectiveness_is_for_managers(client, csm, manager, fired):
    client.force_login(csm)
    assert client.get(reverse("effectiveness")).status_code == 403
    client.force_login(manager)
    response = client.get(reverse("effectiveness"))
    assert response.status_code == 200
    assert [(r.playbook, r.treated) for r in response.context["report"].rows] == [("Rescue", 2)]


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_queue_and_account_queries_do_not_grow_with_the_tasks(client, csm, fired):
    client.force_login(csm)
    queries_for(client, reverse("home"))
    home = queries_for(client, reverse("home"))
    account = queries_for(client, reverse("account_detail", args=["A-OWN"]))
    today = timezone.localdate()
    for _ in range(10):
        extra = AccountFactory(csm=csm)
        SnapshotFactory(account=extra, as_of=today, health_tier="Critical")
    Playbook.objects.create(name="Second", trigger_kind="tier", trigger_value="Critical")
    PlaybookStep.objects.create(playbook=Playbook.objects.get(name="Second"), order=1, title="More", due_offset_hours=2)
    fire_playbooks(as_of=today, now=timezone.now() + dt.timedelta(seconds=1))

    assert queries_for(client, reverse("home")) == home
    assert queries_for(client, reverse("account_detail", args=["A-OWN"])) == account


def test_a_bad_snooze_without_javascript_shows_the_task_with_the_problem(client, csm, fired):
    task = fired["own"][1]
    client.force_login(csm)

    response = client.post(reverse("task_snooze", args=[task.pk]), {"until": "", "reason": "Waiting for IT"})

    assert response.status_code == 400
    assertContains(response, "Give a date and time, e.g. 2025-04-02 09:00.", status_code=400)
    assertContains(response, 'value="Waiting for IT"', status_code=400)
    task.refresh_from_db()
    assert task.snooze_reason == ""


# Parts of the page that show the same facts refresh themselves after a change (HX-Trigger events) ----------

def test_an_outcome_logged_in_place_announces_itself_and_the_timeline_fragment_shows_it(client, csm, fired):
    task = fired["own"][0]
    client.force_login(csm)
    page = client.get(reverse("account_detail", args=["A-OWN"])).content.decode()
    assert ('<section class="card" id="timeline" hx-get="/accounts/A-OWN/timeline/?timeline=1" '
            'hx-trigger="outcomeLogged from:body, tasksChanged from:body, touchpointLogged from:body" '
            'hx-swap="outerHTML">') in page

    from_task = client.post(reverse("outcome_log", args=["A-OWN"]), {
        "kind": "meeting_scheduled", "note": "Thursday", "intervention": task.intervention_id, "task": task.pk},
        headers=HTMX)
    from_account = client.post(reverse("outcome_log", args=["A-OWN"]), {"kind": "contacted"}, headers=HTMX)
    refused = client.post(reverse("outcome_log", args=["A-OWN"]), {"kind": "won"}, headers=HTMX)

    assert (from_task["HX-Trigger"], from_account["HX-Trigger"]) == ("outcomeLogged", "outcomeLogged")
    assert "HX-Trigger" not in refused
    timeline = client.get(reverse("account_timeline", args=["A-OWN"]), {"timeline": "1"}, headers=HTMX)
    assertContains(timeline, '<section class="card" id="timeline"')
    assertContains(timeline, "Outcome: Meeting scheduled (Rescue)")
    assertContains(timeline, "Outcome: Contacted")
    assertNotContains(timeline, "<html")


def test_the_timeline_fragment_is_the_account_page_without_javascript_and_only_for_its_csm(client, csm, fired):
    client.force_login(csm)

    response = client.get(reverse("account_timeline", args=["A-OWN"]), {"timeline": "2"})

    assert (response.status_code, response["Location"]) == (302, "/accounts/A-OWN/?timeline=2#timeline")
    assert client.get(reverse("account_timeline", args=["A-FOREIGN"]), headers=HTMX).status_code == 404


def test_the_queue_counts_refresh_after_a_task_is_done_or_snoozed(client, csm, fired):
    email, call = fired["own"]
    client.force_login(csm)
    page = client.get(reverse("home")).content.decode()
    assert ('<small id="queue-counts" data-testid="queue-counts" hx-get="/tasks/counts/" '
            'hx-trigger="tasksChanged from:body" hx-swap="outerHTML">2 due</small>') in page

    done = client.post(reverse("task_done", args=[email.pk]), headers=HTMX)
    after_done = client.get(reverse("queue_counts"), headers=HTMX)
    snoozed = client.post(reverse("task_snooze", args=[call.pk]), {
        "until": (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"), "reason": "Holiday"},
        headers=HTMX)
    after_snooze = client.get(reverse("queue_counts"), headers=HTMX)

    assert (done["HX-Trigger"], snoozed["HX-Trigger"]) == ("tasksChanged", "tasksChanged")
    assert after_done.content.decode().strip().endswith(">1 due</small>")
    assert after_snooze.content.decode().strip().endswith(">0 due</small>")
    assert client.get(reverse("queue_counts"))["Location"] == "/"  # without HTMX: the queue itself


def test_a_task_row_escapes_what_people_and_imports_wrote_and_keeps_a_refused_snooze_typed(client, csm, fired):
    task = fired["own"][0]
    Task.objects.filter(pk=task.pk).update(title='<b>Call</b> "now"', message="Hi <script>x()</script>",
                                           snooze_reason="away & <i>back</i>")
    task.account.__class__.objects.filter(pk=task.account_id).update(name="Lake & <Side>")
    client.force_login(csm)

    page = client.get(reverse("home"), {"x": '"><script>'}).content.decode()
    refused = client.post(reverse("task_snooze", args=[task.pk]), {"until": "soon", "reason": '<svg onload="x">'},
                          headers=HTMX).content.decode()

    assert '<strong>&lt;b&gt;Call&lt;/b&gt; &quot;now&quot;</strong>' in page
    assert '<pre class="message">Hi &lt;script&gt;x()&lt;/script&gt;</pre>' in page
    assert '<span class="muted">Snoozed: away &amp; &lt;i&gt;back&lt;/i&gt;</span>' in page
    assert '<a href="/accounts/A-OWN/">Lake &amp; &lt;Side&gt;</a>' in page
    assert 'name="next" value="/?x=%22%3E%3Cscript%3E"' in page  # the page's own address, quoted
    assert "<script>x()" not in page and "<b>Call" not in page
    assert "<details open><summary>Snooze</summary>" in refused
    assert 'value="&lt;svg onload=&quot;x&quot;&gt;" maxlength="300" required' in refused
    assert refused.count('name="csrfmiddlewaretoken"') == 4  # each of the row's forms
