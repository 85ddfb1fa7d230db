"""Account 360 in a real browser: the 90-day trend chart drawn on the canvas by the vendored
Chart.js (not merely present), and an outreach draft copied to the clipboard."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from scoring.services import recompute_scores
from tests.browser.helpers import login_as
from tests.factories import AccountFactory
from tests.scoring.page_data import AS_OF, build_book

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAINTED = """() => {
  const canvas = document.getElementById("trend-chart");
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
  return painted;
}"""


def test_a_csm_sees_the_trend_chart_drawn(page, live_server, app_url, csm, own_account):
    build_book(own_account, AccountFactory(external_id="A-OTHER"))
    for days in (60, 30, 0):
        recompute_scores(as_of=AS_OF - dt.timedelta(days=days))
    login_as(page, live_server, "casey")

    page.goto(app_url("/accounts/A-OWN/"))

    chart = page.get_by_test_id("trend-chart")
    expect(chart).to_have_attribute("data-drawn", "true")
    assert page.evaluate(PAINTED) > 1000  # lines, axes and labels: thousands of painted pixels
    assert page.evaluate("() => Chart.getChart('trend-chart').data.datasets.map(d => d.data.length)") == [3, 3]
    expect(page.get_by_test_id("trend-table")).to_be_hidden()  # the no-JavaScript table gives way


def test_a_csm_copies_the_outreach_e_mail(page, live_server, app_url, csm, own_account):
    build_book(own_account, AccountFactory(external_id="A-OTHER"))
    recompute_scores(as_of=AS_OF)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    login_as(page, live_server, "casey")
    page.goto(app_url("/accounts/A-OWN/"))
    drafted = page.locator("#draft-email-body").input_value()

    page.get_by_test_id("copy-email-body").click()

    expect(page.get_by_test_id("copy-email-body")).to_have_text("Copied")
    assert page.evaluate("() => navigator.clipboard.readText()") == drafted
    assert drafted.startswith("Hello,\n\nI wanted to check in on how Lakeside Family Practice")
