"""Pages of the interventions app: a CSM's work on tasks (done, snooze, log an outcome) in place with HTMX
or as plain forms, and the managers' effectiveness page."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import get_account_for_user
from healthcs.redirects import redirect_back
from interventions.effectiveness import effectiveness
from interventions.models import OutcomeKind
from interventions.selectors import (
    QUEUE_LISTS,
    account_outcomes,
    get_intervention_for_user,
    get_task_for_user,
    queue_tasks,
)
from interventions.services import SnoozeProblem, notifications_read, outcome_log, task_done, task_snooze


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
        response["HX-Trigger"] = "tasksChanged"
        return response
    messages.success(request, f"Done: {task.title} for {task.account.name}.")
    return redirect_back(request, "home")


def _parse_until(value: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@login_required
@require_POST
def task_snooze_view(request: HttpRequest, task_id: int) -> HttpResponse:
    task = get_task_for_user(request.user, task_id)
    typed = {"until": request.POST.get("until", ""), "reason": request.POST.get("reason", "")}
    until = _parse_until(typed["until"])
    try:
        if until is None:
            raise SnoozeProblem("until", "Give a date and time, e.g. 2025-04-02 09:00.")
        task_snooze(task=task, user=request.user, until=until, reason=typed["reason"])
    except SnoozeProblem as problem:
        context = {"snooze_error": problem.message, "snooze_typed": typed}
        if request.htmx:
            return _row(request, task, **context)
        return render(request, "interventions/task_form.html", _row_context(task, **context), status=400)
    until_text = f"{timezone.localtime(until):%Y-%m-%d %H:%M}"
    if request.htmx:
        response = _row(request, task, flash=f"Snoozed until {until_text}.")
        response["HX-Trigger"] = "tasksChanged"
        return response
    messages.success(request, f"Snoozed: {task.title} until {until_text}.")
    return redirect_back(request, "home")


@login_required
@require_POST
def outcome_log_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """Log an outcome on an account (and one of its interventions). From a task row the row comes back;
    from Account 360 the outcomes section; without JavaScript the page the form was on."""
    account = get_account_for_user(request.user, external_id)
    typed = {"kind": request.POST.get("kind", ""), "note": request.POST.get("note", "")}
    intervention = task = None
    if request.POST.get("intervention", "").isdigit():
        intervention = get_intervention_for_user(request.user, int(request.POST["intervention"]))
    if request.POST.get("task", "").isdigit():
        task = get_task_for_user(request.user, int(request.POST["task"]))
    error = ""
    try:
        outcome = outcome_log(account=account, user=request.user, kind=typed["kind"], note=typed["note"],
                              intervention=intervention)
    except ValidationError as problem:
        error = " ".join(message for messages_ in problem.message_dict.values() for message in messages_)
        outcome = None
    if request.htmx:
        if task is not None:
            context = ({"outcome_error": error, "outcome_typed": typed} if error
                       else {"flash": f"Outcome logged: {outcome.get_kind_display()}."})
            return _row(request, task, **context)
        context = {"account": account, "outcomes": account_outcomes(account), "outcome_kinds": OutcomeKind.choices,
                   "outcome_error": error, "outcome_typed": typed if error else {},
                   "flash": "" if error else f"Outcome logged: {outcome.get_kind_display()}."}
        return render(request, "interventions/_outcomes.html", context)
    if error:
        messages.error(request, f"The outcome was not logged: {error}")
    else:
        messages.success(request, f"Outcome logged on {account.name}: {outcome.get_kind_display()}.")
    return redirect_back(request, reverse("account_detail", args=[account.external_id]))


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


@login_required
@require_GET
def task_list_view(request: HttpRequest) -> HttpResponse:
    """More of My queue (`?list=due|upcoming&offset=N`): HTMX puts the tasks in place of the list's "show
    more"; without JavaScript they are a page of their own with a link to the next ones."""
    form = TaskListForm(request.GET)
    if not form.is_valid():
        problems = " ".join(problem for field_problems in form.errors.values() for problem in field_problems)
        return HttpResponseBadRequest(problems, content_type="text/plain; charset=utf-8")
    listed = queue_tasks(request.user, form.cleaned_data["list"], form.cleaned_data["offset"] or 0)
    context = _row_context(None, more=listed)
    return render(request, "interventions/_task_list.html" if request.htmx else "interventions/tasks.html", context)
