"""The OpenAPI schema documents each list's query parameters from its FilterSet (docs/api.md): every filter is a
parameter of its endpoint with the filter's help_text as description and, for a filter of fixed values, those
values as its enum. A filter added to a FilterSet is documented without another line; one the schema loses
fails here."""

import pytest
from rest_framework.test import APIClient

from expansion.forms import OpportunityListFilter
from interventions.forms import InterventionFilter
from workspace.filters import ORDERINGS, AccountFilter

pytestmark = pytest.mark.django_db

LISTS = {"/api/accounts/": AccountFilter, "/api/interventions/": InterventionFilter,
         "/api/opportunities/": OpportunityListFilter}


@pytest.fixture
def schema(csm) -> dict:
    client = APIClient()
    client.force_login(csm)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return response.json()


def query_parameters(schema: dict, path: str, method: str = "get") -> dict[str, dict]:
    return {p["name"]: p for p in schema["paths"][path][method].get("parameters", []) if p["in"] == "query"}


@pytest.mark.parametrize("path", LISTS)
def test_every_filter_is_a_documented_query_parameter_of_its_list(schema, path):
    filterset = LISTS[path]

    parameters = query_parameters(schema, path)

    for name, found in filterset.base_filters.items():
        help_text = found.extra.get("help_text")
        assert help_text, f"{filterset.__name__}.{name} has no help_text to document it"
        assert name in parameters, f"{path} does not document ?{name}="
        assert parameters[name]["description"].startswith(help_text)
        if "choices" in found.extra:
            assert sorted(parameters[name]["schema"]["enum"]) == sorted(key for key, _ in found.extra["choices"])
    assert set(parameters) == {*filterset.base_filters, "page", "page_size"}


def test_the_account_parameters_have_their_types_and_values(schema):
    parameters = query_parameters(schema, "/api/accounts/")

    assert {name: parameters[name]["schema"]["type"] for name in
            ("q", "csm", "min_arr", "renewal_within", "churned", "expansion_ready", "ordering")} == {
        "q": "string", "csm": "string", "min_arr": "number", "renewal_within": "integer", "churned": "boolean",
        "expansion_ready": "boolean", "ordering": "string"}
    assert sorted(parameters["ordering"]["schema"]["enum"]) == sorted(ORDERINGS)
    assert sorted(parameters["risk_level"]["schema"]["enum"]) == ["High", "Low", "Medium"]
    assert parameters["renewal_within"]["description"] == (
        "Only accounts renewing within this many days from today (0-3650).")


def test_the_intervention_status_lists_its_values(schema):
    status = query_parameters(schema, "/api/interventions/")["status"]

    assert sorted(status["schema"]["enum"]) == ["completed", "control", "open"]
    assert status["description"].startswith("open, completed or control (the control group's records).")


def test_creating_an_opportunity_takes_no_list_filters(schema):
    assert query_parameters(schema, "/api/opportunities/", "post") == {}
