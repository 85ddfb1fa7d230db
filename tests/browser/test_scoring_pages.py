"""The scoring pages in a real browser: a manager's "Recompute now" handed to a real Celery worker
through Redis while the page polls its progress; a CSM reading an account's scores and resolving an
alert in place (HTMX, no reload); an admin previewing a draft configuration and activating it.

Screenshots of the account's scores and of the finished recompute are saved by screenshot_path.
"""

import copy
import os
import re
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.template.defaultfilters import floatformat, pluralize
from playwright.sync_api import expect

from healthcs.celery import app
from scoring.configs import config_draft_create, ensure_active_config
from scoring.models import AlertStatus, ConfigStatus, RecomputeRun, RunStatus, ScoringConfig, Snapshot
from tests.browser.helpers import login_as, open_from_menu
from tests.factories import AlertFactory
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

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The screenshots in docs/ are taken again with HEALTHCS_SCREENSHOTS=docs/screenshots; an ordinary run
# keeps its pictures under test-results/ and leaves the committed ones alone.
SCREENSHOTS = Path(__file__).resolve().parents[2] / os.environ.get("HEALTHCS_SCREENSHOTS", "test-results/screenshots")
WORKER_TIMEOUT_MS = 60_000


def screenshot_path(name: str) -> str:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return str(SCREENSHOTS / name)


def test_a_manager_recomputes_and_watches_a_worker_finish(page, live_server, app_url, manager, own_account,
                                                          foreign_account, settings):
    settings.SCORING_BATCH_SIZE = 1  # two accounts, two batches: two tasks through the broker
    app.control.purge()  # no message left over from an interrupted earlier run may reach this worker
    build_book(own_account, foreign_account)
    login_as(page, live_server, "morgan")
    open_from_menu(page, "Recompute")

    page.get_by_label("As of (empty: today)").fill("2025-03-16")
    page.get_by_role("button", name="Recompute now").click()

    # No worker runs yet: the batches wait in Redis and the page shows the run in progress.
    expect(page).to_have_url(re.compile(r"/scores/recompute/\d+/$"))
    run = RecomputeRun.objects.get()
    assert page.url == app_url(f"/scores/recompute/{run.pk}/")
    status = page.locator("#recompute-status")
    expect(page.get_by_role("heading", name=f"Recompute #{run.pk}")).to_be_visible()
    expect(status).to_have_attribute("data-status", "running")
    expect(status).to_contain_text("Scoring accounts: batch 0 of 2 done…")
    expect(status.get_by_label("Recompute progress")).to_have_attribute("value", "0")

    # A worker takes the batches; the page, polling through HTMX, shows the result.
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        expect(page.get_by_role("status")).to_contain_text("Done: 2 accounts scored in", timeout=WORKER_TIMEOUT_MS)

    run.refresh_from_db()
    expect(status).to_have_attribute("data-status", "succeeded")
    expect(status.get_by_label("Recompute progress")).to_have_attribute("value", "100")
    expect(page.get_by_role("status")).to_have_text(
        f"Done: 2 accounts scored in {run.seconds:.1f} s, {run.alerts_opened} new alert{pluralize(run.alerts_opened)}.")
    assert page.url == app_url(f"/scores/recompute/{run.pk}/")
    assert (run.status, run.trigger, run.created_by, run.as_of, run.batches_done, run.batches_total,
            run.accounts_scored) == (RunStatus.SUCCEEDED, "web", manager, AS_OF, 2, 2, 2)
    assert sorted(Snapshot.objects.filter(as_of=AS_OF, run=run).values_list("account__external_id", flat=True)) == [
        "A-FOREIGN", "A-OWN"]
    page.screenshot(path=screenshot_path("recompute.png"), full_page=True)


def test_a_csm_reads_the_scores_and_resolves_an_alert_in_place(page, live_server, app_url, csm, own_account,
                                                               foreign_account):
    score_book(own_account, foreign_account)
    alert = AlertFactory(account=own_account, kind="failed_payment", message="Invoice INV-7 of 1,000.00 failed")
    foreign = AlertFactory(account=foreign_account, kind="silent_account", message="No interaction for 64 days")
    login_as(page, live_server, "casey")
    nav = page.get_by_role("navigation", name="Main")

    nav.get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="Lakeside Family Practice").click()

    snapshot = snapshot_of("A-OWN")
    health = floatformat(snapshot.health_score, 1)
    scores = page.locator("#scores")
    expect(scores.get_by_test_id("health-score")).to_have_text(health)
    expect(scores).to_contain_text(f"{health}{snapshot.health_tier}")
    expect(scores).to_contain_text(f"Data covers {round(snapshot.covered_share * 100)}% of the scorecard's weight")
    expect(scores.get_by_test_id("risk-score")).to_have_text(str(OWN_RISK))
    expect(scores).to_contain_text(f"Top reasons: {USAGE_REASON}; {SATISFACTION_REASON}")
    expect(scores).to_contain_text(f"Recommended actions: {OWN_ACTIONS}")
    measures = scores.get_by_test_id("measures")
    expect(measures.locator("tbody tr")).to_have_count(17)
    expect(measures.locator("tr", has_text="Daily active rate").locator("td")).to_have_text(
        measure_cells(snapshot, "Usage", "Daily active rate", "daily_active_rate", 15))
    assert snapshot.breakdown()["payment_health"]["raw"] is None  # no invoices in this book
    expect(measures.locator("tr", has_text="Payment health").locator("td")).to_have_text(
        ["Business", "Payment health", "8", "no data", "—", "left out"])
    scores.screenshot(path=screenshot_path("scores-account.png"))

    nav.get_by_role("link", name="Alerts").click()
    alerts_url = page.url
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    row = page.locator(f"#alert-{alert.pk}")
    expect(page.locator(f"#alert-{foreign.pk}")).to_have_count(0)
    row.get_by_role("button", name="Resolve").click()

    expect(row.locator("td").last).to_have_text(f"Resolved by {csm.get_full_name()}")
    expect(row.get_by_role("button", name="Resolve")).to_have_count(0)
    assert page.url == alerts_url == app_url("/alerts/")
    assert page.evaluate("window.sameDocument") is True
    alert.refresh_from_db()
    assert (alert.status, alert.resolved_by) == (AlertStatus.RESOLVED, csm)


def test_an_admin_previews_a_draft_configuration_and_activates_it(page, live_server, app_url, admin_user,
                                                                  own_account, foreign_account):
    score_book(own_account, foreign_account)
    previous = ensure_active_config()
    data = copy.deepcopy(previous.data)
    data["risk_levels"]["medium"] = 5  # the trial account's 8 points become Medium
    draft = config_draft_create(user=admin_user, data=data, name="Medium from 5")
    login_as(page, live_server, "ada")

    page.goto(app_url("/admin/scoring/scoringconfig/"))
    page.get_by_role("link", name="Preview and activate").click()

    expect(page).to_have_url(app_url(f"/admin/scoring/scoringconfig/{draft.pk}/preview/"))
    expect(page.locator("#preview-summary")).to_have_text(
        "0 of 2 accounts would change health tier and 1 would change risk level.")
    changes = page.locator("#preview-changes tbody tr")
    expect(changes).to_have_count(1)
    foreign = snapshot_of("A-FOREIGN")  # only the risk level moves: the health side is unchanged
    expect(changes.locator("td")).to_have_text(
        ["Harbor Pediatrics (A-FOREIGN)", f"{foreign.health_tier} → {foreign.health_tier}",
         f"{foreign.health_score} → {foreign.health_score}", "Low → Medium", f"{FOREIGN_RISK} → {FOREIGN_RISK}"])

    page.get_by_role("button", name=f"Activate v{draft.version}").click()

    expect(page).to_have_url(app_url(f"/admin/scoring/scoringconfig/{draft.pk}/change/"))
    expect(page.locator("ul.messagelist")).to_contain_text(f"Configuration v{draft.version} is now active.")
    assert list(ScoringConfig.objects.order_by("version").values_list("pk", "status", "activated_by")) == [
        (previous.pk, ConfigStatus.RETIRED, None), (draft.pk, ConfigStatus.ACTIVE, admin_user.pk)]
