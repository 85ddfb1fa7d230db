"""Logging a call, meeting, e-mail or note in the pages (docs/pages.md): from Account 360 in place with HTMX
(the form comes back with the reading, the timeline fetches itself again) or as a plain form; quick-log
from a task row of My queue; what was typed is kept when refused; another CSM's account is a 404."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertTemplateUsed

from accounts.models import AuditEvent, Touchpoint
from interventions.firing import fire_playbooks
from interventions.models import Playbook, PlaybookStep, Task
from tests.factories import ContactFactory, SnapshotFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def dana(own_account):
    return ContactFactory(external_id="C-DANA", account=own_account, name="Dana Reyes", title="Practice Manager")


def typed(**changes) -> dict:
    moment = timezone.localtime() - dt.timedelta(hours=2)
    return {"kind": "call", "direction": "outbound", "contact": "C-DANA", "subject": "Renewal call",
            "text": "We will cancel at renewal", "occurred_at": moment.strftime("%Y-%m-%dT%H:%M"), **changes}


def test_account_360_shows_the_log_form_with_the_accounts_contacts(client, csm, own_account, dana):
    client.force_login(csm)

    response = client.get(reverse("account_detail", args=["A-OWN"]))

    assertContains(response, 'data-testid="log-form"')
    assertContains(response, '<option value="C-DANA">Dana Reyes (Practice Manager)</option>', html=False)
    assertContains(response, "Health and risk scores take it in at the next daily recompute.")


def test_the_log_form_has_a_page_of_its_own_with_the_contact_chosen(client, csm, own_account, dana):
    client.force_login(csm)

    response = client.get(reverse("touchpoint_log", args=["A-OWN"]), {"contact": "C-DANA"})

    assertTemplateUsed(response, "accounts/touchpoint_form.html")
    assertContains(response, '<option value="C-DANA" selected>Dana Reyes (Practice Manager)</option>', html=False)
    assertContains(response, '<input type="hidden" name="next" value="/accounts/A-OWN/">', html=False)
    assert not Touchpoint.objects.exists()


def test_the_contact_list_fetched_again_holds_a_contact_added_since(client, csm, own_account, dana):
    """What the form's contact list fetches when contactsChanged fires: the fragment, with the new contact."""
    ContactFactory(external_id="C-LEE", account=own_account, name="Lee Park", title="")
    client.force_login(csm)

    response = client.get(reverse("touchpoint_log", args=["A-OWN"]), {"contact": "C-DANA"}, headers=HTMX)

    assertTemplateUsed(response, "accounts/_log_activity.html")
    assertContains(response, 'hx-trigger="contactsChanged from:body"')
    assertContains(response, '<option value="C-DANA" selected>Dana Reyes (Practice Manager)</option>', html=False)
    assertContains(response, '<option value="C-LEE">Lee Park</option>', html=False)


def test_logging_without_javascript_goes_back_to_the_timeline_which_shows_it(client, csm, own_account, dana):
    client.force_login(csm)

    response = client.post(reverse("touchpoint_log", args=["A-OWN"]), typed())

    assert response.status_code == 302
    assert response["Location"] == "/accounts/A-OWN/#timeline"
    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.kind, touchpoint.direction, touchpoint.contact, touchpoint.subject, touchpoint.intent_phrase) \
        == ("call", "outbound", dana, "Renewal call", "cancel at")
    page = client.get(response["Location"])
    assertContains(page, "Call (outbound) with Dana Reyes: Renewal call")
    assertContains(page, "Churn intent: \u201ccancel at\u201d; topic account cancellation")
    assertContains(page, "Logged: Call with Dana Reyes. Churn intent: \u201ccancel at\u201d")  # the message


def test_logging_in_place_returns_the_form_with_the_reading_and_tells_the_timeline(client, csm, own_account, dana):
    client.force_login(csm)

    response = client.post(reverse("touchpoint_log", args=["A-OWN"]), typed(), headers=HTMX)

    assert response.status_code == 200
    assertTemplateUsed(response, "accounts/_log_activity.html")
    assert response["HX-Trigger"] == "touchpointLogged"
    assert response.context["flash"].startswith(
        "Logged: Call with Dana Reyes. Churn intent: \u201ccancel at\u201d; topic account cancellation; sentiment ")
    assert 'name="text"' in response.content.decode() and "We will cancel" not in response.content.decode()
    timeline = client.get(reverse("account_timeline", args=["A-OWN"]), headers=HTMX)
    assertContains(timeline, "Call (outbound) with Dana Reyes: Renewal call")


def test_a_refused_log_without_javascript_is_shown_again_with_what_was_typed(client, csm, own_account, dana):
    client.force_login(csm)

    response = client.post(reverse("touchpoint_log", args=["A-OWN"]),
                           typed(text="", subject="Kept subject", kind="qbr", next="/"))

    assert response.status_code == 400
    assertTemplateUsed(response, "accounts/touchpoint_form.html")
    assert response.context["log_problems"] == {
        "kind": "'qbr' is not something to log; use one of: call, meeting, email, note.",
        "text": "Write the text: what was said or agreed."}
    assertContains(response, 'value="Kept subject"', status_code=400)
    assertContains(response, '<option value="C-DANA" selected>', status_code=400)
    assertContains(response, '<input type="hidden" name="next" value="/">', status_code=400)
    assert not Touchpoint.objects.exists()


def test_a_refused_log_in_place_keeps_what_was_typed(client, csm, own_account, dana):
    client.force_login(csm)
    future = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(reverse("touchpoint_log", args=["A-OWN"]), typed(occurred_at=future), headers=HTMX)

    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert response.context["log_problems"] == {
        "occurred_at": "The date and time is in the future; log what has happened."}
    assertContains(response, f'value="{future}"')
    assertContains(response, ">We will cancel at renewal</textarea>")
    assert not Touchpoint.objects.exists()


def test_a_contact_of_another_account_is_refused(client, csm, own_account, foreign_account):
    ContactFactory(external_id="C-ELSEWHERE", account=foreign_account)
    client.force_login(csm)

    response = client.post(reverse("touchpoint_log", args=["A-OWN"]), typed(contact="C-ELSEWHERE"))

    assert response.status_code == 400
    assert response.context["log_problems"] == {
        "contact": "That is not one of this account's contacts; choose one from the list."}
    assert not Touchpoint.objects.exists()


def test_a_csm_cannot_log_on_another_csms_account(client, csm, foreign_account):
    client.force_login(csm)

    for headers in ({}, HTMX):
        response = client.post(reverse("touchpoint_log", args=["A-FOREIGN"]), typed(contact=""), headers=headers)
        assert response.status_code == 404
    assert not Touchpoint.objects.exists()
    assert not AuditEvent.objects.filter(object_type="accounts.Touchpoint").exists()


def test_a_manager_logs_on_any_account(client, manager, foreign_account):
    client.force_login(manager)

    response = client.post(reverse("touchpoint_log", args=["A-FOREIGN"]), typed(contact=""))

    assert response.status_code == 302
    assert Touchpoint.objects.get().account == foreign_account


def test_anonymous_visitors_are_sent_to_log_in(client, own_account):
    response = client.post(reverse("touchpoint_log", args=["A-OWN"]), typed(contact=""))

    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    assert not Touchpoint.objects.exists()


def test_other_methods_are_refused(client, csm, own_account):
    client.force_login(csm)

    assert client.put(reverse("touchpoint_log", args=["A-OWN"])).status_code == 405
    assert client.delete(reverse("touchpoint_log", args=["A-OWN"])).status_code == 405


# Quick-log from My queue ---------------------------------------------------------------------------------

@pytest.fixture
def task(csm, own_account):
    Playbook.objects.update(active=False)
    playbook = Playbook.objects.create(name="Rescue", trigger_kind="tier", trigger_value="Critical")
    PlaybookStep.objects.create(playbook=playbook, order=1, title="Call the champion", due_offset_hours=1,
                                channel="call")
    SnapshotFactory(account=own_account, as_of=timezone.localdate(), health_tier="Critical")
    fire_playbooks(as_of=timezone.localdate())
    # Due late today whatever the hour the test runs at (an hour from 23:00 is tomorrow: not in today's queue).
    Task.objects.update(due_at=timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(23, 59))))
    return Task.objects.get(account=own_account)


def test_my_queue_offers_a_quick_log_on_each_task(client, csm, task):
    client.force_login(csm)

    response = client.get(reverse("home"))

    assertContains(response, 'data-testid="quick-log"', count=1)
    assertContains(response, f'<input type="hidden" name="task" value="{task.pk}">')


def test_quick_log_in_place_returns_the_task_row(client, csm, task):
    client.force_login(csm)

    response = client.post(reverse("touchpoint_log", args=["A-OWN"]),
                           {"kind": "note", "text": "Left a voicemail for the practice manager.", "task": task.pk},
                           headers=HTMX)

    assert response.status_code == 200
    assertTemplateUsed(response, "interventions/_task_row.html")
    assert response["HX-Trigger"] == "touchpointLogged"
    assert response.context["flash"].startswith("Logged: Note. No churn intent")
    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.kind, touchpoint.direction, touchpoint.text, touchpoint.analysis_version) == (
        "note", "", "Left a voicemail for the practice manager.", "builtin-3")


def test_quick_log_without_javascript_goes_back_to_my_queue(client, csm, task):
    client.force_login(csm)

    response = client.post(reverse("touchpoint_log", args=["A-OWN"]),
                           {"kind": "call", "text": "Talked through the usage drop.", "task": task.pk, "next": "/"})

    assert (response.status_code, response["Location"]) == (302, "/")
    assert Touchpoint.objects.get().kind == "call"


def test_a_refused_quick_log_in_place_shows_the_row_with_the_problem(client, csm, task):
    client.force_login(csm)

    response = client.post(reverse("touchpoint_log", args=["A-OWN"]), {"kind": "email", "text": " ", "task": task.pk},
                           headers=HTMX)

    assert response.status_code == 200
    assertTemplateUsed(response, "interventions/_task_row.html")
    assert response.context["log_problems"] == {"text": "Write the text: what was said or agreed."}
    assertContains(response, '<option value="email" selected>')
    assert not Touchpoint.objects.exists()


def test_a_task_of_another_account_is_a_404(client, csm, task, own_account):
    from tests.factories import AccountFactory

    AccountFactory(external_id="A-SECOND", csm=csm)
    client.force_login(csm)

    response = client.post(reverse("touchpoint_log", args=["A-SECOND"]), {"kind": "note", "text": "Hi",
                                                                          "task": task.pk}, headers=HTMX)

    assert response.status_code == 404
    assert not Touchpoint.objects.exists()
