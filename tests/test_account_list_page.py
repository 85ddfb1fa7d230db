"""The at-risk list page (docs/pages.md): filters kept in the address and the form, sorting, a clear
message for a bad value, the CSV export of the current filter with the export's columns (docs/scoring.md), and the same
CSM scoping as everywhere."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from accounts.models import Account
from scoring.exports import COLUMNS
from scoring.services import recompute_scores
from tests.factories import AccountFactory
from tests.scoring.page_data import AS_OF, FOREIGN_RISK, OWN_RISK, build_book, snapshot_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(own_account, foreign_account):
    build_book(own_account, foreign_account)
    recompute_scores(as_of=AS_OF)


def listed(response) -> list[str]:
    return [a.external_id for a in response.context["page"].object_list]


def test_filters_narrow_the_list_and_stay_in_the_form(client, manager, scored):
    client.force_login(manager)

    response = client.get(reverse("account_list"), {"risk_level": "Medium", "min_arr": "0"})

    assert listed(response) == ["A-OWN"]
    page = response.content.decode()
    assert '<option value="Medium" selected>Medium</option>' in page
    assert 'name="min_arr" id="id_min_arr" min="0" step="any" value="0"' in page


def test_the_default_order_is_riskiest_first_and_a_header_sorts(client, manager, scored):
    client.force_login(manager)

    assert listed(client.get(reverse("account_list"))) == ["A-OWN", "A-FOREIGN"]  # 52 before 8
    assert listed(client.get(reverse("account_list"), {"ordering": "-risk"})) == ["A-FOREIGN", "A-OWN"]
    page = client.get(reverse("account_list"), {"risk_level": "Low"}).content.decode()
    assert 'href="?risk_level=Low&amp;ordering=-risk"' in page  # sorting keeps the filter


def test_a_bad_filter_value_is_named_and_the_other_filters_still_apply(client, manager, scored):
    client.force_login(manager)

    response = client.get(reverse("account_list"), {"renewal_within": "soon", "risk_level": "Low"})

    assert response.status_code == 200
    assert listed(response) == ["A-FOREIGN"]
    assert "renewal_within: &#x27;soon&#x27; is not a number of days" in response.content.decode()


def test_htmx_gets_only_the_rows(client, manager, scored):
    client.force_login(manager)

    response = client.get(reverse("account_list"), {"q": "harbor"}, headers={"HX-Request": "true"})

    assert listed(response) == ["A-FOREIGN"]
    # Not the filter form (the Assign form comes with the rows: its "all N matching" follows the filter).
    assert 'data-testid="account-filters"' not in response.content.decode()


def test_an_empty_filter_result_says_how_to_get_back(client, manager, scored):
    client.force_login(manager)

    page = client.get(reverse("account_list"), {"segment": "Enterprise", "risk_level": "High"}).content.decode()

    assert "No account matches these filters." in page


def test_the_csv_export_has_the_spec_columns_for_the_current_filter(client, manager, scored):
    client.force_login(manager)
    AccountFactory(external_id="A-FORMULA", name="=HYPERLINK(\"x\")")

    response = client.get(reverse("account_export"), {"ordering": "risk"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert tuple(rows[0]) == COLUMNS
    by_id = {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]}
    assert list(by_id) == ["A-OWN", "A-FOREIGN", "A-FORMULA"]
    own = snapshot_of("A-OWN")
    assert (by_id["A-OWN"]["risk_score"], by_id["A-OWN"]["risk_level"]) == (str(OWN_RISK), "Medium")
    assert by_id["A-OWN"]["usage_drop_pct"] == "79"
    assert by_id["A-OWN"]["health_score"] == f"{own.health_score:g}"
    assert by_id["A-FOREIGN"]["risk_score"] == str(FOREIGN_RISK)
    assert by_id["A-FORMULA"]["account_name"] == "'=HYPERLINK(\"x\")"  # neutralised for spreadsheets
    filtered = client.get(reverse("account_export"), {"risk_level": "Low"}).content.decode().splitlines()
    assert [line.split(",")[0] for line in filtered[1:]] == ["A-FOREIGN"]


def test_a_csm_exports_only_their_own_accounts(client, csm, scored):
    client.force_login(csm)

    lines = client.get(reverse("account_export")).content.decode().splitlines()

    assert [line.split(",")[0] for line in lines[1:]] == ["A-OWN"]
    assert Account.objects.count() == 2


def test_the_export_needs_a_login(client, scored):
    response = client.get(reverse("account_export"))

    assert (response.status_code, response["Location"]) == (302, "/login/?next=/accounts/export.csv")


def test_renewal_within_counts_days_from_today(client, manager, own_account):
    from django.utils import timezone

    client.force_login(manager)
    own_account.renewal_date = timezone.localdate() + dt.timedelta(days=10)
    own_account.save()

    assert listed(client.get(reverse("account_list"), {"renewal_within": "10"})) == ["A-OWN"]
    assert listed(client.get(reverse("account_list"), {"renewal_within": "9"})) == []


def test_a_row_escapes_what_was_imported_and_says_what_is_missing(client, manager):
    AccountFactory(external_id="A-<b>", name='<script>alert("x")</script> & Co', csm=None, segment="",
                   plan_tier="", ehr_system="", renewal_date=None, is_trial=True, seats=3)
    client.force_login(manager)

    page = client.get(reverse("account_list")).content.decode()

    assert ('<input type="checkbox" name="account" value="A-&lt;b&gt;" form="assign-form" aria-label="Select '
            '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co">') in page
    assert '<a href="/accounts/A-%3Cb%3E/">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co</a>' in page
    assert ("<td>A-&lt;b&gt;</td>\n      <td>—</td>\n      <td>—</td>\n      <td>—</td>\n      <td>—</td>\n"
            "      <td>—</td>\n      <td>3</td>\n      <td>—</td>\n      <td>—</td>\n      <td>Unassigned</td>\n"
            '      <td><span class="badge">Trial</span></td>') in page
    assert "<script>" not in page.split('<table class="grid">', 1)[1]
