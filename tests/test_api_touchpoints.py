"""The touchpoints API (docs/api.md): `POST /api/accounts/{external_id}/touchpoints/` logs a call, meeting, e-mail
or note, read by the text reader at once (201 with the reading); a refused field is a 400 naming it; another
CSM's account is a 404; `GET` lists the account's touchpoints, newest first, paged."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from accounts.models import Touchpoint
from tests.factories import ContactFactory, TouchpointFactory

pytestmark = pytest.mark.django_db

URL = "/api/accounts/{}/touchpoints/"


@pytest.fixture
def api(csm) -> APIClient:
    client = APIClient()
    client.force_login(csm)
    return client


def test_it_logs_a_touchpoint_and_answers_with_its_reading(api, own_account):
    ContactFactory(external_id="C-DANA", account=own_account, name="Dana Reyes")

    response = api.post(URL.format("A-OWN"), {"kind": "call", "direction": "inbound", "contact": "C-DANA",
                                              "subject": "Renewal", "text": "We will cancel at renewal",
                                              "occurred_at": "2025-04-02T09:30:00Z"}, format="json")

    assert response.status_code == 201
    body = response.json()
    touchpoint = Touchpoint.objects.get()
    assert body == {
        "external_id": touchpoint.external_id, "occurred_at": "2025-04-02T09:30:00Z", "kind": "call",
        "direction": "inbound", "contact": "C-DANA", "contact_name": "Dana Reyes", "subject": "Renewal",
        "text": "We will cancel at renewal",
        "reading": {"churn_intent": True, "intent_phrase": "cancel at", "category": "account_cancellation",
                    "sentiment": 0.0, "sentiment_label": "neutral", "competitors": [], "summary": touchpoint.summary,
                    "recommended_action": touchpoint.recommended_action, "reader": "builtin-3"},
    }
    assert touchpoint.summary and touchpoint.recommended_action


def test_only_kind_and_text_are_needed(api, own_account):
    response = api.post(URL.format("A-OWN"), {"kind": "note", "text": "Sent the onboarding checklist."},
                        format="json")

    assert response.status_code == 201
    assert (response.json()["contact"], response.json()["direction"], response.json()["subject"]) == (None, "", "")
    assert response.json()["reading"]["churn_intent"] is False


@pytest.mark.parametrize(("body", "problems"), [
    ({}, {"kind": "Choose what to log: one of call, meeting, email, note.",
          "text": "Write the text: what was said or agreed."}),
    ({"kind": "qbr", "text": "x"}, {"kind": "'qbr' is not something to log; use one of: call, meeting, email, note."}),
    ({"kind": "call", "text": "x", "direction": "up"},
     {"direction": "'up' is not a direction; use one of: inbound, outbound, internal."}),
    ({"kind": "call", "text": "x", "contact": "C-NOBODY"},
     {"contact": "No contact 'C-NOBODY' on this account; give one of its contacts' external ids."}),
    ({"kind": "call", "text": "x" * 20_001}, {"text": "The text has 20,001 characters; keep it to 20,000."}),
    ({"kind": "call", "text": "a\x00b"}, {"text": "The text contains a NUL character (\\0); remove it."}),
    ({"kind": "call", "text": "   "}, {"text": "Write the text: what was said or agreed."}),
    ({"kind": "call", "text": "x", "occurred_at": "yesterday"},
     {"occurred_at": "Give when it happened as a date and time, e.g. 2025-04-02 09:00."}),
    ({"kind": "call", "text": "x", "occurred_at": "2999-01-01T00:00:00Z"},
     {"occurred_at": "The date and time is in the future; log what has happened."}),
    ({"kind": "call", "text": "x", "account": "A-FOREIGN"},
     {"account": "'account' is not a field here; use: kind, direction, contact, subject, text, occurred_at."}),
])
def test_a_refused_field_is_a_400_naming_it_and_nothing_is_written(api, own_account, body, problems):
    response = api.post(URL.format("A-OWN"), body, format="json")

    assert (response.status_code, response.json()) == (400, problems)
    assert not Touchpoint.objects.exists()


def test_a_contact_of_another_account_is_unknown_here(api, own_account, foreign_account):
    ContactFactory(external_id="C-ELSEWHERE", account=foreign_account)

    response = api.post(URL.format("A-OWN"), {"kind": "call", "text": "x", "contact": "C-ELSEWHERE"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"contact": "No contact 'C-ELSEWHERE' on this account; give one of its contacts' "
                                          "external ids."}


def test_another_csms_account_is_a_404_for_reading_and_logging(api, foreign_account):
    TouchpointFactory(account=foreign_account)

    assert api.get(URL.format("A-FOREIGN")).status_code == 404
    assert api.post(URL.format("A-FOREIGN"), {"kind": "call", "text": "x"}, format="json").status_code == 404
    assert Touchpoint.objects.count() == 1


def test_a_manager_logs_on_any_account(manager, foreign_account):
    client = APIClient()
    client.force_login(manager)

    assert client.post(URL.format("A-FOREIGN"), {"kind": "call", "text": "x"}, format="json").status_code == 201


def test_anonymous_callers_are_refused(own_account):
    response = APIClient().post(URL.format("A-OWN"), {"kind": "call", "text": "x"}, format="json")

    assert response.status_code == 403
    assert not Touchpoint.objects.exists()


def test_the_list_is_newest_first_and_paged(api, own_account, foreign_account):
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    for day in range(3):
        TouchpointFactory(account=own_account, external_id=f"TP-{day}", occurred_at=start + dt.timedelta(days=day),
                          subject=f"Day {day}", text="")
    TouchpointFactory(account=foreign_account, external_id="TP-ELSEWHERE")

    first = api.get(URL.format("A-OWN") + "?page_size=2").json()
    second = api.get(URL.format("A-OWN") + "?page_size=2&page=2").json()

    assert first["count"] == 3
    assert [t["external_id"] for t in first["results"]] == ["TP-2", "TP-1"]
    assert [t["external_id"] for t in second["results"]] == ["TP-0"]
    assert first["results"][0] == {"external_id": "TP-2", "occurred_at": "2025-01-03T00:00:00Z", "kind": "email",
                                   "direction": "inbound", "contact": None, "contact_name": None,
                                   "subject": "Day 2", "text": "", "reading": None}


def test_the_schema_describes_the_body_and_the_answer(api):
    schema = api.get("/api/schema/").json()

    operation = schema["paths"]["/api/accounts/{external_id}/touchpoints/"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    properties = schema["components"]["schemas"][body]["properties"]
    assert list(properties) == ["kind", "direction", "contact", "subject", "text", "occurred_at"]
    assert sorted(schema["components"]["schemas"][body]["required"]) == ["kind", "text"]
    assert "201" in operation["responses"]
    assert "get" in schema["paths"]["/api/accounts/{external_id}/touchpoints/"]
