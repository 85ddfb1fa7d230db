"""The opportunities API (docs/api.md): list with filters, create on an account, read and change one (stage
included) under the pipeline's rules, JSON errors naming the field with nothing written, the same
permissions as the pages (another CSM's opportunity is 404), session or token authentication."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from expansion.models import Opportunity, StageChange
from expansion.services import opportunity_create, opportunity_update
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def pipeline(csm, other_csm, own_account, foreign_account):
    second = AccountFactory(external_id="A-TWO", name="Brookside Clinic", csm=csm)
    seats = opportunity_create(account=own_account, user=csm, title="Add 10 seats", amount=Decimal("1000"),
                               expected_close=dt.date(2025, 6, 15))
    api = opportunity_create(account=second, user=csm, title="API tier", amount=Decimal("2500"),
                             expected_close=dt.date(2025, 7, 1))
    opportunity_update(opportunity=api, user=csm, changes={"stage": "proposal"})
    foreign = opportunity_create(account=foreign_account, user=other_csm, title="Harbor upsell", amount=Decimal("5000"),
                                 expected_close=dt.date(2025, 8, 1))
    return {"seats": seats, "api": api, "foreign": foreign}


def listed(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["results"]]


def snapshot() -> tuple:
    return list(Opportunity.objects.order_by("pk").values()), StageChange.objects.count()


def test_a_csm_lists_the_opportunities_of_their_accounts(pipeline, csm):
    response = api_for(csm).get("/api/opportunities/")

    assert listed(response) == ["Add 10 seats", "API tier"]
    api = response.json()["results"][1]
    assert {key: api[key] for key in ("account", "account_name", "stage", "amount", "probability", "weighted",
                                      "expected_close", "owner", "closed_at")} == {
        "account": "A-TWO", "account_name": "Brookside Clinic", "stage": "proposal", "amount": "2500.00",
        "probability": 50, "weighted": "1250.00", "expected_close": "2025-07-01", "owner": "casey@example.org",
        "closed_at": None}
    assert [(h["from"], h["to"], h["by"]) for h in api["stage_history"]] == [
        (None, "identified", "casey@example.org"), ("identified", "proposal", "casey@example.org")]
    assert all(h["at"] for h in api["stage_history"])


def test_filters_by_stage_owner_and_account(pipeline, manager):
    api = api_for(manager)

    assert listed(api.get("/api/opportunities/")) == ["Add 10 seats", "API tier", "Harbor upsell"]
    assert listed(api.get("/api/opportunities/", {"stage": "identified"})) == ["Add 10 seats", "Harbor upsell"]
    assert listed(api.get("/api/opportunities/", {"owner": "ROBIN@example.org"})) == ["Harbor upsell"]
    assert listed(api.get("/api/opportunities/", {"account": "A-TWO"})) == ["API tier"]
    bad = api.get("/api/opportunities/", {"stage": "signed"})
    assert bad.status_code == 400
    assert bad.json() == {"stage": "'signed' is not a stage; use one of: identified, qualified, proposal, "
                                   "negotiation, won, lost."}


def test_creating_an_opportunity(pipeline, csm):
    response = api_for(csm).post("/api/opportunities/", {
        "account": "A-OWN", "title": "Telehealth", "amount": 450, "expected_close": "2025-09-01",
        "next_step": "Demo", "probability": 20}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert {key: body[key] for key in ("account", "title", "stage", "amount", "probability", "weighted", "owner",
                                       "next_step", "expected_close")} == {
        "account": "A-OWN", "title": "Telehealth", "stage": "identified", "amount": "450.00", "probability": 20,
        "weighted": "90.00", "owner": "casey@example.org", "next_step": "Demo", "expected_close": "2025-09-01"}
    created = Opportunity.objects.get(pk=body["id"])
    assert (created.created_by, created.probability_edited) == (csm, True)
    assert [(h["from"], h["to"]) for h in body["stage_history"]] == [(None, "identified")]


@pytest.mark.parametrize("body, errors", [
    ({"account": "A-OWN", "title": "X", "amount": "lots"},
     {"amount": "'lots' is not an amount; give the added MRR as a number."}),
    ({"account": "A-OWN", "title": "X", "amount": -1}, {"amount": "The amount (added MRR) must be zero or more."}),
    ({"account": "A-OWN", "title": "X", "probability": 150}, {"probability": "The probability must be from 0 to 100."}),
    ({"account": "A-OWN", "title": " "}, {"title": "Give the opportunity a title."}),
    ({"account": "A-OWN", "title": "X", "expected_close": "soon"},
     {"expected_close": "'soon' is not a date; use YYYY-MM-DD."}),
    ({"account": "A-OWN", "title": "X", "owner": "nobody@example.org"},
     {"owner": "No user with the e-mail 'nobody@example.org' can own opportunities."}),
    ({"account": "A-OWN", "title": "X", "stage": "won"},
     {"stage": "'stage' cannot be set here; use: account, title, amount, expected_close, next_step, notes, owner, "
               "probability."}),
    ({"title": "X"}, {"account": "Give the account's external id."}),
    ({"account": "A-NOPE", "title": "X"}, {"account": "No account 'A-NOPE' among yours; give its external id."}),
])
def test_a_bad_create_is_a_json_error_and_writes_nothing(pipeline, csm, body, errors):
    before = snapshot()

    response = api_for(csm).post("/api/opportunities/", body, format="json")

    assert (response.status_code, response.json()) == (400, errors)
    assert snapshot() == before


def test_a_csm_cannot_create_on_another_csms_account(pipeline, csm):
    before = snapshot()

    response = api_for(csm).post("/api/opportunities/", {"account": "A-FOREIGN", "title": "Sneaky"}, format="json")

    assert (response.status_code, response.json()) == (
        400, {"account": "No account 'A-FOREIGN' among yours; give its external id."})  # as for one that is not there
    assert snapshot() == before


def test_patching_the_stage_follows_the_pipeline(pipeline, csm):
    api = api_for(csm)
    url = f"/api/opportunities/{pipeline['seats'].pk}/"

    moved = api.patch(url, {"stage": "negotiation", "next_step": "Send the contract"}, format="json")
    assert moved.status_code == 200, moved.content
    assert (moved.json()["stage"], moved.json()["probability"], moved.json()["weighted"]) == ("negotiation", 75,
                                                                                             "750.00")
    won = api.patch(url, {"stage": "won"}, format="json")
    assert (won.json()["stage"], won.json()["probability"]) == ("won", 100) and won.json()["closed_at"]
    assert [(h["from"], h["to"]) for h in won.json()["stage_history"]] == [
        (None, "identified"), ("identified", "negotiation"), ("negotiation", "won")]

    reopened = api.patch(url, {"stage": "proposal"}, format="json")
    assert (reopened.status_code, reopened.json()) == (
        400, {"stage": "This opportunity is won; a closed opportunity stays closed."})
    assert Opportunity.objects.get(pk=pipeline["seats"].pk).stage == "won"


@pytest.mark.parametrize("changes, errors", [
    ({"stage": "signed"}, {"stage": "'signed' is not a stage; use one of: identified, qualified, proposal, "
                                    "negotiation, won, lost."}),
    ({"amount": 0, "stage": "won"}, {"amount": "A won opportunity needs its amount (added MRR) above zero."}),
    ({"stage": "lost"}, {"lost_reason": "Say why the opportunity was lost."}),
    ({"probability": 101}, {"probability": "The probability must be from 0 to 100."}),
    ({"probability": "high"}, {"probability": "'high' is not a whole number from 0 to 100."}),
    ({"owner": "ghost@example.org"}, {"owner": "No user with the e-mail 'ghost@example.org' can own opportunities."}),
    ({"source_kind": "promoter"}, {"source_kind": "'source_kind' cannot be changed; use: title, stage, amount, "
                                                  "probability, expected_close, owner, next_step, notes, "
                                                  "lost_reason."}),
    ({}, {"detail": "Send at least one field to change: title, stage, amount, probability, expected_close, owner, "
                    "next_step, notes, lost_reason."}),
])
def test_a_bad_patch_is_a_json_error_and_changes_nothing(pipeline, csm, changes, errors):
    before = snapshot()

    response = api_for(csm).patch(f"/api/opportunities/{pipeline['seats'].pk}/", changes, format="json")

    assert (response.status_code, response.json()) == (400, errors)
    assert snapshot() == before


def test_patching_other_fields(pipeline, csm, manager):
    response = api_for(csm).patch(f"/api/opportunities/{pipeline['seats'].pk}/", {
        "amount": "1200.50", "probability": 35, "expected_close": None, "owner": "MORGAN@example.org",
        "notes": "CFO on board", "title": "Add 12 seats"}, format="json")

    assert response.status_code == 200, response.content
    seats = Opportunity.objects.get(pk=pipeline["seats"].pk)
    assert (seats.title, seats.amount, seats.probability, seats.probability_edited, seats.expected_close,
            seats.owner, seats.notes) == ("Add 12 seats", Decimal("1200.50"), 35, True, None, manager, "CFO on board")
    assert response.json()["weighted"] == "420.18"  # 1200.50 × 35% = 420.175, rounded half even


def test_another_csms_opportunity_is_not_found_and_not_changed(pipeline, csm):
    api = api_for(csm)
    url = f"/api/opportunities/{pipeline['foreign'].pk}/"
    before = snapshot()

    assert api.get(url).status_code == 404
    response = api.patch(url, {"stage": "qualified"}, format="json")

    assert (response.status_code, response.json()) == (404, {"detail": "No such opportunity."})
    assert snapshot() == before
    assert api.get("/api/opportunities/", {"account": "A-FOREIGN"}).json()["results"] == []


def test_a_manager_reads_and_changes_any_opportunity(pipeline, manager):
    api = api_for(manager)
    url = f"/api/opportunities/{pipeline['foreign'].pk}/"

    assert api.get(url).json()["title"] == "Harbor upsell"
    assert api.patch(url, {"stage": "qualified"}, format="json").json()["stage"] == "qualified"


def test_the_api_needs_a_session_or_a_token(pipeline, csm):
    anonymous = APIClient()
    refused = {"detail": "Authentication credentials were not provided."}

    for response in (anonymous.get("/api/opportunities/"),
                     anonymous.post("/api/opportunities/", {"account": "A-OWN", "title": "X"}, format="json"),
                     anonymous.patch(f"/api/opportunities/{pipeline['seats'].pk}/", {"stage": "won"}, format="json")):
        assert (response.status_code in (401, 403), response.json()) == (True, refused)
    bad_token = APIClient()
    bad_token.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad_token.get("/api/opportunities/").json() == {"detail": "Invalid token."}
    session = APIClient()
    session.force_login(csm)
    assert listed(session.get("/api/opportunities/")) == ["Add 10 seats", "API tier"]
    assert Opportunity.objects.get(pk=pipeline["seats"].pk).stage == "identified"


def test_the_schema_documents_the_opportunities(csm):
    session = APIClient()
    session.force_login(csm)

    paths = session.get("/api/schema/").json()["paths"]

    assert set(paths["/api/opportunities/"]) >= {"get", "post"}
    assert set(paths["/api/opportunities/{opportunity_id}/"]) >= {"get", "patch"}


def test_the_list_costs_the_same_queries_for_one_or_many_opportunities(pipeline, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = api_for(manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/opportunities/").status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for n in range(10):
        opportunity = opportunity_create(account=AccountFactory(), user=manager, title=f"More {n}",
                                         amount=Decimal(10))
        opportunity_update(opportunity=opportunity, user=manager, changes={"stage": "qualified"})
    assert queries() == few


def test_the_serializer_refuses_every_bad_field_of_a_body_at_once_and_nothing_is_written(pipeline, csm):
    before = snapshot()

    response = api_for(csm).post("/api/opportunities/", {"account": "A-OWN", "title": "X", "amount": -1,
                                                         "owner": "nobody@example.org", "probability": "high"},
                                 format="json")

    assert (response.status_code, response.json()) == (400, {
        "amount": "The amount (added MRR) must be zero or more.",
        "owner": "No user with the e-mail 'nobody@example.org' can own opportunities.",
        "probability": "'high' is not a whole number from 0 to 100.",
    })
    assert snapshot() == before


def test_the_page_and_the_api_refuse_a_value_with_the_same_sentence(client, pipeline, csm):
    client.force_login(csm)

    page = client.post(reverse("opportunity_edit", args=[pipeline["seats"].pk]), {"amount": "-5"},
                       headers={"HX-Request": "true"})
    api = api_for(csm).patch(f"/api/opportunities/{pipeline['seats'].pk}/", {"amount": "-5"}, format="json")

    assert (api.status_code, api.json()) == (400, {"amount": "The amount (added MRR) must be zero or more."})
    assert page.context["card"].errors == api.json()
