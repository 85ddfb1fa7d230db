"""Pages of the interventions app: a CSM's work on tasks (done, snooze, log an outcome; on the Tasks page many
at once: filtered, sorted, done, snoozed or reassigned together) and on the Next Best Action checklist, in
place with HTMX or as plain forms, and the managers' effectiveness page. What is typed is read by the forms of
interventions.forms; a refused value is shown where it was typed (HTTP 400 without JavaScript).

A change answers with an HX-Trigger event (tasksChanged, outcomeLogged) that the other parts of the page
showing the same facts listen to: the queue's counts and the account's timeline fetch themselves again."""


from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import get_account_for_user
from healthcs.errors import DomainError
from healthcs.inputs import form_problems, joined_problems, valid_data
from healthcs.redirects import next_address, redirect_back
from interventions.effectiveness import effectiveness
from interventions.forms import DUE_CHOICES, TASK_ORDERING_LABELS, OutcomeForm, SnoozeForm, TaskBulkForm, filter_tasks
from interventions.models import Channel, OutcomeKind, Playbook
from interventions.selectors import (
    QUEUE_LISTS,
    account_outcomes,
    chosen_tasks,
    get_intervention_for_user,
    get_task_for_user,
    next_best_action_items,
    queue_tasks,
    task_assignees,
    task_counts,
    task_page_rows,
    task_scope,
)
from interventions.services import (
    next_best_action_set,
    notifications_read,
    outcome_log,
    task_done,
    task_snooze,
    tasks_done,
    tasks_reassign,
    tasks_snooze,
)
from scoring.outreach import next_best_actions
from scoring.selectors import latest_snapshot

TASKS_CHANGED = "tasksChanged"  # a task was done or snoozed: the queue's counts change
OUTCOME_LOGGED = "outcomeLogged"  # an outcome was logged: the account's timeline changes


def _row_context(task, **extra) -> dict:
    """What a task row (templates/interventions/_task_row.html) shows, alone or inside a page."""
    return {"task": task, "outcome_kinds": OutcomeKind.choices, "now": timezone.now(), **extra}


def _row(request: HttpRequest, task, **extra) -> HttpResponse:
    task.refresh_from_db()
    return render(request, "interventions/_task_row.html", _row_context(task, **extra))


@login_required
@require_POST
def task_done_view(request: HttpRequest, task_id: int) -> HttpResponse:
    task = get_task_for_user(request.user, task_id)
    task_done(task=task, user=request.user)
    if request.htmx:
        response = _row(request, task, flash=f"Done: {task.title}.")
        response["HX-Trigger"] = TASKS_CHANGED
        return response
    messages.success(request, f"Done: {task.title} for {task.account.name}.")
    return redirect_back(request, "home")


@login_required
@require_POST
def task_snooze_view(request: HttpRequest, task_id: int) -> HttpResponse:
    task = get_task_for_user(request.user, task_id)
    typed = {"until": request.POST.get("until", ""), "reason": request.POST.get("reason", "")}
    try:
        snooze = valid_data(SnoozeForm(request.POST))
        until = snooze["until"]
        task_snooze(task=task, user=request.user, until=until, reason=snooze["reason"])
    except DomainError as problem:
        context = {"snooze_error": problem.message, "snooze_typed": typed}
        if request.htmx:
            return _row(request, task, **context)
        return render(request, "interventions/task_form.html", _row_context(task, **context), status=400)
    until_text = f"{timezone.localtime(until):%Y-%m-%d %H:%M}"
    if request.htmx:
        response = _row(request, task, flash=f"Snoozed until {until_text}.")
        response["HX-Trigger"] = TASKS_CHANGED
        return response
    messages.success(request, f"Snoozed: {task.title} until {until_text}.")
    return redirect_back(request, "home")


@login_required
@require_POST
def outcome_log_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """Log an outcome on an account (and one of its interventions). From a task row the row comes back;
    from Account 360 the outcomes section; without JavaScript the page the form was on, or, when refused,
    the form again with what was typed and why (400)."""
    account = get_account_for_user(request.user, external_id)
    typed = {"kind": request.POST.get("kind", ""), "note": request.POST.get("note", "")}
    form = OutcomeForm(request.POST)
    form.is_valid()
    ids = form.cleaned_data  # the fields that could be read, even when another could not
    intervention = get_intervention_for_user(request.user, ids["intervention"]) if ids.get("intervention") else None
    task = get_task_for_user(request.user, ids["task"]) if ids.get("task") else None
    error = " ".join(form_problems(form).values())
    outcome = None
    if not error:
        try:
            outcome = outcome_log(account=account, user=request.user, kind=ids["kind"], note=ids["note"],
                                  intervention=intervention)
        except DomainError as problem:
            error = problem.message
    if request.htmx or (error and task is not None):
        if task is not None:
            context = ({"outcome_error": error, "outcome_typed": typed} if error
                       else {"flash": f"Outcome logged: {outcome.get_kind_display()}."})
            if not request.htmx:  # without JavaScript: the task's own page, with what was typed
                return render(request, "interventions/task_form.html",
                              _row_context(task, next=_next(request, account), **context), status=400)
            response = _row(request, task, **context)
        else:
            context = {"account": account, "outcomes": account_outcomes(account),
                       "outcome_kinds": OutcomeKind.choices, "outcome_error": error,
                       "outcome_typed": typed if error else {},
                       "flash": "" if error else f"Outcome logged: {outcome.get_kind_display()}."}
            response = render(request, "interventions/_outcomes.html", context)
        if not error:
            response["HX-Trigger"] = OUTCOME_LOGGED
        return response
    if error:  # without JavaScript: the outcome form alone, with what was typed and the problem
        context = {"account": account, "outcomes": account_outcomes(account), "outcome_kinds": OutcomeKind.choices,
                   "outcome_error": error, "outcome_typed": typed, "next": _next(request, account)}
        return render(request, "interventions/outcome_form.html", context, status=400)
    messages.success(request, f"Outcome logged on {account.name}: {outcome.get_kind_display()}.")
    return redirect_back(request, reverse("account_detail", args=[account.external_id]))


def _next(request: HttpRequest, account) -> str:
    """Where the re-shown form goes back to once it succeeds: where it came from, on this site."""
    return next_address(request, reverse("account_detail", args=[account.external_id]))


@login_required
def queue_counts_view(request: HttpRequest) -> HttpResponse:
    """The queue header's counts (due today, overdue), fetched again after a task changed."""
    if not request.htmx:
        return redirect("home")
    return render(request, "interventions/_queue_counts.html", {"queue": task_counts(request.user)})


@login_required
@require_POST
def next_best_action_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """Tick or untick an action of the account's Next Best Action checklist: the checklist comes back
    with HTMX; without JavaScript, the account page (or the checklist with the problem, HTTP 400)."""
    account = get_account_for_user(request.user, external_id)
    snapshot = latest_snapshot(account)
    steps = next_best_actions(snapshot) if snapshot else []
    action, done = request.POST.get("action", ""), request.POST.get("done", "") == "on"
    error = ""
    try:
        next_best_action_set(account=account, user=request.user, action=action, done=done,
                             allowed=[step.action for step in steps])
    except DomainError as problem:
        error = problem.message
    context = {"account": account, "checklist": next_best_action_items(account, steps), "checklist_error": error}
    if request.htmx:
        return render(request, "interventions/_next_best_action.html", context)
    if error:
        return render(request, "interventions/next_best_action.html", context, status=400)
    messages.success(request, f"{'Done' if done else 'Not done'}: {action}.")
    return redirect(reverse("account_detail", args=[account.external_id]) + "#next-best-action")


@login_required
@require_POST
def notifications_read_view(request: HttpRequest) -> HttpResponse:
    notifications_read(user=request.user)
    if request.htmx:
        return HttpResponse("")
    return redirect_back(request, "home")


@login_required
def effectiveness_view(request: HttpRequest) -> HttpResponse:
    """Managers: which playbook works, against its control group; workload per CSM."""
    if not request.user.sees_all_accounts:
        raise PermissionDenied("The effectiveness page is for managers.")
    report = effectiveness()
    outcome_rows = [(f"{r.playbook} ({r.tier})", [r.outcomes.get(value, 0) for value, _ in OutcomeKind.choices])
                    for r in report.rows if r.outcomes]
    context = {"report": report, "charts": report.charts(), "outcome_kinds": OutcomeKind.choices,
               "outcome_rows": outcome_rows}
    return render(request, "interventions/effectiveness.html", context)


class TaskListForm(forms.Form):
    """Which list of My queue "show more" asks for, and from which task on."""

    list = forms.ChoiceField(choices=[(name, name) for name in QUEUE_LISTS], error_messages={
        "required": f"Say which list: {' or '.join(QUEUE_LISTS)}.",
        "invalid_choice": f"'%(value)s' is not a list of the queue; use {' or '.join(QUEUE_LISTS)}."})
    offset = forms.IntegerField(min_value=0, max_value=1_000_000, required=False, error_messages={
        "invalid": "The offset must be a whole number of tasks, 0 or more.",
        "min_value": "The offset must be a whole number of tasks, 0 or more.",
        "max_value": "The offset must be at most 1,000,000 tasks."})


TASK_FILTERS = ("due", "account", "playbook", "channel", "priority", "assignee", "ordering")
TASK_PAGE = 25  # tasks a page of the Tasks page shows (each row carries its forms: 25 rows are ~90 KB of HTML)
BULK_TYPED = ("action", "scope", "until", "reason", "assignee")  # what the bulk form shows again when refused


@login_required
@require_GET
def task_list_view(request: HttpRequest) -> HttpResponse:
    """The Tasks page (docs/pages.md#tasks): the user's open tasks filtered, sorted and a page at a time, with
    bulk actions; with HTMX the rows change in place and the address follows. With `?list=due|upcoming` it is
    still My queue's "show more" (queue_more)."""
    if "list" in request.GET or "offset" in request.GET:
        return _queue_more(request)
    response = _task_page(request, _bulk_form(request))
    if request.htmx:
        kept = _kept(request)
        response["HX-Push-Url"] = request.path + (f"?{kept.urlencode()}" if kept else "")
    return response


def _kept(request: HttpRequest) -> QueryDict:
    """The filter's parameters in use: links, the address and the bulk form carry only these."""
    kept = QueryDict(mutable=True)
    kept.update({name: request.GET[name] for name in (*TASK_FILTERS, "page") if request.GET.get(name, "").strip()})
    return kept


def _bulk_form(request: HttpRequest, data=None) -> TaskBulkForm:
    return TaskBulkForm(data, assignees=task_assignees(request.user))


def _filtered(request: HttpRequest, form: TaskBulkForm):
    """The user's open tasks narrowed and ordered by the address's filter, and what the filter offers."""
    now = timezone.now()
    playbooks = list(Playbook.objects.only("id", "name", "priority").order_by("priority", "name"))
    assignees = list(form.fields["assignee"].queryset) if request.user.sees_all_accounts else []
    params = {name: request.GET.get(name, "") for name in TASK_FILTERS}
    filtered = filter_tasks(task_scope(request.user, now), params, user=request.user, now=now, playbooks=playbooks,
                            assignees=assignees)
    return params, filtered, playbooks, assignees


def _task_page(request: HttpRequest, form: TaskBulkForm, *, notice: str = "", status: int = 200,
               counts_changed: bool = False) -> HttpResponse:
    """The Tasks page (or, for HTMX, its rows with the bulk form) with the bulk form as given (its ticked tasks
    kept); after a bulk action with HTMX the header's counts come along, swapped out of band."""
    params, filtered, playbooks, assignees = _filtered(request, form)
    page = Paginator(task_page_rows(filtered.tasks), TASK_PAGE).get_page(request.GET.get("page"))
    kept = _kept(request)
    ticked = form.data.getlist("task") if form.is_bound else []
    context = _row_context(
        None, page=page, params=params, problems=filtered.problems, kept=kept, form=form,
        bulk_problems=form_problems(form) if form.is_bound else {},
        typed={name: form.data.get(name, "") if form.is_bound else "" for name in BULK_TYPED},
        checked={int(i) for i in ticked if i.isascii() and i.isdigit() and len(i) < 19}, notice=notice,
        selectable=True, counts=task_counts(request.user), counts_changed=counts_changed,
        filtering=any(params[name] for name in TASK_FILTERS if name != "ordering"),
        next=reverse("task_list") + (f"?{kept.urlencode()}" if kept else ""),
        assignees=form.fields["assignee"].queryset)
    if request.htmx:
        return render(request, "interventions/_task_rows.html", context)
    context |= {"choices": {"due": DUE_CHOICES, "playbook": playbooks, "channel": Channel.choices,
                            "priority": sorted({p.priority for p in playbooks}), "assignee": assignees},
                "orderings": TASK_ORDERING_LABELS}
    return render(request, "interventions/task_page.html", context, status=status)


@login_required
@require_POST
def task_bulk_view(request: HttpRequest) -> HttpResponse:
    """Mark done, snooze or reassign the ticked tasks, or all those matching the page's filter (the address's
    parameters, read again here within the user's tasks), all or none; back to the page with a message and the
    new counts, or the page again with the refusal beside the form and what was chosen and typed kept."""
    form = _bulk_form(request, request.POST)
    if not form.is_valid():
        return _task_page(request, form, status=400)
    data = form.cleaned_data
    try:
        tasks = _matching(request, form) if data["scope"] == "matching" else chosen_tasks(request.user, data["task"])
        notice = _bulk_do(request.user, data, tasks)
    except DomainError as problem:
        form.add_error(problem.field if problem.field in form.fields else None, problem.message)
        return _task_page(request, form, status=400)
    if request.htmx:
        return _task_page(request, _bulk_form(request), notice=notice, counts_changed=True)
    messages.success(request, notice)
    kept = _kept(request)
    kept.pop("page", None)
    return redirect(reverse("task_list") + (f"?{kept.urlencode()}" if kept else ""))


def _matching(request: HttpRequest, form: TaskBulkForm):
    """All the user's tasks matching the address's filter; refused when a filter value cannot be read (left out,
    it would widen the set acted on)."""
    filtered = _filtered(request, form)[1]
    if filtered.problems:
        raise DomainError("The filter has a value that cannot be read, so \"all matching\" would take more tasks than "
                          "shown: " + " ".join(filtered.problems.values()), field="scope")
    return filtered.tasks


def _bulk_do(user, data: dict, tasks) -> str:
    """Run the chosen bulk action; what it did, as a sentence."""
    if data["action"] == "done":
        count = tasks_done(tasks=tasks, user=user)
        return f"{count} task{pluralize(count)} marked done."
    if data["action"] == "snooze":
        count = tasks_snooze(tasks=tasks, user=user, until=data["until"], reason=data["reason"])
        return f"{count} task{pluralize(count)} snoozed until {timezone.localtime(data['until']):%Y-%m-%d %H:%M}."
    count = tasks_reassign(tasks=tasks, user=user, to=data["assignee"])
    name = data["assignee"].get_full_name() or data["assignee"].username
    return f"{count} task{pluralize(count)} handed to {name}."


def _queue_more(request: HttpRequest) -> HttpResponse:
    """More of My queue (`?list=due|upcoming&offset=N`): HTMX puts the tasks in place of the list's "show
    more"; without JavaScript they are a page of their own with a link to the next ones."""
    params = request.GET.copy()
    params.setdefault("list", "due")
    form = TaskListForm(params)
    if not form.is_valid():
        return HttpResponseBadRequest(joined_problems(form.errors), content_type="text/plain; charset=utf-8")
    listed = queue_tasks(request.user, form.cleaned_data["list"], form.cleaned_data["offset"] or 0)
    context = _row_context(None, more=listed)
    return render(request, "interventions/_task_list.html" if request.htmx else "interventions/tasks.html", context)
