"""The accounts API (docs/api.md): login or token required, a CSM sees only their own accounts (another
CSM's is 404, as on the pages), filters, ordering, paging, JSON errors, and the OpenAPI schema and
docs served locally to logged-in users only."""

import datetime as dt

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from scoring.services import recompute_scores
from tests.factories import AccountFactory, SnapshotFactory
from tests.scoring.page_data import AS_OF, FOREIGN_RISK, OWN_RISK, USAGE_REASON, build_book, snapshot_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(own_account, foreign_account):
    build_book(own_account, foreign_account)
    recompute_scores(as_of=AS_OF - dt.timedelta(days=1))
    recompute_scores(as_of=AS_OF)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", ["/api/accounts/", "/api/accounts/A-OWN/", "/api/accounts/A-OWN/history/",
                                 "/api/schema/"])
def test_every_endpoint_needs_a_login(url, own_account):
    response = APIClient().get(url)

    assert response.status_code in (401, 403)
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_the_api_docs_page_sends_anonymous_visitors_to_the_login_form():
    response = APIClient().get("/api/docs/")

    assert (response.status_code, response["Location"]) == (302, "/login/?next=/api/docs/")


def test_a_csm_lists_only_their_own_accounts_with_the_latest_scores(csm, scored):
    response = client_for(csm).get("/api/accounts/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [row] = body["results"]
    own = snapshot_of("A-OWN")
    assert (row["external_id"], row["as_of"], row["risk_score"], row["risk_level"]) == (
        "A-OWN", AS_OF.isoformat(), OWN_RISK, "Medium")
    assert (row["health_score"], row["health_tier"], row["csm"]) == (own.health_score, own.health_tier,
                                                                       "casey@example.org")


def test_another_csms_account_and_its_history_are_404(csm, scored):
    client = client_for(csm)

    for url in ("/api/accounts/A-FOREIGN/", "/api/accounts/A-FOREIGN/history/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": "No such account."}


def test_a_manager_sees_every_account_riskiest_first(manager, scored):
    body = client_for(manager).get("/api/accounts/").json()

    assert [(r["external_id"], r["risk_score"]) for r in body["results"]] == [("A-OWN", OWN_RISK),
                                                                             ("A-FOREIGN", FOREIGN_RISK)]


def test_filters_ordering_search_and_paging(manager, scored):
    client = client_for(manager)
    AccountFactory(external_id="A-NEW", name="Unscored Clinic", segment="SMB")

    def ids(query: str) -> list[str]:
        response = client.get(f"/api/accounts/?{query}")
        assert response.status_code == 200, response.json()
        return [r["external_id"] for r in response.json()["results"]]

    assert ids("ordering=-risk") == ["A-FOREIGN", "A-OWN", "A-NEW"]  # no score yet: last either way
    assert ids("ordering=risk") == ["A-OWN", "A-FOREIGN", "A-NEW"]
    assert ids("risk_level=medium") == ["A-OWN"]
    assert ids("csm=ROBIN@example.org") == ["A-FOREIGN"]
    assert ids("q=lakeside") == ["A-OWN"]
    assert ids("segment=smb") == ["A-NEW"]
    page = client.get("/api/accounts/?page_size=2&page=2").json()
    assert (page["count"], [r["external_id"] for r in page["results"]]) == (3, ["A-NEW"])


def test_a_bad_ordering_or_page_is_a_clear_json_error(manager, scored):
    client = client_for(manager)

    ordering = client.get("/api/accounts/?ordering=password")
    page = client.get("/api/accounts/?page=99")

    assert ordering.status_code == 400
    assert ordering.json()["ordering"].startswith("Unknown ordering 'password'; use one of: risk, -risk")
    assert (page.status_code, page.json()) == (404, {"detail": "Invalid page."})


def test_one_account_carries_its_latest_breakdown(csm, scored):
    body = client_for(csm).get("/api/accounts/A-OWN/").json()

    own = snapshot_of("A-OWN")
    latest = body["latest"]
    assert (latest["as_of"], latest["risk_score"], latest["health_score"]) == (AS_OF.isoformat(), OWN_RISK,
                                                                               own.health_score)
    assert latest["top_reasons"].startswith(USAGE_REASON)
    assert latest["measures"] == own.breakdown()
    assert [f["rule"] for f in latest["fired_rules"]] == ["usage_drop", "satisfaction"]
    assert latest["config_version"] == own.config.version


def test_history_lists_the_daily_scores_newest_first(csm, scored):
    body = client_for(csm).get("/api/accounts/A-OWN/history/").json()

    assert [r["as_of"] for r in body["results"]] == [AS_OF.isoformat(), (AS_OF - dt.timedelta(days=1)).isoformat()]
    assert body["results"][0]["risk_score"] == OWN_RISK


def test_a_token_authenticates_an_integration(csm, scored):
    token = Token.objects.create(user=csm)
    client = APIClient()

    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.get("/api/accounts/")

    assert response.status_code == 200
    assert [r["external_id"] for r in response.json()["results"]] == ["A-OWN"]
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/accounts/").json() == {"detail": "Invalid token."}


def test_an_unknown_api_address_is_a_json_404(csm):
    response = client_for(csm).get("/api/nothing-here/")

    assert (response.status_code, response.json()) == (404, {"detail": "No such API endpoint."})


def test_the_openapi_schema_and_docs_are_served_locally(csm):
    client = client_for(csm)

    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    assert {"/api/accounts/", "/api/accounts/{external_id}/", "/api/accounts/{external_id}/history/"} <= set(
        document["paths"])
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()


def test_the_account_list_costs_the_same_queries_for_one_or_many_accounts(manager, scored):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(manager)
    client.get("/api/accounts/")  # warm: session and user

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/accounts/").status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for n in range(30):
        SnapshotFactory(account=AccountFactory(external_id=f"A-MORE-{n}"), as_of=AS_OF)
    assert queries() == few <= 7  # the page's ids are read first, then its rows
    # A page that reaches past the scored accounts reads the unscored ones that follow: one query more, however many.
    for n in range(30):
        AccountFactory(external_id=f"A-NEW-{n}")
    assert queries() == few + 1


def test_the_api_takes_the_at_risk_list_filters_and_names_bad_values(manager, scored):
    client = client_for(manager)

    churned = client.get("/api/accounts/?churned=false&min_arr=0")
    bad = client.get("/api/accounts/?min_arr=lots&churned=maybe")

    assert (churned.status_code, churned.json()["count"]) == (200, 2)
    assert client.get("/api/accounts/?churned=true").json()["count"] == 0
    assert bad.status_code == 400
    assert bad.json() == {"min_arr": "'lots' is not an amount; give the minimum ARR as a number, 0 or more.",
                          "churned": "'maybe' is not yes or no; give true or false."}
