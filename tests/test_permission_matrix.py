"""Every address of HealthCS against every kind of visitor (issue 4, permissions everywhere): anonymous
visitors are sent to the login form (pages) or refused (API); a CSM reaches their own account and
gets 404 for another CSM's, in pages, HTMX fragments, exports and the API alike; a manager reaches
both. The URL resolver is walked, so an address added later without an entry here fails the test."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from tests.factories import AlertFactory, SavedViewFactory, SupportTicketFactory
from workspace.models import RoleDefaultView, SavedView, SavedViewPin

pytestmark = pytest.mark.django_db

# Name -> how it is reached: "page" (HTML, login form), "api" (JSON 401/403), "post" (POST only), "api-post"
# (JSON, POST only).
NAMED = {
    "home": "page", "executive": "page", "insights": "page", "account_list": "page", "account_export": "page",
    "account_detail": "page", "effectiveness": "page", "score_accuracy": "page", "score_accuracy_export": "page",
    "task_done": "post", "task_snooze": "post", "task_bulk": "post",
    "outcome_log": "post", "notifications_read": "post", "api_interventions": "api",
    "api_intervention_outcomes": "api-post",
    "import_upload": "page", "import_detail": "page", "alert_list": "page", "alert_resolve": "post",
    "alert_acknowledge": "post", "alert_bulk": "post",
    "recompute": "page", "recompute_detail": "page", "api_accounts": "api", "api_account": "api",
    "api_account_history": "api", "api_schema": "api", "api_docs": "page", "login": "public", "logout": "post",
    "pipeline": "page", "pipeline_forecast": "page", "opportunity_move": "post", "opportunity_edit": "post",
    "opportunity_add": "post", "signal_convert": "post", "signal_dismiss": "post", "api_opportunities": "api",
    "api_opportunity": "api", "ticket_analyzer": "page", "api_ticket_analysis": "api-post", "favicon": "public",
    "account_timeline": "page", "queue_counts": "page", "next_best_action": "post",
    "opportunity": "page", "pipeline_column": "page", "task_list": "page", "churn_model": "page",
    "churn_model_retrain": "post", "account_assign": "post", "csm_books": "page", "assignment_rules_apply": "post",
    "touchpoint_log": "page", "api_account_touchpoints": "api",
    "contact_section": "page", "contact_add": "page", "contact_edit": "page", "contact_leave": "post",
    "success_plan": "page", "plan_objective_add": "post", "plan_objective_edit": "post", "plan_step_add": "post",
    "plan_step_edit": "post", "plan_step_status": "post", "api_account_success_plan": "api",
    "saved_view_create": "post", "saved_view_open": "page", "saved_view_update": "post", "saved_view_delete": "post",
    "saved_view_pin": "post", "role_default_set": "post", "digest": "page", "weekly_summary": "page",
    "account_brief": "page", "account_review": "page", "account_review_pdf": "page",
    "api_imports": "api-post", "api_import": "api",
    "renewals": "page", "roi": "page", "account_churn": "page", "api_account_churn": "api-post",
    "search": "page", "api_search": "api",
}
ACCOUNT_SCOPED = {  # name -> the account's address in page, fragment, export and API
    "account_detail": lambda ext: reverse("account_detail", args=[ext]),
    "api_account": lambda ext: reverse("api_account", args=[ext]),
    "api_account_history": lambda ext: reverse("api_account_history", args=[ext]),
    "api_account_touchpoints": lambda ext: reverse("api_account_touchpoints", args=[ext]),
    "touchpoint_log": lambda ext: reverse("touchpoint_log", args=[ext]),
    "contact_add": lambda ext: reverse("contact_add", args=[ext]),
    "success_plan": lambda ext: reverse("success_plan", args=[ext]),
    "api_account_success_plan": lambda ext: reverse("api_account_success_plan", args=[ext]),
    "account_brief": lambda ext: reverse("account_brief", args=[ext]),
    "account_review": lambda ext: reverse("account_review", args=[ext]),
    # The PDF's own address is checked in tests/test_briefs_and_reviews.py (a print takes seconds).
    "account_churn": lambda ext: reverse("account_churn", args=[ext]),
}


def named_patterns(resolver=None, namespace=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin" or (pattern.app_name or "").startswith("djdt"):
                continue
            yield from named_patterns(pattern, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name and not namespace:
            yield pattern.name


def test_every_named_address_is_in_the_matrix():
    assert set(named_patterns()) == set(NAMED)


@pytest.mark.parametrize("name", [n for n, kind in NAMED.items() if kind in ("page", "api")])
def test_anonymous_visitors_are_sent_to_log_in_or_refused(client, name, own_account):
    args = {"account_detail": ["A-OWN"], "api_account": ["A-OWN"], "api_account_history": ["A-OWN"],
            "api_account_touchpoints": ["A-OWN"], "touchpoint_log": ["A-OWN"],
            "account_timeline": ["A-OWN"], "contact_section": ["A-OWN"], "contact_add": ["A-OWN"],
            "contact_edit": ["A-OWN", "C-1"], "success_plan": ["A-OWN"], "api_account_success_plan": ["A-OWN"],
            "account_brief": ["A-OWN"], "account_review": ["A-OWN"], "account_review_pdf": ["A-OWN"],
            "import_detail": [1], "recompute_detail": [1], "api_opportunity": [1], "opportunity": [1],
            "pipeline_column": ["identified"], "saved_view_open": [1],
            "api_import": [1], "account_churn": ["A-OWN"]}.get(name, [])
    url = reverse(name, args=args)

    response = client.get(url)

    if NAMED[name] == "page":
        assert response.status_code == 302 and response["Location"].startswith(f"{reverse('login')}?next="), url
    else:
        assert response.status_code in (401, 403), url
        assert response.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize("name", list(ACCOUNT_SCOPED))
def test_a_csm_reaches_their_own_account_and_not_another_csms(client, csm, own_account, foreign_account, name):
    client.force_login(csm)
    address = ACCOUNT_SCOPED[name]

    assert client.get(address("A-OWN")).status_code == 200
    assert client.get(address("A-FOREIGN")).status_code == 404


@pytest.mark.parametrize("name", list(ACCOUNT_SCOPED))
def test_a_manager_reaches_every_account(client, manager, own_account, foreign_account, name):
    client.force_login(manager)

    assert [client.get(ACCOUNT_SCOPED[name](ext)).status_code for ext in ("A-OWN", "A-FOREIGN")] == [200, 200]


def test_lists_fragments_exports_and_the_api_hold_only_the_csms_accounts(client, csm, own_account,
                                                                           foreign_account):
    client.force_login(csm)
    api = APIClient()
    api.force_login(csm)

    page = client.get(reverse("account_list")).content.decode()
    fragment = client.get(reverse("account_list"), headers={"HX-Request": "true"}).content.decode()
    export = client.get(reverse("account_export")).content.decode()
    listed = [a["external_id"] for a in api.get(reverse("api_accounts")).json()["results"]]

    for text in (page, fragment, export):
        assert "A-OWN" in text and "A-FOREIGN" not in text
    assert listed == ["A-OWN"]


def test_ask_the_book_finds_only_the_csms_texts(client, csm, own_account, foreign_account):
    for account in (own_account, foreign_account):
        SupportTicketFactory(account=account, subject="Interface outage", body=f"{account.name}: interface down.")
    client.force_login(csm)
    api = APIClient()
    api.force_login(csm)

    page = client.get(reverse("search"), {"q": "interface outage"}).content.decode()
    fragment = client.get(reverse("search"), {"q": "interface outage"}, headers={"HX-Request": "true"}).content.decode()
    found = api.get(reverse("api_search"), {"q": "interface outage"}).json()

    for text in (page, fragment):
        assert "Lakeside Family Practice" in text and "Harbor Pediatrics" not in text
    assert [group["account"]["external_id"] for group in found["results"]] == ["A-OWN"]
    assert [passage["account"]["external_id"] for passage in found["answer"]["passages"]] == ["A-OWN", "A-OWN"]


def test_a_csm_cannot_resolve_another_csms_alert(client, csm, own_account, foreign_account):
    foreign_alert = AlertFactory(account=foreign_account)
    client.force_login(csm)

    response = client.post(reverse("alert_resolve", args=[foreign_alert.pk]), headers={"HX-Request": "true"})

    assert response.status_code == 404
    foreign_alert.refresh_from_db()
    assert foreign_alert.status == "open"


def test_a_csm_logs_touchpoints_on_their_own_accounts_only(client, csm, own_account, foreign_account):
    from accounts.models import Touchpoint

    client.force_login(csm)
    api = APIClient()
    api.force_login(csm)
    touchpoint = {"kind": "call", "text": "Renewal call"}

    answers = [client.post(reverse("touchpoint_log", args=[ext]), touchpoint).status_code for ext in
               ("A-FOREIGN", "A-OWN")]
    answers += [api.post(reverse("api_account_touchpoints", args=[ext]), touchpoint, format="json").status_code
                for ext in ("A-FOREIGN", "A-OWN")]

    assert answers == [404, 302, 404, 201]
    assert set(Touchpoint.objects.values_list("account__external_id", flat=True)) == {"A-OWN"}


def test_a_csm_adds_and_changes_contacts_on_their_own_accounts_only(client, csm, own_account, foreign_account):
    from accounts.models import Contact
    from tests.factories import ContactFactory

    ContactFactory(external_id="C-OWN", account=own_account, name="Dana Reyes")
    ContactFactory(external_id="C-FOREIGN", account=foreign_account, name="Pat Other")
    client.force_login(csm)
    contact = {"name": "Lee Park", "role": "champion"}

    answers = [client.post(reverse("contact_add", args=[ext]), contact).status_code for ext in ("A-FOREIGN", "A-OWN")]
    answers += [client.post(reverse("contact_edit", args=[ext, cid]), contact).status_code
                for ext, cid in (("A-FOREIGN", "C-FOREIGN"), ("A-OWN", "C-FOREIGN"), ("A-OWN", "C-OWN"))]
    answers += [client.post(reverse("contact_leave", args=[ext, cid])).status_code
                for ext, cid in (("A-FOREIGN", "C-FOREIGN"), ("A-OWN", "C-FOREIGN"))]

    assert answers == [404, 302, 404, 404, 302, 404, 404]
    assert sorted(Contact.objects.values_list("account__external_id", "name", "is_active")) == [
        ("A-FOREIGN", "Pat Other", True), ("A-OWN", "Lee Park", True), ("A-OWN", "Lee Park", True)]
def test_a_csm_plans_on_their_own_accounts_only(client, csm, own_account, foreign_account):
    """Another CSM's plan is out of reach: its page, making it, its objectives and steps, and the API."""
    from interventions.models import PlanStep, StepStatus
    from interventions.plans import objective_add, step_add

    objective = objective_add(account=foreign_account, user=csm, title="Renewal")
    step = step_add(objective=objective, user=csm, title="Call the sponsor")
    client.force_login(csm)
    api = APIClient()
    api.force_login(csm)

    remove = {"remove": "1"}
    answers = [client.post(reverse("success_plan", args=["A-FOREIGN"])).status_code,
               client.post(reverse("plan_objective_add", args=["A-FOREIGN"]), {"title": "Mine now"}).status_code,
               client.post(reverse("plan_objective_edit", args=["A-FOREIGN", objective.pk]), remove).status_code,
               client.post(reverse("plan_step_add", args=["A-FOREIGN", objective.pk]), {"title": "x"}).status_code,
               client.post(reverse("plan_step_edit", args=["A-FOREIGN", step.pk]), {"remove": "1"}).status_code,
               client.post(reverse("plan_step_status", args=["A-FOREIGN", step.pk]), {"status": "done"}).status_code,
               # Its ids under the CSM's own account's address are no way in either.
               client.post(reverse("plan_step_status", args=["A-OWN", step.pk]), {"status": "done"}).status_code,
               client.post(reverse("plan_objective_edit", args=["A-OWN", objective.pk]), {"remove": "1"}).status_code,
               api.post(reverse("api_account_success_plan", args=["A-FOREIGN"]), {"from_reasons": True},
                        format="json").status_code]

    assert answers == [404] * 9
    assert list(PlanStep.objects.values_list("title", "status")) == [("Call the sponsor", StepStatus.OPEN)]
    assert objective.plan.objectives.count() == 1


def test_manager_only_pages_refuse_a_csm(client, csm, manager):
    client.force_login(csm)

    pages = ("import_upload", "recompute", "score_accuracy", "score_accuracy_export", "csm_books", "weekly_summary")
    for name in (*pages, "churn_model"):
        assert client.get(reverse(name)).status_code == 403, name
    client.force_login(manager)
    assert [client.get(reverse(name)).status_code for name in pages] == [200] * len(pages)
    assert client.get(reverse("churn_model"))["Location"] == reverse("score_accuracy") + "#model"


POST_ARGS = {"alert_resolve": [1], "alert_acknowledge": [1], "alert_bulk": [],
             "task_done": [1], "task_snooze": [1], "task_bulk": [], "outcome_log": ["A-OWN"],
             "notifications_read": [], "opportunity_move": [1], "opportunity_edit": [1], "opportunity_add": ["A-OWN"],
             "signal_convert": [1], "signal_dismiss": [1], "next_best_action": ["A-OWN"],
             "churn_model_retrain": [], "account_assign": [], "assignment_rules_apply": [],
             "contact_leave": ["A-OWN", "C-1"],
             "plan_objective_add": ["A-OWN"], "plan_objective_edit": ["A-OWN", 1], "plan_step_add": ["A-OWN", 1],
             "plan_step_edit": ["A-OWN", 1], "plan_step_status": ["A-OWN", 1],
             "saved_view_create": [], "saved_view_update": [1], "saved_view_delete": [1], "saved_view_pin": [1],
             "role_default_set": []}


@pytest.mark.parametrize("name", [n for n, kind in NAMED.items() if kind == "post" and n != "logout"])
def test_anonymous_forms_are_sent_to_log_in(client, name, own_account):
    url = reverse(name, args=POST_ARGS[name])

    response = client.post(url, {"kind": "contacted"})

    assert response.status_code == 302 and response["Location"].startswith(f"{reverse('login')}?next="), url


API_POST_ARGS = {"api_intervention_outcomes": [1], "api_ticket_analysis": [], "api_imports": [],
                 "api_account_churn": ["A-OWN"]}


@pytest.mark.parametrize("name", [n for n, kind in NAMED.items() if kind == "api-post"])
def test_anonymous_api_posts_are_refused(client, name):
    response = client.post(reverse(name, args=API_POST_ARGS[name]), {"kind": "contacted", "text": "cancel"})

    assert response.status_code in (401, 403)
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_a_csm_can_never_assign(client, csm, other_csm, own_account, foreign_account):
    """Neither the ticked accounts nor all matching a filter, nor by the rules; and the list offers no controls."""
    client.force_login(csm)

    chosen = {"account": ["A-OWN", "A-FOREIGN"], "csm": csm.pk}
    refused = [client.post(reverse("account_assign"), {**chosen, "scope": scope}).status_code
               for scope in ("checked", "matching")]

    assert refused == [403, 403]
    assert client.post(reverse("assignment_rules_apply")).status_code == 403
    assert 'name="account"' not in client.get(reverse("account_list")).content.decode()
    own_account.refresh_from_db()
    foreign_account.refresh_from_db()
    assert (own_account.csm, foreign_account.csm) == (csm, other_csm)


def test_a_csm_never_reaches_another_users_private_saved_view(client, csm, other_csm, manager):
    """Open, rename, delete, pin: 404 for a private view of another (a manager's too); a shared view opens and pins
    but stays read only; and only managers set a role's default."""
    private = SavedViewFactory(owner=other_csm, name="Robin's", query="risk_level=High")
    managers = SavedViewFactory(owner=manager, name="Morgan's", query="segment=SMB")
    shared = SavedViewFactory(owner=other_csm, name="Team", query="risk_level=Low", shared=True)
    client.force_login(csm)

    def answers(view) -> list[int]:
        return [client.get(reverse("saved_view_open", args=[view.pk])).status_code,
                client.post(reverse("saved_view_update", args=[view.pk]), {"name": "Taken"}).status_code,
                client.post(reverse("saved_view_delete", args=[view.pk])).status_code,
                client.post(reverse("saved_view_pin", args=[view.pk]), {"pinned": "yes"}).status_code]

    assert answers(private) == answers(managers) == [404, 404, 404, 404]
    assert answers(shared) == [302, 404, 404, 302]
    assert client.post(reverse("role_default_set"), {"role": "CSM", "view": shared.pk}).status_code == 403
    listed = client.get(reverse("account_list")).content.decode()
    assert "Robin's" not in listed and "Morgan's" not in listed and "Team" in listed
    assert sorted(SavedView.objects.values_list("name", flat=True)) == ["Morgan's", "Robin's", "Team"]
    assert list(SavedViewPin.objects.values_list("view__name", flat=True)) == ["Team"]
    assert not RoleDefaultView.objects.exists()
def test_a_csms_digest_holds_only_their_own_accounts(client, csm, other_csm, own_account, foreign_account):
    AlertFactory(account=own_account)
    AlertFactory(account=foreign_account)
    client.force_login(csm)

    picked = client.get(reverse("digest"), {"csm": other_csm.pk}).content.decode()  # the choice is the managers'

    assert "A-OWN" in picked and "A-FOREIGN" not in picked
