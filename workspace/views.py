"""The cross-domain pages: home (My queue, the team view), the account list (with assignment) and its export,
the CSM books, Account 360, its timeline, and logging a touchpoint from Account 360 or a task row of My queue."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.template.defaulttags import querystring
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.assignment import accounts_assign, assignment_rules_apply
from accounts.audit import audit_record
from accounts.forms import TouchpointForm
from accounts.models import Account, AssignmentRule, Direction, Segment, Touchpoint, User
from accounts.selectors import accounts_for_user, get_account_for_user, plan_tiers
from accounts.services import LOGGED_KINDS, TOUCHPOINT_SUBJECT_MAX, TOUCHPOINT_TEXT_MAX, touchpoint_log
from accounts.timeline import account_timeline, reading_words, timeline_sources
from expansion.selectors import account_expansion
from healthcs.errors import DomainError
from healthcs.inputs import WholeNumberField, form_problems
from healthcs.redirects import next_address
from interventions.messages import drafts_from_tasks
from interventions.models import InterventionStatus, OutcomeKind, StepStatus
from interventions.plan_views import plan_panel_context
from interventions.selectors import (
    PLAN_QUEUE_DAYS,
    account_interventions,
    get_task_for_user,
    my_plan_steps,
    next_best_action_items,
    task_queue,
    unread_notifications,
)
from scoring.config import TIER_NAMES
from scoring.exports import account_list_export
from scoring.levels import RISK_LEVELS
from scoring.models import AlertStatus
from scoring.outreach import next_best_actions, outreach_drafts
from scoring.selectors import (
    churn_card,
    fired_rule_rows,
    latest_snapshot,
    measure_rows,
    open_alerts_for_user,
    verdict_note,
    with_latest_scores,
)
from scoring.services import latest_as_of
from workspace.books import csm_books
from workspace.contact_views import contacts_context
from workspace.dashboards import (
    RENEWAL_DAYS,
    accounts_at_risk,
    book_groups,
    executive_summary,
    renewals_ahead,
    team_view,
)
from workspace.filters import LIST_FILTERS, filter_accounts, list_params
from workspace.forms import AssignForm, RoleDefaultForm, SavedViewForm
from workspace.models import DefaultRole
from workspace.revenue_views import churn_context
from workspace.reviews import last_full_quarter
from workspace.saved_views import (
    MAX_PINS,
    default_role,
    get_own_view,
    get_view_for_user,
    pinned_views,
    role_default_set,
    role_defaults,
    saved_view_create,
    saved_view_delete,
    saved_view_pin,
    saved_view_unpin,
    saved_view_update,
    view_picker,
    view_query,
)

PAGE_SIZE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A CSM's queue (their tasks, plan steps, alerts, accounts at risk and renewals) or, for managers, the team's
    view."""
    user = request.user
    as_of = latest_as_of()
    groups = book_groups(user, as_of)
    book = executive_summary(user, as_of, with_trend=False, groups=groups)
    context = {
        "summary": book, "as_of": as_of, "any_accounts": book.live_accounts + book.churned_accounts > 0,
        "alerts": open_alerts_for_user(user)[:HOME_ROWS], "alert_count": open_alerts_for_user(user).count(),
        "at_risk": accounts_at_risk(user, as_of), "renewals": renewals_ahead(user, as_of),
        "renewal_days": RENEWAL_DAYS, "queue": task_queue(user), "outcome_kinds": OutcomeKind.choices,
        "now": timezone.now(), "notifications": unread_notifications(user),
        "plan_queue": my_plan_steps(user), "plan_queue_days": PLAN_QUEUE_DAYS, "step_statuses": StepStatus.choices,
        "today": timezone.localdate(), "pinned": pinned_views(user), "max_pins": MAX_PINS,
    }
    if user.sees_all_accounts:
        context["team"] = team_view(user, as_of, groups=groups)
        return render(request, "accounts/home_manager.html", context)
    context["unscored"] = book.live_accounts - book.scored_accounts if as_of else 0
    return render(request, "accounts/home_csm.html", context)


HOME_ROWS = 10


def _filtered_accounts(user, query: QueryDict):
    """The user's accounts with their latest scores, filtered and ordered by the query's parameters."""
    params = list_params(query)
    return params, filter_accounts(with_latest_scores(accounts_for_user(user).select_related("csm")), params)


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    """The at-risk list (docs/pages.md): filters, sortable columns, paging and search, updated in place by
    HTMX with the address kept in step (a filtered view can be bookmarked), or as a plain form; for managers
    with a box per row and the Assign form. Without parameters, the default view of the user's role."""
    defaults = role_defaults()
    query, applied = request.GET, None
    if not query and (applied := defaults.get(default_role(request.user))):
        query = QueryDict(applied.view.query)
    response = _account_list_page(request, query, AssignForm(checked=[]), defaults=defaults, applied=applied)
    if request.htmx:
        address = _list_address(query)
        if not _kept(query) and query and defaults.get(default_role(request.user)):
            address += "?default=off"  # every filter cleared: opened again, the address must not bring the default
        response["HX-Push-Url"] = address
    return response


def _kept(query: QueryDict) -> QueryDict:
    """The parameters in use: links and the address carry only these (the form also sends empty ones)."""
    kept = QueryDict(mutable=True)
    kept.update({name: value for name, value in query.items() if value.strip()})
    return kept


def _account_list_page(request: HttpRequest, query: QueryDict, form: AssignForm, *, notice: str = "",
                       status: int = 200, defaults: dict | None = None, applied=None, picker: dict | None = None
                       ) -> HttpResponse:
    """The list page (or, for HTMX, its rows) for the query, with the Assign form as given (its ticked rows kept)
    and the saved views (with a form's problems and what was typed, in `picker`)."""
    params, filtered = _filtered_accounts(request.user, query)
    page = Paginator(filtered.accounts, PAGE_SIZE).get_page(query.get("page"))
    defaults = role_defaults() if defaults is None else defaults
    views = view_picker(request.user)
    current = view_query(query)
    kept = _kept(query)
    context = {
        "kept": kept, "page": page, "params": params, "query": params["q"], "problems": filtered.problems,
        # The list's address without its page, as {% querystring kept page=None %} writes it: once, not once per form.
        "kept_address": querystring({}, kept, page=None),
        "as_of": latest_as_of(), "filtering": any(params[name] for name in LIST_FILTERS if name != "ordering"),
        "can_assign": request.user.sees_all_accounts, "assign_form": form, "checked": set(form.checked),
        "notice": notice, "saved_views": views, "current_view_query": current,
        "active_view": next((view for view in views if current and view.query == current), None),
        "role_default": defaults.get(default_role(request.user)), "applied_default": applied,
        "role_defaults": [(label, defaults.get(role)) for role, label in DefaultRole.choices],
        "default_roles": DefaultRole.choices, "can_set_defaults": request.user.sees_all_accounts,
        "picker": {"problems": {}, "view_id": None, "where": "", **(picker or {}),
                   "typed": {"name": "", "shared": False, "role": "", "view": "", **(picker or {}).get("typed", {})}},
    }
    if not request.htmx:
        context["choices"] = _filter_choices(request.user)  # the fragment has no select boxes
        response = render(request, "accounts/account_list.html", context, status=status)
    else:
        response = render(request, "accounts/_account_rows.html", context)  # htmx swaps 200s only
    return response


@login_required
@require_POST
def account_assign(request: HttpRequest) -> HttpResponse:
    """Assign the ticked accounts, or all those matching the list's filter (the address's parameters, read
    again here within the user's accounts), to a CSM; back to the list with a message, or the list again with
    the refusal beside the form and what was chosen kept."""
    if not request.user.sees_all_accounts:  # managers and admins assign; a CSM never does
        raise PermissionDenied
    params, filtered = _filtered_accounts(request.user, request.GET)
    form = AssignForm(request.POST, checked=request.POST.getlist("account"))
    if form.is_valid():
        data = form.cleaned_data
        accounts = filtered.accounts if data["scope"] == "matching" \
            else accounts_for_user(request.user).filter(external_id__in=form.checked)
        try:
            moved = accounts_assign(accounts=accounts, csm=data["csm"], by=request.user, reason=data["reason"])
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            notice = f"{moved} account{pluralize(moved)} assigned to {data['csm'].get_full_name() or data['csm']}."
            if request.htmx:
                return _account_list_page(request, request.GET, AssignForm(checked=[]), notice=notice)
            messages.success(request, notice)
            return redirect(_list_address(request.GET))
    return _account_list_page(request, request.GET, form, status=400)


def _list_address(query: QueryDict) -> str:
    """The account list's address with the query's parameters in use."""
    kept = _kept(query)
    return reverse("account_list") + (f"?{kept.urlencode()}" if kept else "")


@login_required
def csm_books_view(request: HttpRequest) -> HttpResponse:
    """Each CSM's book (accounts, ARR, risk, open and overdue tasks) and the assignment rules, for managers."""
    if not request.user.sees_all_accounts:  # managers and admins assign; a CSM never does
        raise PermissionDenied
    as_of = latest_as_of()
    context = {"as_of": as_of, "books": csm_books(request.user, as_of),
               "rules": AssignmentRule.objects.prefetch_related(Prefetch("team", queryset=User.objects.order_by(
                   "username"))).order_by("order", "id")}
    return render(request, "accounts/csm_books.html", context)


@login_required
@require_POST
def assignment_rules_apply_view(request: HttpRequest) -> HttpResponse:
    """Apply the assignment rules to the unassigned accounts now; back to the books with what they did."""
    if not request.user.sees_all_accounts:  # managers and admins assign; a CSM never does
        raise PermissionDenied
    applied = assignment_rules_apply(by=request.user)
    per_rule = "; ".join(f"{name}: {count}" for name, count in applied.assigned.items())
    messages.success(request, f"The assignment rules assigned {applied.total} account{pluralize(applied.total)}"
                              + (f" ({per_rule})" if per_rule else "") + f"; {applied.unmatched} unassigned "
                              f"account{pluralize(applied.unmatched)} matched no rule.")
    return redirect("csm_books")


def _filter_choices(user) -> dict[str, list]:
    """The options of the list's select boxes."""
    # Distinct values found by the database: 20,000 accounts never travel to Python for a select box.
    choices = {"risk_level": list(RISK_LEVELS), "health_tier": list(TIER_NAMES),
               "segment": [value for value, _ in Segment.choices],
               "plan_tier": plan_tiers(user)}
    choices["csm"] = (list(User.objects.filter(Exists(Account.objects.filter(csm=OuterRef("pk"))))
                           .order_by("email").values_list("email", flat=True)) if user.sees_all_accounts else [])
    return choices


@login_required
def account_export(request: HttpRequest) -> HttpResponse:
    """The list as filtered, as CSV with the export's columns (docs/scoring.md) (one row per account, latest scores); a
    filter that cannot be read is a 400 naming it (a file without that filter would look like the one asked for)."""
    params, filtered = _filtered_accounts(request.user, request.GET)
    if filtered.problems:
        lines = [f"{name}: {message}" for name, message in filtered.problems.items()]
        return HttpResponseBadRequest("\n".join(["The export was not made:", *lines]),
                                      content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="accounts-{latest_as_of() or "unscored"}.csv"'
    account_list_export(user=request.user, accounts=filtered.accounts,
                        filters={name: value for name, value in params.items() if value}, out=response)
    return response


@login_required
def account_detail(request: HttpRequest, external_id: str) -> HttpResponse:
    account = get_account_for_user(request.user, external_id)
    audit_record(user=request.user, action="viewed", obj=account)
    snapshot = latest_snapshot(account)
    expansion_signals, opportunities = account_expansion(account)
    # The timeline's rows, read once: the recent tickets, the outcomes and the trend are their first ones, and the
    # open alerts and interventions come with its own.
    timeline_page = _page_number(request.GET.get("timeline", "1"))
    sources = timeline_sources(account, timeline_page, also_alerts=Q(status=AlertStatus.OPEN),
                               also_interventions=Q(status=InterventionStatus.OPEN))
    interventions = account_interventions(account, sources.interventions)
    contacts = contacts_context(account)
    contacts["contacts"] = list(contacts["contacts"])  # the contacts section's, and the drafts' addressee
    context = {
        "expansion_signals": expansion_signals, "opportunities": opportunities,
        "account": account,
        "subscriptions": account.subscriptions.order_by("-start_date")[:50],
        "tickets": sources.tickets[:RECENT_ROWS],
        **contacts,
        "snapshot": snapshot, "churn": churn_card(account),
        "measures": (measures := measure_rows(snapshot) if snapshot else []),
        "verdict_note": verdict_note(snapshot, measures) if snapshot else "",
        "fired_rules": fired_rule_rows(snapshot) if snapshot else [],
        "alerts": [alert for alert in sources.alerts if alert.status == AlertStatus.OPEN],
        "steps": (steps := next_best_actions(snapshot) if snapshot else []),
        **plan_panel_context(account, checklist=next_best_action_items(account, steps)),
        "drafts": drafts_from_tasks(outreach_drafts(account, snapshot, steps, request.user.get_full_name()
                                                    or request.user.username, contacts["contacts"]),
                                    interventions, account)
        if snapshot else None,
        "interventions": interventions, "outcomes": sources.outcomes[:RECENT_ROWS],
        "outcome_kinds": OutcomeKind.choices,
        **churn_context(account),
        "now": timezone.now(),
        "timeline": account_timeline(account, timeline_page, sources),
        **LOG_FORM,
        "trend": (trend := _trend(sources.days, snapshot)),
        "trend_rows": list(zip(*trend.values(), strict=True))[::-1] if trend else [],
        "review_period": last_full_quarter(),
    }
    return render(request, "accounts/account_detail.html", context)


@login_required
def account_timeline_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """Account 360's timeline section alone (HTMX fetches it again after an outcome or a task changed);
    without HTMX, the account page at its timeline."""
    account = get_account_for_user(request.user, external_id)
    number = _page_number(request.GET.get("timeline", "1"))
    if not request.htmx:
        return redirect(reverse("account_detail", args=[account.external_id]) + f"?timeline={number}#timeline")
    context = {"account": account, "timeline": account_timeline(account, number)}
    return render(request, "accounts/_timeline.html", context)


TREND_DAYS = 90
RECENT_ROWS = 20  # Account 360's recent tickets and outcomes


TIMELINE_PAGE = WholeNumberField(min_value=1, max_value=9_999, required=False)


def _page_number(value: str) -> int:
    """The timeline's page (digits 0-9, 1 to 9,999); like the lists' ?page=, anything else shows the first."""
    try:
        return TIMELINE_PAGE.clean(value) or 1
    except ValidationError:
        return 1


def _trend(days: list[tuple], snapshot) -> dict[str, list] | None:
    """The account's daily health and risk over the TREND_DAYS days up to its latest snapshot, oldest first, from
    its scored days (accounts.timeline.TimelineSources.days, newest first)."""
    if snapshot is None:
        return None
    since = snapshot.as_of - dt.timedelta(days=TREND_DAYS)
    points = [(day, health, risk) for day, _, _, health, risk in reversed(days) if day > since]
    return {"dates": [d.isoformat() for d, _, _ in points], "health": [h for _, h, _ in points],
            "risk": [r for _, _, r in points]}


# Logging a touchpoint ---------------------------------------------------------------------------------------

TOUCHPOINT_LOGGED = "touchpointLogged"  # a touchpoint was logged: the account's timeline changes
LOG_FIELDS = ("kind", "direction", "contact", "subject", "text", "occurred_at")
LOG_FORM = {"log_kinds": [(k.value, k.label) for k in LOGGED_KINDS], "log_directions": Direction.choices,
            "log_subject_max": TOUCHPOINT_SUBJECT_MAX, "log_text_max": TOUCHPOINT_TEXT_MAX}


def _logged_words(touchpoint: Touchpoint) -> str:
    """What the flash says once a touchpoint is logged: what, with whom, and what the text reader read."""
    contact = f" with {touchpoint.contact.name}" if touchpoint.contact else ""
    return f"Logged: {touchpoint.get_kind_display()}{contact}. {reading_words(touchpoint)}"


def _touchpoint_from_form(request: HttpRequest, account: Account, form: TouchpointForm
                          ) -> tuple[Touchpoint | None, dict[str, str]]:
    """The touchpoint logged from a valid form, or the problems of each refused field (nothing written)."""
    problems = form_problems(form)
    data = form.cleaned_data
    contact = None
    if data.get("contact"):
        contact = account.contacts.filter(external_id=data["contact"]).first()
        if contact is None:
            problems.setdefault("contact", "That is not one of this account's contacts; choose one from the list.")
    if problems:
        return None, problems
    try:
        touchpoint = touchpoint_log(account=account, user=request.user, kind=data["kind"], text=data["text"],
                                    direction=data["direction"], contact=contact, subject=data["subject"],
                                    occurred_at=data["occurred_at"])
    except DomainError as problem:
        return None, {problem.field or "text": problem.message}
    return touchpoint, {}


@login_required
@require_http_methods(["GET", "POST"])
def touchpoint_log_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """Log a call, meeting, e-mail or note on an account (docs/pages.md). From Account 360 the form comes back
    with what the text reader read and the timeline fetches itself again (HTMX); from a task row of My queue
    the row comes back; without JavaScript the page the form was on, or, when refused, the form again with
    what was typed and why (400). GET shows the form on a page of its own (?contact= chooses the contact); its
    HTMX fragment is what the form's contact list fetches again when a contact is added, edited or left."""
    account = get_account_for_user(request.user, external_id)
    if request.method == "GET":
        template = "accounts/_log_activity.html" if request.htmx else "accounts/touchpoint_form.html"
        back = reverse("account_detail", args=[account.external_id])
        return render(request, template, {"account": account, "contacts": account.contacts.order_by("name"),
                                          "now": timezone.now(), "next": back,
                                          "log_contact": request.GET.get("contact", ""), **LOG_FORM})
    form = TouchpointForm(request.POST)
    form.is_valid()
    task_id = form.cleaned_data.get("task")
    task = get_task_for_user(request.user, task_id) if task_id else None
    if task is not None and task.account_id != account.pk:
        raise Http404("No such task on this account.")
    touchpoint, problems = _touchpoint_from_form(request, account, form)
    typed = {name: request.POST.get(name, "") for name in LOG_FIELDS}
    outcome = ({"log_problems": problems, "log_typed": typed} if problems
               else {"flash": _logged_words(touchpoint)})
    if request.htmx and task is not None:
        task.refresh_from_db()
        response = render(request, "interventions/_task_row.html",
                          {"task": task, "outcome_kinds": OutcomeKind.choices, "now": timezone.now(), **outcome})
    elif request.htmx:
        response = render(request, "accounts/_log_activity.html",
                          {"account": account, "contacts": account.contacts.order_by("name"), "now": timezone.now(),
                           **LOG_FORM, **outcome})
    elif problems:  # without JavaScript: the form alone, with what was typed and the problems
        back = reverse("account_detail", args=[account.external_id])
        return render(request, "accounts/touchpoint_form.html",
                      {"account": account, "contacts": account.contacts.order_by("name"), "now": timezone.now(),
                       "next": next_address(request, back), **LOG_FORM, **outcome}, status=400)
    else:
        messages.success(request, f"{_logged_words(touchpoint)} ({account.name})")
        return redirect(next_address(request, reverse("account_detail", args=[account.external_id]) + "#timeline"))
    if not problems:
        response["HX-Trigger"] = TOUCHPOINT_LOGGED
    return response


# Saved views of the account list ---------------------------------------------------------------------------

LIST_OWN = ("page", "default")  # the list's parameters that are not part of a view (its page; default=off)


def _viewed(request: HttpRequest) -> QueryDict:
    """The list's query a saved-view form was sent from (its address carries it), without the page."""
    query = request.GET.copy()
    for name in LIST_OWN:
        query.pop(name, None)
    return query


def _picker_answer(request: HttpRequest, *, done: str = "", problems: dict | None = None, typed: dict | None = None,
                   where: str = "", view_id: int | None = None, to: QueryDict | None = None) -> HttpResponse:
    """What a saved-view form gets back. With HTMX the list's rows and views in place (the notice, or the
    problems beside the form with what was typed); without JavaScript the list again with a message, or the
    page with the problems (400)."""
    query = request.GET if to is None else to
    picker = {"problems": problems or {}, "typed": typed or {}, "view_id": view_id, "where": where if problems else ""}
    if request.htmx:
        response = _account_list_page(request, query, AssignForm(checked=[]), notice=done, picker=picker)
        response["HX-Push-Url"] = _list_address(query)
        return response
    if problems:
        return _account_list_page(request, query, AssignForm(checked=[]), status=400, picker=picker)
    messages.success(request, done)
    return redirect(_list_address(query))


def _typed_view(request: HttpRequest) -> dict:
    return {"name": request.POST.get("name", ""), "shared": bool(request.POST.get("shared"))}


@login_required
@require_POST
def saved_view_create_view(request: HttpRequest) -> HttpResponse:
    """Save the list's filter and sort (the form's address carries them) under a name, shared or not."""
    form = SavedViewForm(request.POST)
    problems = form_problems(form)
    if not problems:
        try:
            view = saved_view_create(owner=request.user, name=form.cleaned_data["name"],
                                     query=_viewed(request).urlencode(), shared=form.cleaned_data["shared"])
        except DomainError as error:
            problems = {error.field or "name": error.message}
        else:
            return _picker_answer(request, done=f"Saved the view “{view.name}”"
                                  + (", shared with the team." if view.shared else "."), to=QueryDict(view.query))
    return _picker_answer(request, problems=problems, typed=_typed_view(request), where="save")


@login_required
def saved_view_open(request: HttpRequest, view_id: int) -> HttpResponse:
    """The account list showing a view (one's own or a shared one)."""
    view = get_view_for_user(request.user, view_id)
    return redirect(_list_address(QueryDict(view.query)))


@login_required
@require_POST
def saved_view_update_view(request: HttpRequest, view_id: int) -> HttpResponse:
    """Rename one's own view, or share it or not."""
    view = get_own_view(request.user, view_id)
    form = SavedViewForm(request.POST)
    problems = form_problems(form)
    if not problems:
        try:
            view = saved_view_update(view=view, by=request.user, name=form.cleaned_data["name"],
                                     shared=form.cleaned_data["shared"])
        except DomainError as error:
            problems = {error.field or "name": error.message}
        else:
            return _picker_answer(request, done=f"Saved the view “{view.name}”"
                                  + (" (shared)." if view.shared else " (only you see it)."))
    return _picker_answer(request, problems=problems, typed=_typed_view(request), where="view", view_id=view.pk)


@login_required
@require_POST
def saved_view_delete_view(request: HttpRequest, view_id: int) -> HttpResponse:
    """Delete one's own view (and its pins)."""
    view = get_own_view(request.user, view_id)
    try:
        saved_view_delete(view=view, by=request.user)
    except DomainError as error:
        return _picker_answer(request, problems={"delete": error.message}, where="view", view_id=view.pk)
    return _picker_answer(request, done=f"Deleted the view “{view.name}”.")


@login_required
@require_POST
def saved_view_pin_view(request: HttpRequest, view_id: int) -> HttpResponse:
    """Pin a view (one's own or a shared one) to one's home page (pinned=yes), or unpin it (pinned=no)."""
    view = get_view_for_user(request.user, view_id)
    if request.POST.get("pinned") == "no":
        saved_view_unpin(view=view, user=request.user)
        return _picker_answer(request, done=f"“{view.name}” is no longer on your home page.")
    try:
        saved_view_pin(view=view, user=request.user)
    except DomainError as error:
        return _picker_answer(request, problems={"pin": error.message}, where="view", view_id=view.pk)
    return _picker_answer(request, done=f"Pinned “{view.name}” to your home page.")


@login_required
@require_POST
def role_default_set_view(request: HttpRequest) -> HttpResponse:
    """Set (or clear) the default view of a role; managers and admins only."""
    if not request.user.sees_all_accounts:  # managers and admins set the defaults; a CSM never does
        raise PermissionDenied
    form = RoleDefaultForm(request.POST)
    problems = form_problems(form)
    if not problems:
        data = form.cleaned_data
        try:
            role_default_set(role=data["role"], view=data["view"], by=request.user)
        except DomainError as error:
            problems = {error.field or "view": error.message}
        else:
            label = DefaultRole(data["role"]).label
            return _picker_answer(request, done=f"The {label} default view is now “{data['view'].name}”."
                                  if data["view"] else f"The {label} role has no default view now.")
    return _picker_answer(request, problems=problems, where="default",
                          typed={"role": request.POST.get("role", ""), "view": request.POST.get("view", "")})
