"""People get friendly 403/404/500 pages in every mode (DEBUG on too), programs get JSON under /api/;
/favicon.ico exists; a 4xx is logged once, as one line without a traceback."""

import datetime as dt
import logging

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from expansion import views as expansion_views
from expansion.models import ExpansionSignal
from healthcs.errors import DomainError
from interventions import api as interventions_api
from interventions.models import Intervention, InterventionStatus, Playbook
from workspace import views as workspace_views

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 2)
DEBUG_PAGE_MARKS = ("Using the URLconf defined in", "Traceback", "You're seeing this error because you have")


def assert_friendly(response, status: int, heading: str) -> None:
    html = response.content.decode()
    assert response.status_code == status
    assert f"<h1>{heading}</h1>" in html
    assert not [mark for mark in DEBUG_PAGE_MARKS if mark in html]


@pytest.mark.parametrize("debug", [True, False])
def test_a_missing_page_is_the_friendly_404(client, csm, debug):
    client.force_login(csm)
    with override_settings(DEBUG=debug):
        assert_friendly(client.get("/no-such-page/"), 404, "Not found")
        assert_friendly(client.get(reverse("account_detail", args=["NOPE"])), 404, "Not found")


@pytest.mark.parametrize("debug", [True, False])
def test_a_refused_page_is_the_friendly_403(client, csm, debug):
    client.force_login(csm)
    with override_settings(DEBUG=debug):
        assert_friendly(client.get(reverse("import_upload")), 403, "Not allowed")


@pytest.mark.parametrize("debug", [True, False])
def test_a_form_with_a_bad_csrf_token_is_the_friendly_403(csm, debug):
    client = Client(enforce_csrf_checks=True)
    client.force_login(csm)
    with override_settings(DEBUG=debug):
        assert_friendly(client.post(reverse("logout")), 403, "This form has expired")


@pytest.mark.parametrize("debug", [True, False])
def test_a_crash_is_the_friendly_500_and_is_logged_with_its_traceback(csm, monkeypatch, caplog, debug):
    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(workspace_views, "latest_as_of", broken)
    client = Client(raise_request_exception=False)
    client.force_login(csm)
    with override_settings(DEBUG=debug):
        response = client.get(reverse("home"))

    assert_friendly(response, 500, "Something went wrong")
    errors = [r for r in caplog.records if r.name == "django.request"]
    assert [(r.levelname, r.getMessage(), r.exc_info[0]) for r in errors] == [
        ("ERROR", "Internal Server Error: /", RuntimeError)]


def test_the_slash_is_still_added_to_an_address_without_it_when_debug_is_on(client, csm):
    client.force_login(csm)
    with override_settings(DEBUG=True):
        response = client.get("/accounts")

    assert (response.status_code, response["Location"]) == (301, "/accounts/")


@pytest.mark.parametrize("debug", [True, False])
def test_api_errors_stay_json_when_debug_is_on(csm, debug):
    api = APIClient()
    api.force_login(csm)
    with override_settings(DEBUG=debug):
        missing = api.get("/api/nothing-here/")
        foreign = api.get(reverse("api_account", args=["NOPE"]))

    assert (missing.status_code, missing.json()) == (404, {"detail": "No such API endpoint."})
    assert foreign.status_code == 404 and list(foreign.json()) == ["detail"]


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")

    assert (response.status_code, response["Location"]) == (301, "/static/favicon.svg")
    icon = client.get(response["Location"])
    assert (icon.status_code, icon["Content-Type"]) == (200, "image/svg+xml")
    assert b"<svg" in b"".join(icon.streaming_content)


@pytest.mark.parametrize("debug", [True, False])
def test_a_4xx_is_logged_once_without_a_traceback(client, csm, caplog, debug):
    client.force_login(csm)
    caplog.set_level(logging.INFO)
    with override_settings(DEBUG=debug):
        client.get(reverse("account_detail", args=["NOPE"]))
        client.get("/no-such-page/")
        client.get(reverse("import_upload"))  # Django attaches the PermissionDenied: a traceback

    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.name, r.levelname, r.getMessage(), r.exc_info) for r in records] == [
        ("django.request", "WARNING", "Not Found: /accounts/NOPE/", None),
        ("django.request", "WARNING", "Not Found: /no-such-page/", None),
        ("django.request", "WARNING", "Forbidden (Permission denied): /import/", None),
    ]
    assert [handlers_printing(r) for r in records] == [1, 1, 1]


def handlers_printing(record: logging.LogRecord) -> int:
    """How many handlers would write the record: those of its logger and of each one it propagates to
    (pytest's own capturing handlers aside)."""
    count, logger = 0, logging.getLogger(record.name)
    while logger is not None:
        count += sum(1 for h in logger.handlers if record.levelno >= h.level and h.filter(record)
                     and not type(h).__module__.startswith("_pytest"))
        logger = logger.parent if logger.propagate else None
    return count


@pytest.mark.parametrize("debug", [True, False])
def test_a_5xx_is_printed_once_with_its_traceback(debug):
    record = logging.getLogger("django.request").makeRecord(
        "django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s", ("/",), (RuntimeError,
        RuntimeError("boom"), None), extra={"status_code": 500})
    with override_settings(DEBUG=debug):
        assert handlers_printing(record) == 1
        logging.getLogger("django.request").filter(record)

    assert record.exc_info[0] is RuntimeError


# A rule a request broke (healthcs.errors.DomainError) that no page showed beside its form ------------------

def _refusing(monkeypatch, module, name: str, error: DomainError) -> None:
    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(module, name, refuse)


@pytest.mark.parametrize("debug", [True, False])
def test_a_broken_rule_is_the_friendly_400_with_its_sentence(client, csm, own_account, monkeypatch, debug):
    _refusing(monkeypatch, expansion_views, "signal_dismiss", DomainError("This signal is already closed."))
    found = ExpansionSignal.objects.create(account=own_account, kind="usage_limit", first_detected_on=TODAY,
                                           last_detected_on=TODAY, estimated_mrr=600)
    client.force_login(csm)

    with override_settings(DEBUG=debug):
        response = client.post(reverse("signal_dismiss", args=[found.pk]))

    assert_friendly(response, 400, "Bad request")
    assert '<p class="error" role="alert">This signal is already closed.</p>' in response.content.decode()


def test_a_broken_rule_answers_htmx_with_a_fragment(client, csm, own_account, monkeypatch):
    _refusing(monkeypatch, expansion_views, "signal_dismiss", DomainError("This signal is already closed."))
    found = ExpansionSignal.objects.create(account=own_account, kind="usage_limit", first_detected_on=TODAY,
                                           last_detected_on=TODAY, estimated_mrr=600)
    client.force_login(csm)

    response = client.post(reverse("signal_dismiss", args=[found.pk]), headers={"HX-Request": "true"})

    assert (response.status_code, response.content.decode()) == (
        400, '<p class="error" role="alert">This signal is already closed.</p>\n')


@pytest.mark.parametrize(("error", "body"), [
    (DomainError("That intervention is closed."), {"detail": "That intervention is closed."}),
    (DomainError("Keep the note short.", field="note"), {"note": "Keep the note short."}),
])
def test_a_broken_rule_is_a_json_400_in_the_api(csm, own_account, monkeypatch, error, body):
    _refusing(monkeypatch, interventions_api, "outcome_log", error)
    playbook = Playbook.objects.create(name="Rescue", trigger_kind="tier", trigger_value="Critical")
    intervention = Intervention.objects.create(account=own_account, playbook=playbook, triggered_on=TODAY,
                                               triggered_at=timezone.now(), reason="Critical", draw=0.5,
                                               group="treated", status=InterventionStatus.OPEN)
    client = APIClient()
    client.force_authenticate(csm)

    response = client.post(f"/api/interventions/{intervention.pk}/outcomes/", {"kind": "contacted"}, format="json")

    assert (response.status_code, response.json()) == (400, body)
