"""The scoring pages (docs/scoring.md, docs/pages.md, docs/security.md): alerts and their Resolve button, "Recompute
now" with its progress page, the account page's scores and breakdown, the list's Health and Risk columns, and the
configuration draft → preview → activate flow in Django admin. Who may see and do what is part of
every page's specification; a denied request changes nothing."""

import copy
import datetime as dt
import json

import pytest
from django.db import connection
from django.template.defaultfilters import floatformat, pluralize, slugify
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from kombu.exceptions import OperationalError
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from healthcs.celery import app as celery_app
from scoring.config import TIER_NAMES
from scoring.configs import config_draft_create, ensure_active_config
from scoring.models import Alert, AlertStatus, ConfigStatus, RecomputeRun, RunStatus, ScoringConfig, Snapshot
from scoring.services import recompute_run_create, recompute_scores
from scoring.tasks import recompute_one_batch
from scoring.texts.reader import read
from scoring.texts.service import lexicon
from tests.factories import AccountFactory, AlertFactory, SupportTicketFactory
from tests.scoring.page_data import (
    AS_OF,
    FOREIGN_RISK,
    OWN_ACTIONS,
    OWN_RISK,
    SATISFACTION_REASON,
    USAGE_REASON,
    build_book,
    measure_cells,
    score_book,
    snapshot_of,
)

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
BAD_DATE_MESSAGE = "Enter the date as YYYY-MM-DD, or leave it empty for today."


@pytest.fixture
def own_alert(own_account):
    return AlertFactory(account=own_account, kind="failed_payment", message="Invoice INV-7 of 1,000.00 failed")


@pytest.fixture
def foreign_alert(foreign_account):
    return AlertFactory(account=foreign_account, kind="silent_account", message="No interaction for 64 days")


@pytest.fixture
def scored_book(own_account, foreign_account):
    score_book(own_account, foreign_account)


@pytest.fixture
def in_process_tasks():
    """Run queued tasks in-process: this file tests the view; tests/browser runs a real worker."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def draft_with_medium_risk_at(points: int, user) -> ScoringConfig:
    data = copy.deepcopy(ensure_active_config().data)
    data["risk_levels"]["medium"] = points
    return config_draft_create(user=user, data=data, name=f"Medium from {points}")


def measure_row(cells: list[str]) -> str:
    muted = ' class="muted"' if cells[3] == "no data" else ""
    return f"<tr{muted}>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def health_text(external_id: str) -> tuple[str, str, str]:
    """An account's health score, tier and the slug of its tier, as the pages show them."""
    snapshot = snapshot_of(external_id)
    return floatformat(snapshot.health_score, 1), snapshot.health_tier, slugify(snapshot.health_tier)


def preview_url(config: ScoringConfig) -> str:
    return reverse("admin:scoring_scoringconfig_preview", args=[config.pk])


def alert_state(alert: Alert) -> tuple:
    alert.refresh_from_db()
    return alert.status, alert.resolved_at, alert.resolved_by_id


# Login --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("get", "/alerts/"),
    ("post", "/alerts/1/resolve/"),
    ("get", "/scores/recompute/"),
    ("post", "/scores/recompute/"),
    ("get", "/scores/recompute/1/"),
    ("get", "/accounts/A-OWN/"),
])
def test_it_requires_login(client, method, path):
    response = getattr(client, method)(path)

    assertRedirects(response, f"/login/?next={path}", fetch_redirect_response=False)
    assert not RecomputeRun.objects.exists()


def test_an_anonymous_resolve_changes_nothing(client, own_alert):
    before = alert_state(own_alert)

    response = client.post(reverse("alert_resolve", args=[own_alert.pk]), **HX)

    assert response.status_code == 302
    assert alert_state(own_alert) == before == (AlertStatus.OPEN, None, None)


# Alerts -------------------------------------------------------------------------------------------------

def test_a_csm_sees_only_the_alerts_of_own_accounts(client, csm, own_alert, foreign_alert):
    client.force_login(csm)

    response = client.get(reverse("alert_list"))

    assert response.status_code == 200
    assert [a.pk for a in response.context["page"].object_list] == [own_alert.pk]
    assertContains(response, "Invoice INV-7 of 1,000.00 failed", count=1)
    assertContains(response, f'<tr id="alert-{own_alert.pk}" data-kind="failed_payment">')
    assertNotContains(response, "No interaction for 64 days")
    assertNotContains(response, "Harbor Pediatrics")


def test_a_manager_sees_every_open_alert(client, manager, own_alert, foreign_alert):
    AlertFactory(account=own_alert.account, kind="champion_left", status=AlertStatus.RESOLVED,
                 message="Champion Dana Reyes left")
    client.force_login(manager)

    response = client.get(reverse("alert_list"))

    assert [a.pk for a in response.context["page"].object_list] == [foreign_alert.pk, own_alert.pk]
    assertNotContains(response, "Champion Dana Reyes left")


def test_resolving_another_csms_alert_is_404_and_changes_nothing(client, csm, foreign_alert):
    client.force_login(csm)
    before = alert_state(foreign_alert)

    htmx = client.post(reverse("alert_resolve", args=[foreign_alert.pk]), **HX)
    plain = client.post(reverse("alert_resolve", args=[foreign_alert.pk]))

    assert (htmx.status_code, plain.status_code) == (404, 404)
    assert alert_state(foreign_alert) == before == (AlertStatus.OPEN, None, None)


def test_resolving_an_unknown_alert_is_404(client, csm):
    client.force_login(csm)

    assert client.post(reverse("alert_resolve", args=[999_999])).status_code == 404


def test_resolve_only_accepts_post(client, csm, own_alert):
    client.force_login(csm)

    response = client.get(reverse("alert_resolve", args=[own_alert.pk]))

    assert response.status_code == 405
    assert alert_state(own_alert) == (AlertStatus.OPEN, None, None)


def test_resolving_through_htmx_returns_the_row_showing_resolved(client, csm, own_alert):
    client.force_login(csm)

    response = client.post(reverse("alert_resolve", args=[own_alert.pk]), **HX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith(f'<tr id="alert-{own_alert.pk}" data-kind="failed_payment">')
    assert "<html" not in html and "<form" not in html
    assertContains(response, f'<td data-testid="alert-state">Resolved by {csm.get_full_name()}</td>', html=True)
    assert response["HX-Trigger"] == "alertsChanged"  # the inbox's counts refresh themselves
    status, resolved_at, resolved_by = alert_state(own_alert)
    assert (status, resolved_by) == (AlertStatus.RESOLVED, csm.pk) and resolved_at is not None


def test_resolving_without_javascript_goes_back_with_a_message(client, csm, own_alert):
    client.force_login(csm)

    response = client.post(reverse("alert_resolve", args=[own_alert.pk]), {"next": "/alerts/?page=1"}, follow=True)

    assertRedirects(response, "/alerts/?page=1")
    assertContains(response, "Alert resolved: Failed payment for Lakeside Family Practice.")
    assertNotContains(response, "Invoice INV-7 of 1,000.00 failed")
    assert alert_state(own_alert)[0] == AlertStatus.RESOLVED


def test_resolve_ignores_a_next_address_on_another_site(client, csm, own_alert):
    client.force_login(csm)

    response = client.post(reverse("alert_resolve", args=[own_alert.pk]), {"next": "https://evil.example.org/"})

    assert response.status_code == 302
    assert response["Location"] == reverse("alert_list")


def test_the_alert_list_query_count_does_not_grow_with_the_alerts(client, manager, csm, other_csm):
    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("alert_list")).status_code == 200
        return len(captured)

    client.force_login(manager)
    for n in range(3):
        AlertFactory(account=AccountFactory(csm=csm if n % 2 else other_csm))
    with_three = queries_for_list()
    for n in range(27):
        AlertFactory(account=AccountFactory(csm=csm if n % 2 else other_csm))

    assert queries_for_list() == with_three


# Recompute ----------------------------------------------------------------------------------------------

def test_a_csm_may_not_recompute(client, csm, own_account):
    client.force_login(csm)
    run = recompute_run_create(as_of=AS_OF, trigger="command")

    responses = [client.get(reverse("recompute")), client.post(reverse("recompute"), {"as_of": "2025-03-16"}),
                 client.get(reverse("recompute_detail", args=[run.pk]))]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert list(RecomputeRun.objects.values_list("pk", flat=True)) == [run.pk]


def test_a_bad_date_is_refused_with_the_message_and_starts_nothing(client, manager, own_account):
    client.force_login(manager)

    response = client.post(reverse("recompute"), {"as_of": "16/03/2025"})

    assert response.status_code == 400
    assertContains(response, f'<p class="error" role="alert">{BAD_DATE_MESSAGE}</p>', status_code=400, html=True)
    assertContains(response, 'value="16/03/2025"', status_code=400)
    assert not RecomputeRun.objects.exists()


def test_a_manager_sees_the_recompute_form(client, manager):
    client.force_login(manager)

    response = client.get(reverse("recompute"))

    assertContains(response, '<button type="submit" data-testid="recompute-now">Recompute now</button>', html=True)
    assertContains(response, "No recompute has run yet.")


def test_a_manager_starts_a_recompute_and_lands_on_its_progress_page(client, manager, own_account,
                                                                     foreign_account, in_process_tasks):
    client.force_login(manager)

    response = client.post(reverse("recompute"), {"as_of": "2025-03-16"})

    run = RecomputeRun.objects.get()
    assertRedirects(response, reverse("recompute_detail", args=[run.pk]), fetch_redirect_response=False)
    assert (run.as_of, run.trigger, run.created_by, run.status, run.accounts_scored) == (
        AS_OF, "web", manager, RunStatus.SUCCEEDED, 2)


def test_a_recompute_that_cannot_reach_the_broker_says_so(client, manager, own_account, monkeypatch):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(recompute_one_batch, "delay", broker_down)
    client.force_login(manager)

    response = client.post(reverse("recompute"), {"as_of": "2025-03-16"})

    assertContains(response, "The background task queue is not reachable right now, so the recompute could not start",
                   status_code=503)
    run = RecomputeRun.objects.get()
    assert (run.status, run.batches_done, run.accounts_scored) == (RunStatus.FAILED, 0, 0)
    assert run.error.startswith("The task queue is unavailable (Error 111 connecting")
    assert not Snapshot.objects.exists()


def test_a_running_recompute_shows_its_progress_and_polls(client, manager, own_account, foreign_account, settings):
    settings.SCORING_BATCH_SIZE = 1
    run = recompute_run_create(as_of=AS_OF, trigger="web", user=manager)
    client.force_login(manager)

    page = client.get(reverse("recompute_detail", args=[run.pk]))
    fragment = client.get(reverse("recompute_detail", args=[run.pk]), **HX)

    assertContains(page, f"<h1>Recompute #{run.pk}</h1>", html=True)
    assertContains(page, "Scoring accounts: batch 0 of 2 done…")
    assertContains(page, '<progress max="100" value="0" aria-label="Recompute progress">0%</progress>', html=True)
    html = fragment.content.decode()
    assert html.startswith('<section id="recompute-status"') and "<html" not in html
    assert f'hx-get="/scores/recompute/{run.pk}/"' in html and 'hx-trigger="load delay:1s"' in html


def test_a_finished_recompute_says_done_and_stops_polling(client, manager, scored_book):
    run = RecomputeRun.objects.get()
    client.force_login(manager)

    fragment = client.get(reverse("recompute_detail", args=[run.pk]), **HX)

    html = fragment.content.decode()
    assert (f"Done: 2 accounts scored in {run.seconds:.1f} s, {run.alerts_opened} new "
            f"alert{pluralize(run.alerts_opened)}.") in html
    assert '<progress max="100" value="100" aria-label="Recompute progress">100%</progress>' in html
    assert "hx-get" not in html


def test_an_unknown_recompute_is_404(client, manager):
    client.force_login(manager)

    assert client.get(reverse("recompute_detail", args=[999_999])).status_code == 404


# Account page, list and home ---------------------------------------------------------------------------

def test_the_account_page_shows_the_scores_and_their_breakdown(client, csm, own_account, scored_book):
    client.force_login(csm)

    response = client.get(reverse("account_detail", args=["A-OWN"]))

    snapshot = snapshot_of("A-OWN")
    health, tier, tier_slug = health_text("A-OWN")
    assert response.status_code == 200
    assert snapshot.trend == ""  # no snapshot 30 days earlier: no trend is shown
    assertContains(response, f'<span class="value tier tier-{tier_slug}" data-testid="health-score">{health}</span>',
                   html=True)
    assertContains(response, f"<span>{tier}</span>", html=True)
    assertContains(response, f"Data covers {round(snapshot.covered_share * 100)}% of the scorecard")
    assertContains(response, f'<span class="value level level-medium" data-testid="risk-score">{OWN_RISK}</span>',
                   html=True)
    assertContains(response, "<span>Medium · from subscription S-A-OWN</span>", html=True)
    assertContains(response, "<tr><td>usage_drop</td><td>+40</td><td>Usage dropped 79% (30d vs prior)</td>"
                             "<td>pct 79, drop 0.7933, last 62, prior 300</td></tr>", html=True)
    assertContains(response, "<tr><td>satisfaction</td><td>+12</td><td>Low satisfaction score (1-2/5)</td>"
                             "<td>mean 2, rounded 2</td></tr>", html=True)
    assertContains(response, f"<p><strong>Top reasons:</strong> {USAGE_REASON}; {SATISFACTION_REASON}</p>", html=True)
    assertContains(response, f"<p><strong>Recommended actions:</strong> {OWN_ACTIONS}</p>", html=True)
    # Measures with data show value, 0-100 score and points; those without say so instead of a value.
    assert snapshot.breakdown()["daily_active_rate"]["raw"] is not None
    assertContains(response, measure_row(measure_cells(snapshot, "Usage", "Daily active rate", "daily_active_rate",
                                                       15)), html=True)
    assert snapshot.breakdown()["payment_health"]["raw"] is None  # no invoices in this book
    assertContains(response, '<tr class="muted"><td>Business</td><td>Payment health</td><td>8</td><td>no data</td>'
                             "<td>—</td><td>left out</td></tr>", html=True)
    assert snapshot.breakdown()["csm_interactions"]["raw"] is None  # no touchpoints in this book
    assertContains(response, '<tr class="muted"><td>Relationship</td><td>CSM interactions</td><td>4</td>'
                             "<td>no data</td><td>—</td><td>left out</td></tr>", html=True)
    without_data = sum(values["raw"] is None for values in snapshot.breakdown().values())
    assertContains(response, "<td>no data</td>", count=without_data, html=True)
    assertContains(response, "<td>left out</td>", count=without_data, html=True)


def test_cancellation_language_is_quoted_as_evidence(client, csm, own_account):
    SupportTicketFactory(account=own_account, external_id="T-CANCEL", subject="Contract",
                         submitted_at=dt.datetime(2025, 3, 10, 9, tzinfo=dt.UTC),
                         body="We want to cancel our subscription at the end of the month.")
    recompute_scores(as_of=AS_OF)
    client.force_login(csm)

    response = client.get(reverse("account_detail", args=["A-OWN"]))

    phrase = read("Contract\nWe want to cancel our subscription at the end of the month.", lexicon()).intent_phrase
    assert phrase in "We want to cancel our subscription"
    assertContains(response, "<tr><td>churn_intent</td><td>+60</td>"
                             "<td>Customer language suggests cancellation risk (1 in 90d)</td>"
                             f"<td>n 1, days 90<br>ticket T-CANCEL: “{phrase}”</td></tr>", html=True)


def test_an_account_without_scores_says_so(client, manager, own_account):
    client.force_login(manager)

    response = client.get(reverse("account_detail", args=["A-OWN"]))

    assertContains(response, "No scores yet for this account.")
    assertContains(response, '<a href="/scores/recompute/">recompute now</a>', html=True)
    assertNotContains(response, 'data-testid="health-score"')


def test_the_account_page_lists_its_open_alerts(client, csm, own_alert):
    AlertFactory(account=own_alert.account, kind="champion_left", status=AlertStatus.RESOLVED,
                 message="Champion Dana Reyes left")
    client.force_login(csm)

    response = client.get(reverse("account_detail", args=["A-OWN"]))

    assertContains(response, '<section class="card" id="account-alerts">')
    section = response.content.decode().split('id="account-alerts">')[1].split("</section>")[0]
    assert section.count("Invoice INV-7 of 1,000.00 failed") == 1
    assert "Champion Dana Reyes left" not in section
    # The timeline keeps both, the resolved one marked so.
    assertContains(response, "Champion Dana Reyes left (resolved)", count=1)


def test_the_account_page_of_another_csms_account_is_404(client, csm, foreign_account, scored_book):
    client.force_login(csm)

    response = client.get(reverse("account_detail", args=["A-FOREIGN"]))

    assert response.status_code == 404
    assertNotContains(response, "Harbor Pediatrics", status_code=404)


def test_the_account_list_shows_health_and_risk(client, csm, scored_book):
    client.force_login(csm)

    response = client.get(reverse("account_list"))

    assert [a.external_id for a in response.context["page"].object_list] == ["A-OWN"]
    snapshot = snapshot_of("A-OWN")
    assertContains(response, f'<span class="tier tier-{slugify(snapshot.health_tier)}">'
                             f"{floatformat(snapshot.health_score, 0)} · {snapshot.health_tier}</span>", html=True)
    assertContains(response, '<span class="level level-medium">52 · Medium</span>', html=True)


def test_the_account_list_query_count_does_not_grow_with_the_accounts(client, manager, csm, other_csm):
    def queries_for_list() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("account_list"))
        assert response.status_code == 200
        return len(captured), len(response.context["page"].object_list)

    client.force_login(manager)
    for n in range(3):
        AccountFactory(csm=csm if n % 2 else other_csm)
    recompute_scores(as_of=AS_OF)
    queries_for_three, shown = queries_for_list()
    assert shown == 3
    for n in range(27):
        AccountFactory(csm=csm if n % 2 else other_csm)
    recompute_scores(as_of=AS_OF)

    assert queries_for_list() == (queries_for_three, 30)


def test_home_counts_my_accounts_by_tier_and_lists_my_new_alerts(client, csm, scored_book, own_alert,
                                                                 foreign_alert):
    client.force_login(csm)

    response = client.get(reverse("home"))

    _, tier, tier_slug = health_text("A-OWN")
    assert response.context["summary"].tiers == {**dict.fromkeys(TIER_NAMES, 0), tier: 1}
    assertContains(response, f'<div class="tile"><span class="label tier tier-{tier_slug}">{tier}</span>'
                             '<span class="value">1</span></div>', html=True)
    assertContains(response, "Invoice INV-7 of 1,000.00 failed")
    assertNotContains(response, "No interaction for 64 days")


# Configuration in Django admin -------------------------------------------------------------------------

def test_adding_an_invalid_configuration_shows_the_problems_and_saves_nothing(client, admin_user):
    active = ensure_active_config()
    data = copy.deepcopy(active.data)
    data["health"]["measures"][0]["weight"] = 0
    client.force_login(admin_user)

    response = client.post(reverse("admin:scoring_scoringconfig_add"),
                           {"name": "Zero weight", "notes": "", "data": json.dumps(data), "_save": "Save"})

    assert response.status_code == 200
    assertContains(response, "<li>measure 'daily_active_rate': weight must be a positive number (got 0)</li>",
                   html=True)
    assert list(ScoringConfig.objects.values_list("pk", "status")) == [(active.pk, ConfigStatus.ACTIVE)]


@pytest.mark.parametrize(("data", "problem"), [
    ("[]", "the configuration must be a JSON object {...} with the keys risk_rules, risk_levels, action_groups, "
           "default_action, health, alerts (got a list); start from a copy of the active configuration "
           "(`manage.py scoring_config export FILE.json`, or Copy in admin)"),
    ("", "the configuration must be a JSON object {...} with the keys risk_rules, risk_levels, action_groups, "
         "default_action, health, alerts (got nothing); start from a copy of the active configuration "
         "(`manage.py scoring_config export FILE.json`, or Copy in admin)"),
    ("{}", "risk_rules must be a list of rules, each with &#x27;id&#x27; and &#x27;enabled&#x27;"),
], ids=["empty-list", "nothing", "empty-object"])
def test_an_empty_configuration_says_what_a_configuration_holds(client, admin_user, data, problem):
    active = ensure_active_config()
    client.force_login(admin_user)

    response = client.post(reverse("admin:scoring_scoringconfig_add"),
                           {"name": "Empty", "notes": "", "data": data, "_save": "Save"})

    assert response.status_code == 200
    assertContains(response, problem)
    assertNotContains(response, "This field is required.")
    assert list(ScoringConfig.objects.values_list("pk", "status")) == [(active.pk, ConfigStatus.ACTIVE)]


def test_adding_a_valid_configuration_makes_a_draft(client, admin_user):
    active = ensure_active_config()
    data = copy.deepcopy(active.data)
    data["risk_levels"]["medium"] = 25
    client.force_login(admin_user)

    response = client.post(reverse("admin:scoring_scoringconfig_add"),
                           {"name": "Earlier medium", "notes": "", "data": json.dumps(data), "_save": "Save"})

    draft = ScoringConfig.objects.exclude(pk=active.pk).get()
    assertRedirects(response, reverse("admin:scoring_scoringconfig_changelist"), fetch_redirect_response=False)
    assert (draft.version, draft.status, draft.name, draft.created_by, draft.data["risk_levels"]) == (
        active.version + 1, ConfigStatus.DRAFT, "Earlier medium", admin_user, {"high": 60, "medium": 25})
    active.refresh_from_db()
    assert active.status == ConfigStatus.ACTIVE


def test_copying_a_configuration_asks_first_and_drafts_only_on_post(client, admin_user):
    active = ensure_active_config()
    client.force_login(admin_user)
    url = reverse("admin:scoring_scoringconfig_copy", args=[active.pk])

    asked = client.get(url)

    assert asked.status_code == 200 and b"Create the draft" in asked.content
    assert ScoringConfig.objects.count() == 1  # a link (or a prefetching browser) writes nothing

    response = client.post(url)

    draft = ScoringConfig.objects.exclude(pk=active.pk).get()
    assertRedirects(response, reverse("admin:scoring_scoringconfig_change", args=[draft.pk]),
                    fetch_redirect_response=False)
    assert (draft.status, draft.name, draft.data) == (ConfigStatus.DRAFT, f"Copy of v{active.version}", active.data)


def test_the_add_form_starts_from_the_active_configuration(client, admin_user):
    active = ensure_active_config()
    client.force_login(admin_user)

    response = client.get(reverse("admin:scoring_scoringconfig_add"))

    assert response.status_code == 200
    assert json.loads(response.context["adminform"].form["data"].value()) == active.data


def test_the_preview_lists_the_accounts_that_would_change(client, admin_user, scored_book):
    draft = draft_with_medium_risk_at(5, admin_user)
    client.force_login(admin_user)

    response = client.get(preview_url(draft))

    assert response.status_code == 200
    assertContains(response, '<p id="preview-summary"><strong>0</strong> of 2 accounts would change health tier and '
                             "<strong>1</strong> would change risk level.</p>", html=True)
    foreign = snapshot_of("A-FOREIGN")  # only the risk level moves: the health side is unchanged
    assertContains(response, f"<tr><td>Harbor Pediatrics (A-FOREIGN)</td>"
                             f"<td>{foreign.health_tier} → {foreign.health_tier}</td>"
                             f"<td>{foreign.health_score} → {foreign.health_score}</td><td>Low → Medium</td>"
                             f"<td>{FOREIGN_RISK} → {FOREIGN_RISK}</td></tr>", html=True)
    assertNotContains(response, "Lakeside Family Practice")
    assertContains(response, f'<input type="submit" value="Activate v{draft.version}" class="default" '
                             'name="activate">', html=True)


def test_activating_from_the_preview_makes_the_draft_active_and_records_who(client, admin_user, scored_book):
    previous = ensure_active_config()
    draft = draft_with_medium_risk_at(5, admin_user)
    client.force_login(admin_user)

    response = client.post(preview_url(draft), {"activate": f"Activate v{draft.version}"}, follow=True)

    assertRedirects(response, reverse("admin:scoring_scoringconfig_change", args=[draft.pk]))
    assertContains(response, f"Configuration v{draft.version} is now active.")
    draft.refresh_from_db()
    previous.refresh_from_db()
    assert (draft.status, draft.activated_by, previous.status) == (ConfigStatus.ACTIVE, admin_user,
                                                                   ConfigStatus.RETIRED)
    assert draft.activated_at is not None


def test_a_manager_may_preview_but_not_activate(client, manager, admin_user, scored_book):
    previous = ensure_active_config()
    draft = draft_with_medium_risk_at(5, admin_user)
    client.force_login(manager)

    preview = client.get(preview_url(draft))
    activate = client.post(preview_url(draft), {"activate": f"Activate v{draft.version}"})

    assertContains(preview, "<td>Low → Medium</td>", html=True)
    assertNotContains(preview, 'name="activate"')
    assert activate.status_code == 403
    assert list(ScoringConfig.objects.order_by("version").values_list("pk", "status", "activated_by")) == [
        (previous.pk, ConfigStatus.ACTIVE, None), (draft.pk, ConfigStatus.DRAFT, None)]


def test_a_csm_may_not_open_the_preview(client, csm, admin_user):
    draft = draft_with_medium_risk_at(5, admin_user)
    client.force_login(csm)

    assert client.get(preview_url(draft)).status_code == 403
    assert client.post(preview_url(draft), {"activate": "Activate"}).status_code == 403
    draft.refresh_from_db()
    assert draft.status == ConfigStatus.DRAFT


def test_the_account_page_carries_90_days_of_health_and_risk_for_its_chart(client, csm, own_account):
    build_book(own_account, AccountFactory(external_id="A-OTHER"))
    for days in (95, 60, 30, 0):
        recompute_scores(as_of=AS_OF - dt.timedelta(days=days))
    client.force_login(csm)

    response = client.get(reverse("account_detail", args=["A-OWN"]))

    trend = json.loads(response.content.decode().split('<script id="trend-data" type="application/json">')[1]
                       .split("</script>")[0])
    days = [(AS_OF - dt.timedelta(days=d)).isoformat() for d in (60, 30, 0)]  # 95 days ago is too old
    assert trend["dates"] == days
    assert trend["risk"][-1] == OWN_RISK
    assert trend["health"][-1] == snapshot_of("A-OWN").health_score
    assert '<script src="/static/vendor/chartjs/chart.umd.min.js" defer></script>' in response.content.decode()
    assert [row[0] for row in response.context["trend_rows"]] == days[::-1]  # the table, newest first


def test_one_day_of_scores_says_when_the_trend_appears(client, csm, own_account, scored_book):
    client.force_login(csm)

    page = client.get(reverse("account_detail", args=["A-OWN"])).content.decode()

    assert "The trend appears once the account has scores on two or more days." in page
    assert 'id="trend-chart"' not in page
