"""The null-data page sweep (issue 13): every address of HealthCS (pages, HTMX fragments, CSV exports, API
endpoints, forms posted empty, the admin of every registered model) answered for an anonymous visitor, a
manager and a CSM, on a book where every optional field is empty somewhere (tests/null_data_book.py).

DEBUG is off and a variable of HealthCS's templates that does not resolve raises (healthcs/settings_test.py,
healthcs/strict_templates.py), so an attribute reached through an empty relation fails here instead of
printing nothing or crashing in production. Status codes are exact: 200 where the user may look, 404 for
a CSM on another CSM's account, 403 for pages of another role, 302 to the login form for anonymous
visitors. The URL resolver is walked: an address added without an entry here fails the sweep."""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.template import engines
from django.test import Client, RequestFactory
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from healthcs.strict_templates import RaiseOnInvalid
from tests.null_data_book import ACCOUNTS, CSM_ACCOUNTS, Book, build_book

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "manager", "csm")
ADMIN_ROLES = (*ROLES, "admin")  # and a superuser, in the admin
LOGIN = "login"  # expected: a redirect to the login form
HTMX = {"HX-Request": "true"}


@pytest.fixture(scope="module")
def book(django_db_setup, django_db_blocker):
    """The book, built once for the module inside a transaction that is rolled back afterwards (each
    test runs in a savepoint of it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_book()
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def clients(book, django_db_blocker) -> dict[str, Client]:
    """A browser per role, logged in once for the module (a test's writes, sessions included, are undone
    after it)."""
    with django_db_blocker.unblock():
        browsers = {role: Client() for role in ADMIN_ROLES}
        for role, browser in browsers.items():
            if role != "anonymous":
                browser.force_login(book.users[role])
    return browsers


@dataclass(frozen=True)
class Visit:
    """One request and the status each role gets (LOGIN: redirected to the login form)."""

    url: Callable[[Book], str]
    expect: dict[str, int | str]
    method: str = "get"
    data: dict = field(default_factory=dict)
    htmx: bool = False
    label: str = ""
    logs_out: bool = False  # ends the session: sent from a browser of its own


def page(url, csm=200, manager=200, anonymous=LOGIN, **kwargs) -> Visit:
    return Visit(url, {"anonymous": anonymous, "manager": manager, "csm": csm}, **kwargs)


def api(url, csm=200, manager=200, anonymous=403, **kwargs) -> Visit:
    return Visit(url, {"anonymous": anonymous, "manager": manager, "csm": csm}, **kwargs)


def named(name: str, *args: str) -> Callable[[Book], str]:
    """The address of `name`, its arguments taken from the book's ids (or given as is when not an id)."""
    return lambda b: reverse(name, args=[b.ids.get(a, a) for a in args])


def account_visits(name: str, csm_ok=200, **kwargs) -> list[Visit]:
    """One visit per account of the book: the CSM reaches their own and gets 404 for the others."""
    maker = api if name.startswith("api_") else page
    return [maker(named(name, ext), csm=csm_ok if ext in CSM_ACCOUNTS else 404, label=ext, **kwargs)
            for ext in ACCOUNTS]


SNOOZE = {"action": "snooze", "scope": "checked", "reason": "Waiting for the invoice",
          "until": (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")}
SWEEP: dict[str, list[Visit]] = {
    "home": [page(named("home")), page(named("home"), htmx=True)],
    "login": [page(named("login"), anonymous=200, manager=302, csm=302),
              page(named("login"), anonymous=200, manager=302, csm=302, method="post")],
    "logout": [page(named("logout"), anonymous=405, manager=405, csm=405),
               page(named("logout"), anonymous=302, manager=302, csm=302, method="post", logs_out=True)],
    "account_list": [
        page(named("account_list")), page(named("account_list"), htmx=True),
        page(lambda b: reverse("account_list") + "?q="), page(lambda b: reverse("account_list") + "?q=", htmx=True),
        page(lambda b: reverse("account_list") + "?q=no+such+account", htmx=True),
        page(lambda b: reverse("account_list") + "?" + "&".join(f"{n}=" for n in (
            "q", "risk_level", "health_tier", "plan_tier", "segment", "csm", "min_arr", "renewal_within", "churned",
            "expansion_ready", "ordering", "page"))),
        *[page(lambda b, o=o: reverse("account_list") + f"?ordering={o}", htmx=True)
          for o in ("name", "-health", "risk", "-arr", "renewal")],
        page(lambda b: reverse("account_list") + "?churned=yes&segment=SMB"),
    ],
    "account_export": [page(named("account_export")), page(lambda b: reverse("account_export") + "?q=zzz")],
    "account_detail": [*account_visits("account_detail"),
                       page(lambda b: reverse("account_detail", args=["A-NORMAL"]) + "?timeline=2")],
    "import_upload": [page(named("import_upload"), csm=403),
                      # An empty upload form is refused with its message.
                      page(named("import_upload"), csm=403, manager=400, method="post")],
    "import_detail": [page(named("import_detail", "import_failed"), csm=403),
                      page(named("import_detail", "import_queued"), csm=403, htmx=True)],
    "executive": [page(named("executive"))],
    "insights": [page(named("insights"))],
    "outcome_log": [
        # Without JavaScript an empty form is shown again with its problem (400); a whole one goes back (302).
        *[v for v in account_visits("outcome_log", csm_ok=400, manager=400, method="post")
          if v.label in ("A-NORMAL", "A-NOCSM", "A-FOREIGN")],
        page(named("outcome_log", "A-NORMAL"), csm=302, manager=302, method="post", data={"kind": "contacted"}),
        page(named("outcome_log", "A-NORMAL"), csm=200, manager=200, method="post", htmx=True),
        page(named("outcome_log", "A-NORMAL"), csm=200, manager=200, method="post", htmx=True,
             data={"task": "task", "kind": "contacted"}),
    ],
    "touchpoint_log": [
        *account_visits("touchpoint_log"),
        *[v for v in account_visits("touchpoint_log", htmx=True)
          if v.label in ("A-NORMAL", "A-NOCONTACTS", "A-NOCSM")],
        # Without JavaScript an empty form is shown again with its problems (400); a whole one goes back (302).
        *[v for v in account_visits("touchpoint_log", csm_ok=400, manager=400, method="post")
          if v.label in ("A-NORMAL", "A-NOCSM", "A-FOREIGN")],
        page(named("touchpoint_log", "A-NORMAL"), csm=302, manager=302, method="post",
             data={"kind": "call", "text": "Renewal call"}),
        page(named("touchpoint_log", "A-NORMAL"), csm=200, manager=200, method="post", htmx=True),
        page(named("touchpoint_log", "A-NORMAL"), csm=200, manager=200, method="post", htmx=True,
             data={"kind": "note", "text": "Left a message"}),
    ],
    "contact_section": [*account_visits("contact_section", csm_ok=302, manager=302),
                        *[v for v in account_visits("contact_section", htmx=True)
                          if v.label in ("A-NORMAL", "A-NOCONTACTS", "A-NOCSM", "A-FOREIGN")]],
    "contact_add": [
        *account_visits("contact_add"),
        # Without JavaScript an empty form is shown again with its problem (400); a whole one goes back (302).
        *[v for v in account_visits("contact_add", csm_ok=400, manager=400, method="post")
          if v.label in ("A-NORMAL", "A-NOCSM", "A-FOREIGN")],
        page(named("contact_add", "A-NOCONTACTS"), csm=302, manager=302, method="post",
             data={"name": "Lee Park", "role": "user"}),
        page(named("contact_add", "A-NOCONTACTS"), method="post", htmx=True),
    ],
    "contact_edit": [
        page(named("contact_edit", "A-NORMAL", "contact")), page(named("contact_edit", "A-NORMAL", "left_contact")),
        page(named("contact_edit", "A-NORMAL", "contact"), htmx=True),
        page(named("contact_edit", "A-NOCSM", "unassigned_contact"), csm=404, htmx=True),
        page(named("contact_edit", "A-FOREIGN", "foreign_contact"), csm=404),
        page(named("contact_edit", "A-NORMAL", "foreign_contact"), csm=404, manager=404),
        page(named("contact_edit", "A-NORMAL", "contact"), csm=400, manager=400, method="post"),
        page(named("contact_edit", "A-NORMAL", "left_contact"), method="post", htmx=True,
             data={"name": "Gone Again", "role": "champion"}),
    ],
    "contact_leave": [
        page(named("contact_leave", "A-NORMAL", "left_contact"), csm=400, manager=400, method="post"),
        page(named("contact_leave", "A-NORMAL", "contact"), method="post", htmx=True),
        page(named("contact_leave", "A-FOREIGN", "foreign_contact"), csm=404, method="post", htmx=True),
        page(named("contact_leave", "A-NOCSM", "unassigned_contact"), csm=404, manager=400, method="post",
             data={"left_on": "2999-01-01"}),
    ],
    "task_list": [page(named("task_list")), page(lambda b: reverse("task_list") + "?list=upcoming", htmx=True),
                  page(lambda b: reverse("task_list") + "?list=due&offset=10", htmx=True),
                  page(lambda b: reverse("task_list") + "?list=nowhere", csm=400, manager=400),
                  page(lambda b: reverse("task_list") + "?due=overdue&account=&playbook=&channel=&priority=&assignee="
                       "&ordering=priority"),
                  page(lambda b: reverse("task_list") + "?assignee=unassigned&ordering=-account", htmx=True),
                  page(lambda b: reverse("task_list") + "?due=never&priority=x&page=99")],
    "task_bulk": [page(named("task_bulk"), csm=405, manager=405),
                  page(named("task_bulk"), csm=400, manager=400, method="post"),
                  page(named("task_bulk"), csm=302, manager=302, method="post", data={**SNOOZE, "task": "task"}),
                  # Another CSM's task: refused for the CSM, nothing changed; the manager may.
                  page(named("task_bulk"), csm=400, manager=302, method="post",
                       data={**SNOOZE, "task": "foreign_task"}),
                  # The account has no CSM: casey cannot take its task, and it is not in casey's queue.
                  page(named("task_bulk"), csm=400, manager=400, method="post",
                       data={"action": "reassign", "scope": "checked", "task": "unassigned_task",
                             "assignee": "csm_user"}),
                  page(lambda b: reverse("task_bulk") + "?due=overdue", method="post", htmx=True,
                       data={"action": "done", "scope": "matching"})],
    "task_done": [page(named("task_done", "task"), manager=302, csm=302, method="post"),
                  page(named("task_done", "unassigned_task"), manager=200, csm=404, method="post", htmx=True),
                  page(named("task_done", "foreign_task"), manager=302, csm=404, method="post")],
    "task_snooze": [page(named("task_snooze", "task"), manager=400, csm=400, method="post"),
                    page(named("task_snooze", "task"), manager=200, csm=200, method="post", htmx=True),
                    page(named("task_snooze", "unassigned_task"), manager=200, csm=404, method="post", htmx=True,
                         data={"until": "2099-01-01 09:00", "reason": ""})],
    "notifications_read": [page(named("notifications_read"), method="post", manager=302, csm=302),
                           page(named("notifications_read"), method="post", htmx=True)],
    "effectiveness": [page(named("effectiveness"), csm=403)],
    "score_accuracy": [page(named("score_accuracy"), csm=403), page(named("score_accuracy"), csm=403, htmx=True),
                       page(lambda b: reverse("score_accuracy") + "?as_of=&horizon=", csm=403),
                       page(lambda b: reverse("score_accuracy") + f"?as_of={b.as_of}&horizon=30", csm=403,
                            htmx=True),
                       page(lambda b: reverse("score_accuracy") + "?horizon=soon", csm=403, manager=400)],
    "score_accuracy_export": [page(named("score_accuracy_export"), csm=403),
                              page(lambda b: reverse("score_accuracy_export") + "?as_of=1999-01-01", csm=403,
                                   manager=400)],
    "pipeline": [page(named("pipeline")), page(named("pipeline"), htmx=True),
                 page(lambda b: reverse("pipeline") + "?owner=&segment=&stage=&q=", htmx=True),
                 page(lambda b: reverse("pipeline") + "?add=A-NOCSM", csm=404),
                 page(lambda b: reverse("pipeline") + "?add=A-NORMAL"),
                 Visit(lambda b: reverse("pipeline") + "?add=A-NORMAL", {"anonymous": LOGIN, "manager": 200,
                                                                          "csm": 200}, label="add-form")],
    "opportunity": [page(named("opportunity", "unowned_opportunity"), csm=404),
                    page(named("opportunity", "opportunity"), htmx=True),
                    page(lambda b: reverse("opportunity", args=[b.ids["opportunity"]]) + "?view=card", htmx=True)],
    "pipeline_column": [page(named("pipeline_column", "identified")),
                        page(lambda b: reverse("pipeline_column", args=["won"]) + "?offset=0", htmx=True),
                        page(named("pipeline_column", "nowhere"), csm=400, manager=400, htmx=True)],
    "pipeline_forecast": [page(named("pipeline_forecast"), csm=403)],
    "opportunity_move": [page(named("opportunity_move", "opportunity"), manager=400, csm=400, method="post"),
                         page(named("opportunity_move", "unowned_opportunity"), csm=404, method="post", htmx=True)],
    "opportunity_edit": [page(named("opportunity_edit", "opportunity"), manager=302, csm=302, method="post"),
                         page(named("opportunity_edit", "unowned_opportunity"), csm=404, method="post", htmx=True,
                              data={"owner": "", "expected_close": "", "next_step": ""})],
    "opportunity_add": [page(named("opportunity_add", "A-NORMAL"), manager=400, csm=400, method="post"),
                        page(named("opportunity_add", "A-NOCSM"), csm=404, method="post", htmx=True)],
    "signal_convert": [page(named("signal_convert", "unassigned_signal"), csm=404, manager=302, method="post"),
                       page(named("signal_convert", "signal"), method="post", htmx=True)],
    "signal_dismiss": [page(named("signal_dismiss", "unassigned_signal"), csm=404, manager=302, method="post"),
                       page(named("signal_dismiss", "foreign_signal"), csm=404, method="post", htmx=True)],
    "ticket_analyzer": [page(named("ticket_analyzer")),
                        page(named("ticket_analyzer"), method="post", manager=400, csm=400),
                        page(named("ticket_analyzer"), method="post", htmx=True, data={"text": "We may cancel."})],
    # Ask the book: examples, a question (the book's texts are empty or say "cancel"), every filter sent empty, a
    # refused date (400; the fragment shows the problem, 200), a page past the last.
    "search": [page(named("search")), page(lambda b: reverse("search") + "?q=cancel"),
               page(lambda b: reverse("search") + "?q=who+mentioned+cancel", htmx=True),
               page(lambda b: reverse("search") + "?" + "&".join(f"{n}=" for n in (
                   "q", "segment", "ehr", "date_from", "date_to", "category", "page"))),
               page(lambda b: reverse("search") + "?q=cancel&segment=SMB&ehr=Epic&category=survey"
                                                  "&date_from=2020-01-01&date_to=2030-12-31&page=1"),
               page(lambda b: reverse("search") + "?q=cancel&date_from=yesterday", csm=400, manager=400),
               page(lambda b: reverse("search") + "?q=cancel&date_from=yesterday", htmx=True),
               page(lambda b: reverse("search") + "?q=cancel&page=9", htmx=True)],
    "alert_list": [page(named("alert_list")), page(named("alert_list"), htmx=True),
                   page(lambda b: reverse("alert_list") + "?page=99", htmx=True),
                   *[page(lambda b, s=s: reverse("alert_list") + f"?status={s}") for s in (
                       "new", "acknowledged", "snoozed", "resolved", "all")],
                   page(lambda b: reverse("alert_list") + "?" + "&".join(f"{n}=" for n in (
                       "kind", "severity", "csm", "segment", "age", "status", "ordering", "page"))),
                   page(lambda b: reverse("alert_list") + "?kind=usage_cliff&severity=high&segment=SMB&age=7d"
                                                          "&ordering=-severity", htmx=True),
                   page(lambda b: reverse("alert_list") + "?kind=nothing&age=٣٠d&ordering=severity"),
                   page(lambda b: reverse("alert_list") + "?status=all&part=counts", htmx=True)],
    "alert_bulk": [page(named("alert_bulk"), csm=400, manager=400, method="post"),
                   page(named("alert_bulk"), method="post", htmx=True,
                        data={"action": "acknowledge", "scope": "matching"}),
                   page(named("alert_bulk"), csm=400, manager=400, method="post",
                        data={"action": "snooze", "scope": "matching", "until": "2999-01-01"})],
    "alert_acknowledge": [page(named("alert_acknowledge", "unassigned_alert"), csm=404, manager=302, method="post"),
                          page(named("alert_acknowledge", "alert"), method="post", htmx=True),
                          page(named("alert_acknowledge", "foreign_alert"), csm=404, method="post", htmx=True)],
    "alert_resolve": [page(named("alert_resolve", "unassigned_alert"), csm=404, manager=302, method="post"),
                      page(named("alert_resolve", "alert"), method="post", htmx=True),
                      page(named("alert_resolve", "foreign_alert"), csm=404, method="post", htmx=True)],
    "recompute": [page(named("recompute"), csm=403),
                  # A date that is not one: refused with the form (an empty one would queue a real run).
                  page(named("recompute"), csm=403, manager=400, method="post", data={"as_of": "soon"})],
    # The old address of the churn model's panel: managers are sent to it on Score accuracy.
    "churn_model": [page(named("churn_model"), csm=403, manager=302)],
    # POST only (a manager's POST would queue a real training): a GET is refused as such.
    "churn_model_retrain": [page(named("churn_model_retrain"), csm=403, manager=405)],
    "recompute_detail": [page(named("recompute_detail", "run_running"), csm=403),
                         page(named("recompute_detail", "run_running"), csm=403, htmx=True)],
    "api_accounts": [api(named("api_accounts")), api(lambda b: reverse("api_accounts") + "?search=&ordering=")],
    "api_account": account_visits("api_account"),
    "api_account_history": account_visits("api_account_history"),
    "api_account_touchpoints": [*account_visits("api_account_touchpoints"),
                                *[v for v in account_visits("api_account_touchpoints", csm_ok=400, manager=400,
                                                            method="post") if v.label in ("A-NORMAL", "A-FOREIGN")],
                                api(named("api_account_touchpoints", "A-NORMAL"), method="post", csm=201,
                                    manager=201, data={"kind": "note", "text": "Left a message"})],
    "api_interventions": [api(named("api_interventions"))],
    "api_intervention_outcomes": [
        api(named("api_intervention_outcomes", "intervention"), method="post", manager=400, csm=400),
        api(named("api_intervention_outcomes", "foreign_intervention"), method="post", manager=201, csm=404,
            data={"kind": "contacted"}),
    ],
    "api_opportunities": [api(named("api_opportunities")),
                          api(named("api_opportunities"), method="post", manager=400, csm=400)],
    "api_opportunity": [api(named("api_opportunity", "unowned_opportunity"), csm=404),
                        # Nothing to change: refused with the reason.
                        api(named("api_opportunity", "opportunity"), method="patch", manager=400, csm=400)],
    # The endpoint reads JSON only: a form-encoded body is refused as such.
    "api_ticket_analysis": [api(named("api_ticket_analysis"), method="post", manager=415, csm=415),
                            api(named("api_ticket_analysis"), manager=405, csm=405)],
    "api_schema": [api(named("api_schema"))],
    # Imports by API: managers only; an empty upload is refused with its reason, a run is read by its id.
    "api_imports": [api(named("api_imports"), method="post", manager=400, csm=403),
                    api(named("api_imports"), manager=405, csm=403)],
    "api_import": [api(named("api_import", "import_failed"), csm=403),
                   api(named("api_import", "import_queued"), csm=403)],
    "api_search": [api(lambda b: reverse("api_search") + "?q=cancel"), api(named("api_search"), manager=400, csm=400),
                   api(lambda b: reverse("api_search") + "?q=cancel&date_to=2020-01-01&date_from=2021-01-01",
                       manager=400, csm=400)],
    "favicon": [page(named("favicon"), anonymous=301, manager=301, csm=301)],
    "account_timeline": [*account_visits("account_timeline", htmx=True),
                         # Without JavaScript the fragment's address sends people to the account's page.
                         page(named("account_timeline", "A-NORMAL"), csm=302, manager=302)],
    "queue_counts": [page(named("queue_counts"), htmx=True), page(named("queue_counts"), csm=302, manager=302)],
    "next_best_action": [page(named("next_best_action", "A-NORMAL"), csm=400, manager=400, method="post"),
                         page(named("next_best_action", "A-NOCSM"), csm=404, manager=200, method="post", htmx=True,
                              data={"action": "Not on the checklist", "done": "on"})],
    "api_docs": [page(named("api_docs"))],
    # Success plans: an empty form is shown again with its problem (400; 200 to HTMX); a whole one goes back (302).
    "success_plan": [
        *account_visits("success_plan"),
        page(named("success_plan", "A-NORMAL"), csm=400, manager=400, method="post"),  # it has one already
        page(named("success_plan", "A-NOSEGMENT"), csm=400, manager=302, method="post"),  # the manager's goes first
        page(named("success_plan", "A-NEVER"), csm=200, manager=200, method="post", htmx=True),  # never scored
        page(named("success_plan", "A-FOREIGN"), csm=404, manager=200, method="post", htmx=True),
    ],
    "plan_objective_add": [
        page(named("plan_objective_add", "A-NORMAL"), csm=400, manager=400, method="post"),
        page(named("plan_objective_add", "A-NORMAL"), method="post", htmx=True),
        page(named("plan_objective_add", "A-BARE"), csm=404, manager=302, method="post", data={"title": "Renewal"}),
    ],
    "plan_objective_edit": [
        page(named("plan_objective_edit", "A-NORMAL", "plan_objective"), csm=400, manager=400, method="post"),
        page(named("plan_objective_edit", "A-NOCSM", "nocsm_objective"), csm=404, manager=302, method="post",
             data={"title": "Renamed"}),
        page(named("plan_objective_edit", "A-NORMAL", "nocsm_objective"), csm=404, manager=404, method="post",
             data={"remove": "1"}),  # an objective of another account under this one's address
    ],
    "plan_step_add": [
        page(named("plan_step_add", "A-NORMAL", "plan_objective"), csm=400, manager=400, method="post"),
        page(named("plan_step_add", "A-NORMAL", "plan_objective"), method="post", htmx=True,
             data={"title": "Call", "owner": "csm_user", "due_on": "2026-13-01"}),
        page(named("plan_step_add", "A-FOREIGN", "foreign_objective"), csm=404, manager=302, method="post",
             data={"title": "Call"}),
    ],
    "plan_step_edit": [
        page(named("plan_step_edit", "A-NORMAL", "plan_step"), csm=400, manager=400, method="post"),
        page(named("plan_step_edit", "A-NOCSM", "nocsm_step"), csm=404, manager=200, method="post", htmx=True,
             data={"title": "Renamed"}),
        page(named("plan_step_edit", "A-NOCSM", "nocsm_step"), csm=404, manager=302, method="post",
             data={"remove": "1"}),
    ],
    "plan_step_status": [
        page(named("plan_step_status", "A-NORMAL", "plan_step"), csm=400, manager=400, method="post"),
        page(named("plan_step_status", "A-NORMAL", "plan_step"), method="post", htmx=True, data={"status": "done"}),
        page(named("plan_step_status", "A-NORMAL", "plan_step"), method="post", htmx=True,
             data={"status": "blocked", "from": "queue"}),
        page(named("plan_step_status", "A-NOCSM", "nocsm_step"), csm=404, manager=302, method="post",
             data={"status": "in_progress"}),
    ],
    "api_account_success_plan": [
        *account_visits("api_account_success_plan"),
        api(named("api_account_success_plan", "A-NORMAL"), method="post", csm=400, manager=400),
        api(named("api_account_success_plan", "A-NOSEGMENT"), method="post", csm=400, manager=201,
            data={"from_reasons": "true"}),
    ],
    # An empty form is refused beside the list (a 200 fragment to HTMX); a whole one goes back to the list.
    "account_assign": [page(named("account_assign"), csm=403, manager=400, method="post"),
                       page(named("account_assign"), csm=403, manager=200, method="post", htmx=True),
                       page(lambda b: reverse("account_assign") + "?q=A-NOCSM", csm=403, manager=302, method="post",
                            data={"csm": "csm_user", "scope": "matching"}),
                       page(named("account_assign"), csm=403, manager=302, method="post",
                            data={"csm": "csm_user", "scope": "checked", "account": "A-BARE"})],
    "csm_books": [page(named("csm_books"), csm=403)],
    # Saved views: casey's own (private), robin's private one (404 for everyone else) and morgan's shared one.
    "saved_view_open": [page(named("saved_view_open", "own_view"), manager=404, csm=302),
                        page(named("saved_view_open", "foreign_view"), manager=404, csm=404),
                        page(named("saved_view_open", "shared_view"), manager=302, csm=302)],
    # An empty name is refused beside the form (400, or a 200 fragment to HTMX); a whole one goes to the view.
    "saved_view_create": [page(lambda b: reverse("saved_view_create") + "?risk_level=High", method="post",
                               csm=400, manager=400),
                          page(lambda b: reverse("saved_view_create") + "?risk_level=High", method="post", htmx=True),
                          page(lambda b: reverse("saved_view_create") + "?segment=SMB", method="post", csm=302,
                               manager=302, data={"name": "Sweep"}),
                          page(named("saved_view_create"), method="get", csm=405, manager=405)],
    "saved_view_update": [page(named("saved_view_update", "own_view"), method="post", csm=400, manager=404),
                          page(named("saved_view_update", "own_view"), method="post", htmx=True, manager=404),
                          page(named("saved_view_update", "shared_view"), method="post", csm=404, manager=302,
                               data={"name": "Team view", "shared": "on"}),
                          page(named("saved_view_update", "foreign_view"), method="post", csm=404, manager=404)],
    "saved_view_delete": [page(named("saved_view_delete", "foreign_view"), method="post", csm=404, manager=404),
                          page(named("saved_view_delete", "own_view"), method="post", csm=302, manager=404),
                          page(named("saved_view_delete", "default_view"), method="post", htmx=True, csm=404,
                               manager=200)],
    "saved_view_pin": [page(named("saved_view_pin", "shared_view"), method="post", csm=302, manager=302,
                            data={"pinned": "yes"}),
                       page(named("saved_view_pin", "shared_view"), method="post", htmx=True,
                            data={"pinned": "no"}),
                       page(named("saved_view_pin", "foreign_view"), method="post", csm=404, manager=404)],
    "role_default_set": [page(named("role_default_set"), method="post", csm=403, manager=400),
                         page(named("role_default_set"), method="post", htmx=True, csm=403, manager=200,
                              data={"role": "CSM", "view": "own_view"}),
                         page(named("role_default_set"), method="post", csm=403, manager=302,
                              data={"role": "Manager", "view": "shared_view"})],
    # A CSM's own digest (the csm choice is the managers'); a day that is not a date is refused with its message.
    "digest": [page(named("digest")), page(lambda b: reverse("digest") + f"?date={b.as_of}", htmx=True),
               page(lambda b: reverse("digest") + f"?csm={b.ids['csm_user']}"),
               page(lambda b: reverse("digest") + "?date=soon", csm=400, manager=400)],
    "weekly_summary": [page(named("weekly_summary"), csm=403),
                       page(lambda b: reverse("weekly_summary") + f"?date={b.as_of}", csm=403, htmx=True),
                       page(lambda b: reverse("weekly_summary") + "?date=2026-02-30", csm=403, manager=400)],
    # Briefs and business reviews (issue 18): the PDF is printed once (A-NORMAL; the same HTML is not printed again),
    # the other visits are refused before any printing.
    # A brief reads the effectiveness report (about 0.3 s): the accounts whose empty fields it reads, and one of
    # another CSM.
    "account_brief": [*[v for v in account_visits("account_brief") if v.label in (
                          "A-NORMAL", "A-NORENEWAL", "A-NEVER", "A-CHURNED", "A-NOCSM", "A-FOREIGN")],
                      *[v for v in account_visits("account_brief", htmx=True) if v.label in ("A-BARE",)]],
    "account_review": [*account_visits("account_review"),
                       page(lambda b: reverse("account_review", args=["A-NORMAL"]) + "?period=", htmx=True),
                       page(lambda b: reverse("account_review", args=["A-CHURNED"]) + f"?period={b.as_of.year}"),
                       page(lambda b: reverse("account_review", args=["A-NORMAL"]) + "?period=2026-Q٣", csm=400,
                            manager=400)],
    "account_review_pdf": [page(named("account_review_pdf", "A-NORMAL")),
                           page(lambda b: reverse("account_review_pdf", args=["A-FOREIGN"]) + "?period=soon", csm=404,
                                manager=400),
                           page(lambda b: reverse("account_review_pdf", args=["A-NOCSM"]) + "?period=x", csm=404,
                                manager=400)],
    "renewals": [page(named("renewals")), page(named("renewals"), htmx=True)],
    "roi": [page(named("roi"), csm=403), page(lambda b: reverse("roi") + f"?date={b.as_of}", csm=403, htmx=True),
            page(lambda b: reverse("roi") + "?date=2026-02-30", csm=403, manager=400)],
    "account_churn": [
        *account_visits("account_churn"), page(named("account_churn", "A-NORMAL"), htmx=True),
        # Sent empty, or for an account already churned: the form again with the problem (400, nothing written).
        page(named("account_churn", "A-NORMAL"), csm=400, manager=400, method="post"),
        page(named("account_churn", "A-CHURNED"), csm=400, manager=400, method="post",
             data={"reason_code": "budget", "feedback": "Budget cut"}),
        # Whole: the manager's marks it (back to Account 360), the CSM's comes second and finds it churned.
        page(named("account_churn", "A-NOSUBS"), csm=400, manager=302, method="post",
             data={"reason_code": "budget", "feedback": "Budget cut"}),
        page(named("account_churn", "A-BARE"), csm=404, method="post", htmx=True,
             data={"reason_code": "closed", "feedback": "Practice closed"}),
    ],
    "api_account_churn": [
        api(named("api_account_churn", "A-NORMAL"), method="post", csm=400, manager=400),
        api(named("api_account_churn", "A-NOSUBS"), method="post", csm=400, manager=201,
            data={"reason_code": "budget", "feedback": "Budget cut"}),
        api(named("api_account_churn", "A-FOREIGN"), method="post", csm=404, manager=201,
            data={"reason_code": "competitor", "feedback": "Moved"}),
    ],
    "assignment_rules_apply": [page(named("assignment_rules_apply"), csm=403, manager=302, method="post"),
                               page(named("assignment_rules_apply"), csm=405, manager=405)],
    # The admin's own password form (audited): staff only, anonymous visitors go to the admin's login.
    "admin/password_change/": [page(lambda b: "/admin/password_change/", anonymous=302),
                               page(lambda b: "/admin/password_change/", anonymous=302, manager=200, csm=200,
                                    method="post")],
    "^api/(?P<path>.*)$": [api(lambda b: "/api/nothing-here/", anonymous=404, manager=404, csm=404)],
}


def app_patterns():
    """Every pattern of the site outside the admin, by name (or by its pattern when it has none)."""
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            assert pattern.namespace == "admin", f"{pattern} is not swept: add its addresses to SWEEP"
        else:
            yield pattern.name or str(pattern.pattern)


def test_every_address_is_swept():
    assert sorted(app_patterns()) == sorted(SWEEP)


def test_the_sweep_runs_without_debug_and_with_strict_templates():
    assert settings.DEBUG is False
    assert isinstance(engines["django"].engine.string_if_invalid, RaiseOnInvalid)


def _login_redirect(response, url: str) -> bool:
    return response.status_code == 302 and response["Location"].startswith(f"{reverse('login')}?next=")


def _browser(clients: dict[str, Client], book: Book, role: str, visit: Visit) -> Client:
    if not visit.logs_out:
        return clients[role]
    browser = Client()
    if role != "anonymous":
        browser.force_login(book.users[role])
    return browser


def _visit(client, visit: Visit, book: Book, role: str):
    data = {k: str(book.ids.get(v, v)) for k, v in visit.data.items()}
    url = visit.url(book)
    send = getattr(client, visit.method)
    if visit.method == "patch":
        return send(url, data, content_type="application/json")
    return send(url, data, headers=HTMX if visit.htmx else {})


@pytest.mark.parametrize("name,index", [(name, i) for name, visits in SWEEP.items() for i in range(len(visits))])
def test_sweep(clients, book, name, index):
    visit = SWEEP[name][index]
    seen, wanted = {}, {}
    for role in ROLES:
        response = _visit(_browser(clients, book, role, visit), visit, book, role)
        expected = visit.expect[role]
        seen[role] = "login" if expected == LOGIN and _login_redirect(response, visit.url(book)) \
            else response.status_code
        wanted[role] = "login" if expected == LOGIN else expected
    assert seen == wanted, f"{visit.method.upper()} {visit.url(book)} {'(HTMX) ' if visit.htmx else ''}{visit.label}"


# The admin: every registered model's list for each role, its emptiest object's page for a manager
# (read only) and a superuser (the form), its add page (and for HealthCS's own models its history and
# delete pages) for the superuser, each answered as the model's admin grants it.
MODEL_VIEWS = ("changelist", "add", "change", "history", "delete")
VIEWS_BY_ROLE = {"anonymous": ("changelist",), "manager": ("changelist", "change"), "csm": ("changelist",),
                 "admin": ("changelist", "add", "change")}
OUR_APPS = ("accounts", "scoring", "interventions", "expansion")  # the superuser also gets history and delete


def admin_patterns():
    """Every named address of the admin that is not a registered model's standard page."""
    resolver = next(p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and p.namespace == "admin")
    standard = {f"{model._meta.app_label}_{model._meta.model_name}_{view}"
                for model in admin.site._registry for view in MODEL_VIEWS}

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif pattern.name and pattern.name not in standard:
                yield pattern.name

    return set(walk(resolver.url_patterns))


def test_every_admin_address_is_swept():
    assert admin_patterns() == set(ADMIN_SITE)


def _admin_expected(role: str, book: Book, model_admin, view: str, obj) -> int | str:
    if role == "anonymous":
        return "admin-login"
    request = RequestFactory().get("/")
    request.user = book.users[role]
    if view in ("changelist", "history") or (view == "change" and obj is not None):
        allowed = model_admin.has_view_or_change_permission(request, obj if view != "changelist" else None)
    elif view == "add":
        allowed = model_admin.has_add_permission(request)
    else:
        allowed = model_admin.has_delete_permission(request, obj)
    if not allowed:
        return 403
    if view in ("change", "history", "delete") and model_admin.get_object(request, str(obj.pk)) is None:
        return 302  # not in the user's list: the admin goes back to its index
    return 200


def _emptiest(model):
    """The object of the model with the most empty fields (of its first hundred)."""
    fields = [f.attname for f in model._meta.concrete_fields]
    objects = list(model._default_manager.order_by("pk")[:100])
    return max(objects, key=lambda o: sum(getattr(o, name) in (None, "", [], {}) for name in fields), default=None)


def _admin_status(response) -> int | str:
    if response.status_code == 302 and response["Location"].startswith(reverse("admin:login")):
        return "admin-login"
    return response.status_code


@pytest.mark.parametrize("label", sorted(model._meta.label for model in admin.site._registry))
def test_admin_sweep(clients, book, label):
    model = next(m for m in admin.site._registry if m._meta.label == label)
    model_admin = admin.site._registry[model]
    obj = _emptiest(model)
    assert obj is not None, f"the book has no {label}: add one so that its admin pages are swept"
    info = (model._meta.app_label, model._meta.model_name)
    seen, wanted = {}, {}
    for role in ADMIN_ROLES:
        client = clients[role]
        views = VIEWS_BY_ROLE[role]
        if role == "admin" and info[0] in OUR_APPS:
            views = MODEL_VIEWS
        for view in views:
            args = [] if view in ("changelist", "add") else [obj.pk]
            response = client.get(reverse(f"admin:{info[0]}_{info[1]}_{view}", args=args))
            seen[role, view] = _admin_status(response)
            wanted[role, view] = _admin_expected(role, book, model_admin, view, obj)
    assert seen == wanted


def _admin_url(name: str, *args) -> Callable[[Book], str]:
    return lambda b: reverse(f"admin:{name}", args=[a(b) if callable(a) else a for a in args])


def _first(model_path: str) -> Callable[[Book], int]:
    def pk(book: Book) -> int:
        from django.apps import apps

        return apps.get_model(model_path).objects.order_by("pk").first().pk
    return pk


def _content_type(book: Book) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(book.accounts["A-NOCSM"]).pk


STAFF = {"anonymous": "admin-login", "manager": 200, "csm": 200, "admin": 200}
ADMIN_SITE: dict[str, list[Visit]] = {
    "index": [Visit(_admin_url("index"), STAFF)],
    "login": [Visit(_admin_url("login"), {"anonymous": 200, "manager": 302, "csm": 302, "admin": 302})],
    "logout": [Visit(_admin_url("logout"), dict.fromkeys(ADMIN_ROLES, 302), method="post", logs_out=True)],
    "password_change": [Visit(_admin_url("password_change"), STAFF),
                        Visit(_admin_url("password_change"), {**STAFF}, method="post")],
    "password_change_done": [Visit(_admin_url("password_change_done"), STAFF)],
    "jsi18n": [Visit(_admin_url("jsi18n"), STAFF)],
    # Without its parameters (a model's field to search) the autocomplete refuses everyone.
    "autocomplete": [Visit(_admin_url("autocomplete"), {**STAFF, "manager": 403, "csm": 403, "admin": 403})],
    # No model of HealthCS has a page on the site of its own.
    "view_on_site": [Visit(_admin_url("view_on_site", _content_type, lambda b: b.accounts["A-NOCSM"].pk),
                           {**STAFF, "manager": 404, "csm": 404, "admin": 404})],
    "app_list": [Visit(_admin_url("app_list", "accounts"), STAFF),
                 Visit(_admin_url("app_list", "django_celery_beat"), {**STAFF, "manager": 404, "csm": 404})],
    "auth_user_password_change": [Visit(_admin_url("auth_user_password_change", lambda b: b.users["csm"].pk),
                                        {**STAFF, "manager": 403, "csm": 403})],
    "interventions_playbook_preview": [
        Visit(_admin_url("interventions_playbook_preview", lambda b: b.ids["playbook"]), {**STAFF, "csm": 404}),
        *[Visit(lambda b, q=q: reverse("admin:interventions_playbook_preview", args=[b.ids["playbook"]])
                + f"?account={q}", {**STAFF, "csm": 404}, label=q)
          for q in ("A-NOCSM", "A-BARE", "A-NEVER", "nothing")],
    ],
    "scoring_scoringconfig_preview": [
        Visit(_admin_url("scoring_scoringconfig_preview", _first("scoring.ScoringConfig")), {**STAFF, "csm": 403})],
    # A GET asks to confirm (the POST that makes the draft is tested in tests/scoring/test_scoring_pages.py).
    "scoring_scoringconfig_copy": [Visit(_admin_url("scoring_scoringconfig_copy", _first("scoring.ScoringConfig")),
                                         {**STAFF, "manager": 403, "csm": 403, "admin": 200})],
    # The configuration as a JSON file, for those who may read it (tests/scoring/test_config_editor.py).
    "scoring_scoringconfig_export": [Visit(_admin_url("scoring_scoringconfig_export", _first("scoring.ScoringConfig")),
                                           {**STAFF, "csm": 403})],
    # A GET lists the presets (the POST that makes the draft is tested in tests/scoring/test_fitted_rules.py).
    "scoring_scoringconfig_preset": [Visit(_admin_url("scoring_scoringconfig_preset"),
                                           {**STAFF, "manager": 403, "csm": 403, "admin": 200})],
    # A stored business review's PDF: for those who may see the stored reviews (managers and admins).
    "workspace_reviewdocument_pdf": [Visit(_admin_url("workspace_reviewdocument_pdf", lambda b: b.ids["review"]),
                                           {**STAFF, "csm": 403})],
}


@pytest.mark.parametrize("name,index", [(n, i) for n, visits in ADMIN_SITE.items() for i in range(len(visits))])
def test_admin_site_sweep(clients, book, name, index):
    visit = ADMIN_SITE[name][index]
    seen = {}
    for role in ADMIN_ROLES:
        browser = _browser(clients, book, role, visit)
        seen[role] = _admin_status(getattr(browser, visit.method)(visit.url(book)))
    assert seen == visit.expect, f"{visit.method.upper()} {visit.url(book)} {visit.label}"


def test_empty_fields_read_as_such(clients, book):
    """What the manager reads for the account with nothing but its name, and for the accounts without a CSM."""
    manager = clients["manager"]

    bare = manager.get(reverse("account_detail", args=["A-BARE"])).content.decode()
    rows = manager.get(reverse("account_list") + "?q=A-NOCSM", headers=HTMX).content.decode()
    alerts = manager.get(reverse("alert_list"), headers=HTMX).content.decode()

    for label, shown in (("Segment", "—"), ("Renewal", "—"), ("CSM", "Unassigned"), ("EHR", "—")):
        assert f"<dt>{label}</dt><dd>{shown}</dd>" in bare
    assert "No subscriptions imported" in bare and "No contacts yet." in bare
    never = manager.get(reverse("account_detail", args=["A-NEVER"])).content.decode()
    assert "No scores yet for this account." in never
    assert re.search(r"A-NOCSM</td>.*?<td>Unassigned</td>", rows, re.S)
    unassigned_row = re.search(rf'<tr id="alert-{book.ids["unassigned_alert"]}".*?</tr>', alerts, re.S).group(0)
    assert "<td>Unassigned</td>" in unassigned_row
