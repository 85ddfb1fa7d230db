"""The interventions API (docs/api.md): list with filters, log an outcome, the same permissions as the pages,
JSON errors for bad input with nothing written."""

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from interventions.firing import fire_playbooks
from interventions.models import Intervention, InterventionStatus, Outcome, OutcomeKind, Playbook, PlaybookStep
from tests.factories import AccountFactory, SnapshotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fired(csm, other_csm):
    Playbook.objects.update(active=False)
    rescue = Playbook.objects.create(name="Rescue", trigger_kind="tier", trigger_value="Critical")
    PlaybookStep.objects.create(playbook=rescue, order=1, title="Call", due_offset_hours=2)
    nurture = Playbook.objects.create(name="Nurture", trigger_kind="tier", trigger_value="At risk")
    today = timezone.localdate()
    for external_id, owner, tier in (("A-1", csm, "Critical"), ("A-2", csm, "At risk"),
                                     ("A-3", other_csm, "Critical")):
        SnapshotFactory(account=AccountFactory(external_id=external_id, csm=owner), as_of=today, health_tier=tier)
    fire_playbooks(as_of=today)
    Intervention.objects.filter(playbook=nurture).update(status=InterventionStatus.COMPLETED)
    return {"rescue": rescue, "nurture": nurture}


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def listed(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["account"] for item in response.json()["results"]]


def test_a_csm_lists_the_interventions_of_their_accounts(fired, csm):
    response = api_for(csm).get("/api/interventions/")

    assert sorted(listed(response)) == ["A-1", "A-2"]
    item = next(i for i in response.json()["results"] if i["account"] == "A-1")
    assert (item["playbook"], item["status"], item["group"], item["csm"]) == ("Rescue", "open", "treated", csm.email)
    assert [t["title"] for t in item["tasks"]] == ["Call"]


def test_filters_by_status_csm_and_playbook(fired, manager, other_csm):
    api = api_for(manager)

    assert sorted(listed(api.get("/api/interventions/", {"status": "open"}))) == ["A-1", "A-3"]
    assert listed(api.get("/api/interventions/", {"csm": other_csm.email.upper()})) == ["A-3"]
    assert listed(api.get("/api/interventions/", {"playbook": "Nurture"})) == ["A-2"]
    assert sorted(listed(api.get("/api/interventions/", {"playbook": str(fired["rescue"].pk)}))) == ["A-1", "A-3"]
    bad = api.get("/api/interventions/", {"status": "lost"})
    assert bad.status_code == 400
    assert bad.json() == {"status": "'lost' is not a status; use one of: open, completed, control."}


def test_posting_an_outcome(fired, csm):
    intervention = Intervention.objects.get(account__external_id="A-1")

    response = api_for(csm).post(f"/api/interventions/{intervention.pk}/outcomes/",
                                 {"kind": "issue_resolved", "note": "Sync fixed"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["note"], body["created_by"]) == ("issue_resolved", "Sync fixed", csm.username)
    assert Outcome.objects.get().intervention == intervention


def test_a_bad_outcome_is_a_json_error_and_writes_nothing(fired, csm):
    intervention = Intervention.objects.get(account__external_id="A-1")

    response = api_for(csm).post(f"/api/interventions/{intervention.pk}/outcomes/", {"kind": "won"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"kind": f"'won' is not an outcome; use one of: {', '.join(OutcomeKind.values)}."}
    assert not Outcome.objects.exists()


def test_a_csm_cannot_post_on_another_csms_intervention(fired, csm):
    foreign = Intervention.objects.get(account__external_id="A-3")

    response = api_for(csm).post(f"/api/interventions/{foreign.pk}/outcomes/", {"kind": "contacted"}, format="json")

    assert response.status_code == 404 and response.json() == {"detail": "No such intervention."}
    assert not Outcome.objects.exists()
