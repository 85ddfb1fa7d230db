"""The at-risk list's filters (workspace.filters): each narrows as docs/pages.md says, and a bad value is a
message about its parameter."""

import datetime as dt

import pytest
from django.db.models import Case, DecimalField, F, Value, When

from accounts.models import Account
from accounts.selectors import book_values, plan_tiers
from tests.factories import AccountFactory
from workspace.filters import filter_accounts
from workspace.search import ehr_names

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 3, 16)


@pytest.fixture
def book(csm, other_csm):
    AccountFactory(external_id="A-1", name="Lakeside", csm=csm, renewal_date=TODAY, segment="SMB")
    AccountFactory(external_id="A-2", name="Harbor", csm=other_csm, renewal_date=TODAY + dt.timedelta(days=30),
                   churned=True, segment="Enterprise")
    AccountFactory(external_id="A-3", name="Hillside", renewal_date=TODAY + dt.timedelta(days=31))
    AccountFactory(external_id="A-4", name="Old", renewal_date=TODAY - dt.timedelta(days=1))
    arr = {"A-1": 5000, "A-2": 120000, "A-3": 0, "A-4": 9999.99}
    # The annotations the list gives every account from its latest snapshot.
    return Account.objects.annotate(
        arr=Case(*[When(external_id=k, then=Value(v)) for k, v in arr.items()], output_field=DecimalField()),
        risk_level=Value("High"), health_tier=F("segment"), risk_score=Case(When(pk__gt=0, then=Value(70))),
        health_score=Case(When(pk__gt=0, then=Value(30.0))))


def ids(result) -> list[str]:
    return sorted(result.accounts.values_list("external_id", flat=True))


def test_each_filter_narrows_the_accounts(book):
    def check(params, expected):
        result = filter_accounts(book, params, today=TODAY)
        assert (result.problems, ids(result)) == ({}, expected), params

    check({}, ["A-1", "A-2", "A-3", "A-4"])
    check({"min_arr": "9999.99"}, ["A-2", "A-4"])
    check({"min_arr": "0"}, ["A-1", "A-2", "A-3", "A-4"])
    check({"renewal_within": "30"}, ["A-1", "A-2"])  # today and day 30 included, yesterday not
    check({"renewal_within": "0"}, ["A-1"])
    check({"churned": "true"}, ["A-2"])
    check({"churned": "No"}, ["A-1", "A-3", "A-4"])
    check({"csm": "CASEY@example.org"}, ["A-1"])
    check({"segment": "smb", "q": "lake"}, ["A-1"])
    check({"q": "a-3"}, ["A-3"])
    check({"min_arr": "", "churned": " "}, ["A-1", "A-2", "A-3", "A-4"])


def test_the_list_is_ordered_riskiest_first_or_as_asked(book):
    def order(params) -> list[str]:
        return list(filter_accounts(book, params, today=TODAY).accounts.values_list("external_id", flat=True))

    assert order({}) == ["A-2", "A-4", "A-1", "A-3"]  # same risk here: the larger ARR first
    assert order({"ordering": "-arr"}) == ["A-3", "A-1", "A-4", "A-2"]
    assert order({"ordering": "renewal"}) == ["A-4", "A-1", "A-2", "A-3"]
    assert order({"ordering": "name"}) == ["A-2", "A-3", "A-1", "A-4"]


@pytest.mark.parametrize(("params", "problem"), [
    ({"min_arr": "lots"}, ("min_arr", "'lots' is not an amount; give the minimum ARR as a number, 0 or more.")),
    ({"min_arr": "-5"}, ("min_arr", "'-5' is not an amount; give the minimum ARR as a number, 0 or more.")),
    ({"min_arr": "NaN"}, ("min_arr", "'NaN' is not an amount; give the minimum ARR as a number, 0 or more.")),
    ({"renewal_within": "-1"}, ("renewal_within",
                                "'-1' is not a number of days; give a whole number from 0 to 3650.")),
    ({"renewal_within": "9999"}, ("renewal_within",
                                  "'9999' is not a number of days; give a whole number from 0 to 3650.")),
    ({"churned": "maybe"}, ("churned", "'maybe' is not yes or no; give true or false.")),
    ({"ordering": "id; drop"}, ("ordering", "Unknown ordering 'id; drop'; use one of: risk, -risk, health, -health, "
                                            "arr, -arr, name, -name, renewal, -renewal.")),
])
def test_a_bad_value_is_a_message_about_its_parameter(book, params, problem):
    result = filter_accounts(book, params, today=TODAY)

    assert result.problems == dict([problem])


def test_the_search_finds_part_of_a_name_or_an_id_in_any_case_and_nothing_across_them(book):
    AccountFactory(external_id="ACC-50%_X", name="Straße Clinic")
    AccountFactory(external_id="ACC-500", name="Ostrasse Health")

    def found(q: str) -> list[str]:
        return ids(filter_accounts(book, {"q": q}, today=TODAY))

    assert found("SIDE") == ["A-1", "A-3"]  # Lakeside, Hillside
    assert found("straße") == ["ACC-50%_X"]
    assert found("acc-50") == ["ACC-50%_X", "ACC-500"]
    assert found("50%_") == ["ACC-50%_X"]  # % and _ are characters, not wildcards
    assert found("0_") == []
    assert found("lakesidea-1") == found("side A-1") == []  # the name's end and the id's start are not one text
    Account.objects.filter(external_id="A-4").update(name="Renamed Lakeview")
    assert found("lakeview") == ["A-4"]  # the key follows the name


def test_the_books_plan_tiers_and_ehr_systems_are_its_distinct_non_empty_values_in_order(csm, manager):
    for n, (tier, ehr) in enumerate((("Pro", "Epic"), ("Basic", ""), ("Pro", "athenahealth"), ("", "Epic"),
                                      ("Enterprise", "Cerner"))):
        AccountFactory(external_id=f"A-V{n}", plan_tier=tier, ehr_system=ehr, csm=csm if n < 2 else None)

    assert book_values("plan_tier") == plan_tiers(manager) == ["Basic", "Enterprise", "Pro"]
    assert plan_tiers(csm) == ["Basic", "Pro"]  # a CSM's own accounts only
    in_order = list(Account.objects.exclude(ehr_system="").order_by("ehr_system")
                    .values_list("ehr_system", flat=True).distinct())  # the database's collation decides the order
    assert ehr_names() == book_values("ehr_system") == in_order
    assert set(in_order) == {"Cerner", "Epic", "athenahealth"}
    with pytest.raises(ValueError):
        book_values("name")
