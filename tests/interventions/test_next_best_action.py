"""Account 360's Next Best Action checklist is saved per account: ticking (or unticking) an action records
who did it and when, in place with HTMX or as a plain form post, and the page shows it after a reload.
Another CSM's account is out of reach, an action not on the checklist is refused, nothing written."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from healthcs.errors import DomainError
from interventions.models import NextBestActionCheck
from interventions.services import next_best_action_set
from tests.factories import SnapshotFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
CHECK_IN = "Schedule a check-in to reset goals"
FEATURES = "Recommend 1-2 key features to activate this week"
NOON = dt.datetime(2025, 4, 2, 12, tzinfo=dt.UTC)


@pytest.fixture
def scored(own_account, foreign_account):
    """Both accounts' usage dropped: the checklist is the usage-drop group's two actions."""
    for account in (own_account, foreign_account):
        SnapshotFactory(account=account, fired_rules=[{"rule": "usage_drop", "points": 40,
                                                       "reason": "Usage dropped 79% (30d vs prior)"}])


def url(external_id: str = "A-OWN") -> str:
    return reverse("next_best_action", args=[external_id])


def test_ticking_and_unticking_records_who_and_when(csm, other_csm, own_account):
    next_best_action_set(account=own_account, user=csm, action=CHECK_IN, done=True, allowed=[CHECK_IN], now=NOON)
    later = NOON + dt.timedelta(hours=2)
    next_best_action_set(account=own_account, user=other_csm, action=CHECK_IN, done=False, allowed=[CHECK_IN],
                         now=later)

    check = NextBestActionCheck.objects.get()
    assert (check.account, check.action, check.done, check.changed_by, check.changed_at) == (
        own_account, CHECK_IN, False, other_csm, later)


def test_an_action_not_on_the_checklist_is_refused_and_nothing_written(csm, own_account):
    with pytest.raises(DomainError) as problem:
        next_best_action_set(account=own_account, user=csm, action="Send flowers", done=True, allowed=[CHECK_IN])

    assert problem.value.fields == {"action": "That action is not on this account's checklist any more; "
                                              "reload the page to see the current one."}
    assert not NextBestActionCheck.objects.exists()


def test_a_tick_in_place_returns_the_checklist_and_the_page_shows_it_after_a_reload(client, csm, scored):
    csm.first_name, csm.last_name = "Casey", "Jones"
    csm.save()
    client.force_login(csm)

    response = client.post(url(), {"action": FEATURES, "done": "on"}, headers=HTMX)

    assert response.status_code == 200
    assertNotContains(response, "<html")
    check = NextBestActionCheck.objects.get()
    assert (check.action, check.done, check.changed_by) == (FEATURES, True, csm)
    done_by = f"done by Casey Jones on {check.changed_at:%Y-%m-%d %H:%M}"
    assertContains(response, done_by)
    page = client.get(reverse("account_detail", args=["A-OWN"])).content.decode()
    assert f'<label><input type="checkbox" name="done" checked> {FEATURES}</label>' in page
    assert f'<label><input type="checkbox" name="done"> {CHECK_IN}</label>' in page
    assert done_by in page
    assert f'hx-post="{url()}" hx-trigger="change"' in page


def test_without_javascript_the_form_saves_and_returns_to_the_checklist(client, csm, scored):
    client.force_login(csm)
    client.post(url(), {"action": CHECK_IN, "done": "on"})

    response = client.post(url(), {"action": CHECK_IN})  # unticked: the checkbox is not sent

    assert response.status_code == 302
    assert response["Location"] == "/accounts/A-OWN/#next-best-action"
    check = NextBestActionCheck.objects.get()
    assert (check.done, check.changed_by) == (False, csm)
    page = client.get(reverse("account_detail", args=["A-OWN"])).content.decode()
    assert f"unticked by {csm.get_full_name()} on {check.changed_at:%Y-%m-%d %H:%M}" in page
    assert "<noscript><button type=\"submit\">Save</button></noscript>" in page


@pytest.mark.parametrize("htmx", [False, True])
def test_an_unknown_action_is_refused_with_a_message(client, csm, scored, htmx):
    client.force_login(csm)

    response = client.post(url(), {"action": "Send flowers", "done": "on"}, headers=HTMX if htmx else {})

    # HTMX swaps only successful answers: the checklist comes back with the message; a plain form gets a 400.
    assert response.status_code == (200 if htmx else 400)
    assertContains(response, "That action is not on this account&#x27;s checklist any more; reload the page to see "
                             "the current one.", status_code=response.status_code)
    assert not NextBestActionCheck.objects.exists()


@pytest.mark.parametrize("htmx", [False, True])
def test_a_csm_cannot_tick_another_csms_account(client, csm, scored, htmx):
    client.force_login(csm)

    response = client.post(url("A-FOREIGN"), {"action": CHECK_IN, "done": "on"}, headers=HTMX if htmx else {})

    assert response.status_code == 404
    assert not NextBestActionCheck.objects.exists()


def test_a_tick_needs_the_csrf_token(csm, scored):
    client = Client(enforce_csrf_checks=True)
    client.force_login(csm)

    response = client.post(url(), {"action": CHECK_IN, "done": "on"})

    assert response.status_code == 403
    assert not NextBestActionCheck.objects.exists()


def test_a_manager_ticks_any_account(client, manager, scored):
    client.force_login(manager)

    response = client.post(url("A-FOREIGN"), {"action": CHECK_IN, "done": "on"}, headers=HTMX)

    assert response.status_code == 200
    assert NextBestActionCheck.objects.get().changed_by == manager
