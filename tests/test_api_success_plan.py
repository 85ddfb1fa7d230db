"""The success plan API (docs/api.md): `GET /api/accounts/{external_id}/success-plan/` is the account's plan
(null without one); `POST` makes it from the fired reasons ({"from_reasons": true}) or from the objectives and
steps sent; every refused field is named, nothing written; another CSM's account is a 404."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from interventions.models import PlanStep, SuccessPlan
from tests.factories import SnapshotFactory

pytestmark = pytest.mark.django_db

URL = "/api/accounts/{}/success-plan/"


@pytest.fixture
def api(csm) -> APIClient:
    client = APIClient()
    client.force_login(csm)
    return client


@pytest.fixture
def scored(own_account):
    SnapshotFactory(account=own_account, as_of=timezone.localdate(),
                    fired_rules=[{"rule": "usage_drop", "points": 40, "reason": "Usage dropped 70% (30d vs prior)"}])
    return own_account


def test_an_account_without_a_plan_answers_null(api, own_account):
    response = api.get(URL.format("A-OWN"))

    assert (response.status_code, response.json()) == (200, {"account": "A-OWN", "plan": None})


def test_a_plan_from_reasons_is_made_and_read_back(api, csm, scored):
    response = api.post(URL.format("A-OWN"), {"from_reasons": True}, format="json")

    assert response.status_code == 201
    body = response.json()["plan"]
    plan = SuccessPlan.objects.get()
    first, second = PlanStep.objects.order_by("order")
    today = timezone.localdate()
    assert body == {
        "title": "Success plan for Lakeside Family Practice", "created_by": "casey@example.org",
        "created_at": body["created_at"], "updated_at": body["updated_at"], "steps_done": 0, "steps_total": 2,
        "objectives": [{"id": plan.objectives.get().pk, "order": 1, "title": "Usage dropped 70% (30d vs prior)",
                        "reason_key": "usage_drop", "steps": [
                            {"id": first.pk, "order": 1, "title": "Schedule a check-in to reset goals",
                             "owner": "casey@example.org", "due_on": (today + dt.timedelta(days=3)).isoformat(),
                             "status": "open", "done_at": None, "done_by": None},
                            {"id": second.pk, "order": 2, "title": "Recommend 1-2 key features to activate this week",
                             "owner": "casey@example.org", "due_on": (today + dt.timedelta(days=4)).isoformat(),
                             "status": "open", "done_at": None, "done_by": None}]}]}
    assert api.get(URL.format("A-OWN")).json() == {"account": "A-OWN", "plan": body}


def test_a_plan_by_hand_is_made_from_the_body(api, csm, manager, own_account):
    response = api.post(URL.format("A-OWN"), {"title": "Q2 plan", "objectives": [
        {"title": "Adoption back to 80%", "steps": [
            {"title": "Run a training", "owner": "MORGAN@example.org", "due_on": "2026-06-01", "status": "in_progress"},
            {"title": "Check usage again"}]},
        {"title": "Renewal"}]}, format="json")

    assert response.status_code == 201
    body = response.json()["plan"]
    assert (body["title"], body["steps_total"], [o["title"] for o in body["objectives"]]) == (
        "Q2 plan", 2, ["Adoption back to 80%", "Renewal"])
    assert [(s["title"], s["owner"], s["due_on"], s["status"]) for s in body["objectives"][0]["steps"]] == [
        ("Run a training", "morgan@example.org", "2026-06-01", "in_progress"),
        ("Check usage again", None, None, "open")]


def test_every_refused_field_is_named_and_nothing_written(api, other_csm, own_account):
    response = api.post(URL.format("A-OWN"), {"title": "x" * 201, "objectives": [
        {"title": "Fine", "steps": [{"title": "Call", "owner": "robin@example.org", "due_on": "soon",
                                     "status": "finished"}]},
        {"title": ""}]}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body == {
        "title": "The title has 201 characters; keep it to 200.",
        "objectives": {
            "0": {"steps": {"0": {
                "owner": "'robin@example.org' cannot own steps of this account; give the e-mail of its CSM or of a "
                         "manager.",
                "due_on": "Give the due date as a date, e.g. 2026-12-31.",
                "status": "\"finished\" is not a valid choice."}}},
            "1": {"title": "Give the title."}}}
    assert not SuccessPlan.objects.exists()


@pytest.mark.parametrize("body,problems", [
    ({}, {"objectives": "Send {\"from_reasons\": true} to plan from the fired reasons, or the objectives with their "
                        "steps."}),
    ({"from_reasons": True, "objectives": [{"title": "x"}]},
     {"objectives": "Send either from_reasons or objectives, not both."}),
    ({"from_reasons": True, "colour": "red"},
     {"colour": "'colour' is not a field here; use: from_reasons, title, objectives."}),
])
def test_a_body_that_says_neither_or_both_is_refused(api, scored, body, problems):
    response = api.post(URL.format("A-OWN"), body, format="json")

    assert (response.status_code, response.json()) == (400, problems)
    assert not SuccessPlan.objects.exists()


def test_a_second_plan_and_an_unscored_account_are_refused(api, csm, scored, own_account):
    assert api.post(URL.format("A-OWN"), {"from_reasons": True}, format="json").status_code == 201

    again = api.post(URL.format("A-OWN"), {"from_reasons": True}, format="json")

    assert (again.status_code, again.json()) == (
        400, {"plan": "This account already has a success plan; add objectives and steps to it."})
    assert SuccessPlan.objects.count() == 1


def test_another_csms_account_is_a_404_both_ways(api, foreign_account):
    assert api.get(URL.format("A-FOREIGN")).status_code == 404
    assert api.post(URL.format("A-FOREIGN"), {"from_reasons": True}, format="json").status_code == 404
    assert not SuccessPlan.objects.exists()
