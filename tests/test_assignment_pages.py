"""Assignment in the pages (docs/pages.md): a manager assigns the ticked rows of the account list, or all the
accounts matching its filter, as a plain form or in place with HTMX; a refusal shows the list again with what
was chosen; a CSM sees no controls and is refused. The CSM books page: each CSM's figures, exactly, in a fixed
number of queries, and the "Apply assignment rules" button."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, AccountAssignment, AssignmentRule
from interventions.models import Task
from tests.factories import AccountFactory, SnapshotFactory, UserFactory
from tests.test_assignment import task

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def book(own_account, foreign_account):
    """casey's Lakeside (Mid-Market) and robin's Harbor, an unassigned SMB account and a second SMB of casey's."""
    AccountFactory(external_id="A-SMB1", name="Smb One", segment="SMB", csm=None)
    AccountFactory(external_id="A-SMB2", name="Smb Two", segment="SMB", csm=own_account.csm)


def csms():
    return dict(Account.objects.order_by("external_id").values_list("external_id", "csm__username"))


def test_a_manager_assigns_the_ticked_rows(client, manager, other_csm, book):
    client.force_login(manager)

    response = client.post(reverse("account_assign") + "?segment=SMB",
                           {"account": ["A-SMB1", "A-OWN"], "csm": other_csm.pk, "scope": "checked", "reason": ""})

    assert response.status_code == 302 and response["Location"] == reverse("account_list") + "?segment=SMB"
    assert csms() == {"A-FOREIGN": "robin", "A-OWN": "robin", "A-SMB1": "robin", "A-SMB2": "casey"}
    page = client.get(response["Location"]).content.decode()
    assert f"2 accounts assigned to {other_csm.get_full_name()}." in page


def test_a_manager_assigns_all_accounts_matching_the_filter(client, manager, other_csm, book):
    client.force_login(manager)

    response = client.post(reverse("account_assign") + "?segment=smb&ordering=name",
                           {"csm": other_csm.pk, "scope": "matching", "reason": "SMB desk"})

    assert response.status_code == 302
    assert csms() == {"A-FOREIGN": "robin", "A-OWN": "casey", "A-SMB1": "robin", "A-SMB2": "robin"}
    assert set(AccountAssignment.objects.values_list("reason", "by__username")) == {("SMB desk", "morgan")}


def test_the_list_offers_the_controls_to_a_manager_only(client, manager, csm, book):
    client.force_login(manager)
    managers = client.get(reverse("account_list") + "?segment=SMB").content.decode()
    client.force_login(csm)
    csms_page = client.get(reverse("account_list")).content.decode()

    assert 'data-testid="assign-form"' in managers and "all 2 accounts matching the filter" in managers
    assert 'action="/team/assign/?segment=SMB"' in managers
    assert '<input type="checkbox" name="account" value="A-SMB1" form="assign-form"' in managers
    assert "assign-form" not in csms_page and 'name="account"' not in csms_page


def test_a_csm_is_refused_and_nothing_changes(client, csm, other_csm, book):
    client.force_login(csm)

    for scope in ("checked", "matching"):
        response = client.post(reverse("account_assign"), {"account": ["A-OWN"], "csm": other_csm.pk, "scope": scope})
        assert response.status_code == 403
    assert client.get(reverse("csm_books")).status_code == 403
    assert client.post(reverse("assignment_rules_apply")).status_code == 403
    assert csms() == {"A-FOREIGN": "robin", "A-OWN": "casey", "A-SMB1": None, "A-SMB2": "casey"}
    assert AccountAssignment.objects.count() == 0


def test_a_refusal_keeps_what_was_chosen(client, manager, other_csm, book):
    client.force_login(manager)

    no_csm = client.post(reverse("account_assign"), {"account": ["A-SMB1", "A-OWN"], "csm": "", "scope": "checked",
                                                     "reason": "Leave cover"})
    nothing_ticked = client.post(reverse("account_assign") + "?q=nothing+like+this",
                                 {"csm": other_csm.pk, "scope": "checked"})

    assert (no_csm.status_code, nothing_ticked.status_code) == (400, 400)
    page = no_csm.content.decode()
    assert "Choose the CSM to assign the accounts to." in page
    ticked = re.findall(r'name="account" value="([^"]+)" form="assign-form" aria-label="[^"]+" checked', page)
    assert sorted(ticked) == ["A-OWN", "A-SMB1"]
    assert 'value="Leave cover"' in page
    page = nothing_ticked.content.decode()
    assert "No account matches" in page  # the list as filtered
    assert csms() == {"A-FOREIGN": "robin", "A-OWN": "casey", "A-SMB1": None, "A-SMB2": "casey"}


def test_nothing_ticked_is_refused_beside_the_form_with_the_csm_kept(client, manager, other_csm, book):
    client.force_login(manager)

    response = client.post(reverse("account_assign"), {"csm": other_csm.pk, "scope": "checked"})

    page = response.content.decode()
    assert response.status_code == 400
    assert "No account was chosen: tick the accounts to assign" in page
    assert f'<option value="{other_csm.pk}" selected>' in page


def test_with_htmx_the_rows_come_back_with_the_notice(client, manager, other_csm, book):
    client.force_login(manager)

    response = client.post(reverse("account_assign") + "?segment=SMB", {"account": ["A-SMB1"], "csm": other_csm.pk,
                                                                        "scope": "checked"}, headers=HTMX)

    assert response.status_code == 200
    assert response.templates[0].name == "accounts/_account_rows.html"
    assert f"1 account assigned to {other_csm.get_full_name()}." in response.content.decode()
    assert csms()["A-SMB1"] == "robin"


# The CSM books -------------------------------------------------------------------------------------------

AS_OF = dt.date(2025, 3, 31)


def scored(account, arr, risk_level="Low", tier="At risk"):
    SnapshotFactory(account=account, as_of=AS_OF, arr=Decimal(arr), risk_level=risk_level, health_tier=tier)
    return account


@pytest.fixture
def small_book(csm, other_csm, manager):
    """casey: 12,000 at High risk and 3,000 Critical, one overdue, one open and one done task; robin: 5,000 and a
    churned account; cyd: nothing yet; unassigned: 1,000 at High risk with an overdue CSM step."""
    past, soon = timezone.now() - dt.timedelta(days=2), timezone.now() + dt.timedelta(days=2)
    a1 = scored(AccountFactory(external_id="A-1", csm=csm), "12000", "High", "High risk")
    scored(AccountFactory(external_id="A-2", csm=csm), "3000", tier="Critical")
    scored(AccountFactory(external_id="A-3", csm=other_csm), "5000")
    scored(AccountFactory(external_id="A-4", csm=other_csm, churned=True), "9000", "High")
    a5 = scored(AccountFactory(external_id="A-5", csm=None), "1000", "High")
    UserFactory(username="cyd", first_name="Cyd", last_name="Zephyr", role="CSM")
    Task.objects.filter(pk=task(a1, csm, order=1).pk).update(due_at=past)
    task(a1, csm, order=2)
    task(a1, csm, order=3, status="done")
    task(a1, manager, role="manager", order=4)
    Task.objects.filter(pk=task(a5, None, order=1).pk).update(due_at=past)
    return soon


def figures(response):
    return {(b.csm.username if b.csm else None): (b.accounts, b.arr, b.high_risk, b.arr_at_risk, b.critical,
                                                   b.open_tasks, b.overdue_tasks) for b in response.context["books"]}


def test_the_books_page_shows_each_csms_book(client, manager, small_book):
    client.force_login(manager)

    response = client.get(reverse("csm_books"))

    assert response.status_code == 200
    assert figures(response) == {
        "casey": (2, 15000.0, 1, 12000.0, 1, 2, 1),
        "robin": (1, 5000.0, 0, 0.0, 0, 0, 0),
        "cyd": (0, 0.0, 0, 0.0, 0, 0, 0),
        None: (1, 1000.0, 1, 1000.0, 0, 1, 1),
    }
    assert response.context["books"][-1].csm is None  # the unassigned accounts last
    assert "Unassigned</td>\n  <td>1</td><td>$1,000</td>" in response.content.decode()


def test_the_books_take_the_same_queries_however_many_csms_and_accounts(client, manager, csm, small_book):
    AssignmentRule.objects.create(name="First").team.set([csm])
    client.force_login(manager)
    client.get(reverse("csm_books"))  # the session and permissions cached
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("csm_books"))
    for n in range(6):
        extra = UserFactory(username=f"extra{n}", role="CSM")
        for k in range(3):
            scored(AccountFactory(external_id=f"B-{n}-{k}", csm=extra), "100", "High")
        AssignmentRule.objects.create(name=f"More {n}").team.set([csm, extra])

    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("csm_books"))

    assert len(response.context["books"]) == 10
    assert len(large) == len(small)


def test_apply_assignment_rules_from_the_books_page(client, manager, other_csm):
    AccountFactory(external_id="A-1", csm=None, segment="SMB")
    AccountFactory(external_id="A-2", csm=None, segment="Enterprise")
    AssignmentRule.objects.create(name="SMB", segment="SMB").team.set([other_csm])
    client.force_login(manager)

    response = client.post(reverse("assignment_rules_apply"))

    assert response.status_code == 302 and response["Location"] == reverse("csm_books")
    page = client.get(response["Location"]).content.decode()
    assert "The assignment rules assigned 1 account (SMB: 1); 1 unassigned account matched no rule." in page
    assert "Segment SMB" in page
    assert csms() == {"A-1": "robin", "A-2": None}
    assert AccountAssignment.objects.get().by == manager
