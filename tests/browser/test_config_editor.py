"""The scoring configuration's editor in a real browser: an admin changes a weight and sees the sum move and
the server refuse a sum other than 100 beside it (what was typed kept), evens the weights out, switches a
rule off and saves into the preview, which shows the account that rule had made Medium; under the
Content-Security-Policy, with no violation (the sum is a script file, not an inline script)."""

import pytest
from playwright.sync_api import expect

from scoring.configs import config_draft_create, ensure_active_config
from tests.browser.helpers import login_as
from tests.browser.test_content_security_policy import violations, watch
from tests.scoring.page_data import OWN_RISK, score_book

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_edits_a_weight_switches_a_rule_off_and_previews(page, live_server, app_url, admin_user,
                                                                 own_account, foreign_account):
    score_book(own_account, foreign_account)
    ensure_active_config()
    draft = config_draft_create(user=admin_user, name="Tuning")
    console = watch(page)
    login_as(page, live_server, "ada")
    page.goto(app_url(f"/admin/scoring/scoringconfig/{draft.pk}/change/"))
    total = page.locator("#weight-total")
    expect(total).to_have_text("100")

    page.get_by_label("Daily active rate weight").fill("20")

    expect(total).to_have_text("105")  # added up as it is typed
    expect(page.locator("#weight-sum")).to_have_class("weight-sum-wrong")

    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator("#weights-errors")).to_have_text(
        "health.measures: the weights must add up to 100 (they add up to 105)")
    expect(page.get_by_label("Daily active rate weight")).to_have_value("20")
    draft.refresh_from_db()
    assert draft.data["health"]["measures"][0]["weight"] == 15  # nothing saved

    page.get_by_label("Feature adoption depth weight").fill("5")
    expect(total).to_have_text("100")
    expect(page.locator("#weight-sum")).not_to_have_class("weight-sum-wrong")
    page.get_by_label("Usage drop on").uncheck()
    page.get_by_role("button", name="Save and preview").click()

    expect(page).to_have_url(app_url(f"/admin/scoring/scoringconfig/{draft.pk}/preview/"))
    row = page.locator("#preview-changes tbody tr", has_text="Lakeside Family Practice (A-OWN)")
    expect(row.locator("td").nth(3)).to_have_text("Medium → Low")
    expect(row.locator("td").nth(4)).to_have_text(f"{OWN_RISK} → 12")
    draft.refresh_from_db()
    weights = [m["weight"] for m in draft.data["health"]["measures"][:2]]
    usage_drop = next(rule for rule in draft.data["risk_rules"] if rule["id"] == "usage_drop")
    assert (weights, usage_drop["enabled"]) == ([20, 5], False)
    assert violations(page) == [] and console == []
