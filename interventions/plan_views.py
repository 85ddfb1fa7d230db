"""Pages of an account's success plan (docs/pages.md#success-plan): the plan made from the fired reasons,
objectives and steps added, edited and removed, and a step's status changed, on Account 360's plan panel in
place with HTMX or as plain forms (and a step's status from My queue). A change answers HTMX with the panel (or
the queue's row) and a planChanged event; without JavaScript it goes back to where the form was, or, when
refused, shows the plan page with what was typed and why (HTTP 400)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Account
from accounts.selectors import get_account_for_user
from accounts.templatetags.people import person
from healthcs.errors import DomainError
from healthcs.inputs import form_problems
from healthcs.redirects import next_address
from interventions.forms import PlanObjectiveForm, PlanStepForm, PlanStepStatusForm
from interventions.models import StepStatus
from interventions.plans import (
    objective_add,
    objective_edit,
    objective_remove,
    plan_create_from_reasons,
    step_add,
    step_edit,
    step_remove,
    step_status_set,
)
from interventions.selectors import (
    account_plan,
    get_plan_objective,
    get_plan_step,
    next_best_action_items,
    plan_owner_choices,
)
from scoring.outreach import next_best_actions
from scoring.selectors import latest_snapshot

PLAN_CHANGED = "planChanged"  # a plan changed: My queue's plan steps and the team view's progress change


def plan_panel_context(account: Account, checklist=None, **extra) -> dict:
    """What the plan panel (templates/interventions/_success_plan.html) shows: the plan, or without one the
    Next Best Action checklist it would be made from; the owners to choose from; a refused form's problems."""
    if checklist is None:
        snapshot = latest_snapshot(account)
        checklist = next_best_action_items(account, next_best_actions(snapshot) if snapshot else [])
    return {"account": account, "success_plan": account_plan(account), "checklist": checklist,
            # (value, name) once for every step's owner box, not a person look-up per step and owner
            "plan_owners": [(str(user.pk), person(user)) for user in plan_owner_choices(account)],
            "step_statuses": StepStatus.choices,
            "today": timezone.localdate(), "plan_flash": "", "plan_refused": "", "plan_problems": {},
            "plan_typed": {}, "plan_target": 0, **extra}


def _answer(request: HttpRequest, account: Account, *, done: str = "", refused: str = "",
            problems: dict | None = None, target: int = 0, fields: tuple[str, ...] = ()) -> HttpResponse:
    """The panel again (HTMX), back to the account (done, no JavaScript) or the plan page with the problems (400).
    `refused` names the form refused ("objective_add", "step_edit", ...), `target` its objective or step."""
    typed = {name: request.POST.get(name, "") for name in fields}
    context = plan_panel_context(account, plan_flash=done, plan_refused=refused, plan_problems=problems or {},
                                 plan_typed=typed if refused else {}, plan_target=target,
                                 next=_next(request, account))
    if request.htmx:
        response = render(request, "interventions/_success_plan.html", context)
        if not refused:
            response["HX-Trigger"] = PLAN_CHANGED
        return response
    if refused:
        return render(request, "interventions/success_plan.html", context, status=400)
    messages.success(request, done)
    return redirect(next_address(request, _back(account)))


def _back(account: Account) -> str:
    return reverse("account_detail", args=[account.external_id]) + "#success-plan"


def _next(request: HttpRequest, account: Account) -> str:
    return next_address(request, _back(account))


def _problems(form: forms.Form, error: DomainError | None = None) -> dict[str, str]:
    if error is not None:
        return {error.field or "title": error.message}
    return form_problems(form)


@login_required
def success_plan_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """GET: the plan page (the panel on a page of its own); POST: make the plan from the fired reasons."""
    account = get_account_for_user(request.user, external_id)
    if request.method != "POST":
        return render(request, "interventions/success_plan.html",
                      plan_panel_context(account, next=_back(account)))
    try:
        plan = plan_create_from_reasons(account=account, user=request.user)
    except DomainError as error:
        return _answer(request, account, refused="plan_create", problems={"plan": error.message})
    return _answer(request, account, done=f"Plan made: {plan.title}.")


@login_required
@require_POST
def plan_objective_add_view(request: HttpRequest, external_id: str) -> HttpResponse:
    account = get_account_for_user(request.user, external_id)
    form = PlanObjectiveForm(request.POST)
    error = None
    if form.is_valid():
        try:
            objective = objective_add(account=account, user=request.user, title=form.cleaned_data["title"])
        except DomainError as problem:
            error = problem
        else:
            return _answer(request, account, done=f"Objective added: {objective.title}.")
    return _answer(request, account, refused="objective_add", problems=_problems(form, error), fields=("title",))


@login_required
@require_POST
def plan_objective_edit_view(request: HttpRequest, external_id: str, objective_id: int) -> HttpResponse:
    """Rename an objective, or remove it with its steps (the form's `remove` button)."""
    account = get_account_for_user(request.user, external_id)
    objective = get_plan_objective(account, objective_id)
    if "remove" in request.POST:
        objective_remove(objective=objective, user=request.user)
        return _answer(request, account, done=f"Objective removed: {objective.title}.")
    form = PlanObjectiveForm(request.POST)
    error = None
    if form.is_valid():
        try:
            objective_edit(objective=objective, user=request.user, title=form.cleaned_data["title"])
        except DomainError as problem:
            error = problem
        else:
            return _answer(request, account, done=f"Objective saved: {objective.title}.")
    return _answer(request, account, refused="objective_edit", problems=_problems(form, error), target=objective.pk,
                   fields=("title",))


@login_required
@require_POST
def plan_step_add_view(request: HttpRequest, external_id: str, objective_id: int) -> HttpResponse:
    account = get_account_for_user(request.user, external_id)
    objective = get_plan_objective(account, objective_id)
    form = PlanStepForm(request.POST, account=account)
    error = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            step = step_add(objective=objective, user=request.user, title=data["title"], owner=data["owner"],
                            due_on=data["due_on"])
        except DomainError as problem:
            error = problem
        else:
            return _answer(request, account, done=f"Step added: {step.title}.")
    return _answer(request, account, refused="step_add", problems=_problems(form, error), target=objective.pk,
                   fields=("title", "owner", "due_on"))


@login_required
@require_POST
def plan_step_edit_view(request: HttpRequest, external_id: str, step_id: int) -> HttpResponse:
    """Change a step's title, owner and due date, or remove it (the form's `remove` button)."""
    account = get_account_for_user(request.user, external_id)
    step = get_plan_step(account, step_id)
    if "remove" in request.POST:
        step_remove(step=step, user=request.user)
        return _answer(request, account, done=f"Step removed: {step.title}.")
    form = PlanStepForm(request.POST, account=account)
    error = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            step_edit(step=step, user=request.user, title=data["title"], owner=data["owner"], due_on=data["due_on"])
        except DomainError as problem:
            error = problem
        else:
            return _answer(request, account, done=f"Step saved: {step.title}.")
    return _answer(request, account, refused="step_edit", problems=_problems(form, error), target=step.pk,
                   fields=("title", "owner", "due_on"))


@login_required
@require_POST
def plan_step_status_view(request: HttpRequest, external_id: str, step_id: int) -> HttpResponse:
    """Move a step to open, in progress, blocked or done. From My queue (`from=queue`) HTMX gets the queue's
    row back; from Account 360 the panel."""
    account = get_account_for_user(request.user, external_id)
    step = get_plan_step(account, step_id)
    form = PlanStepStatusForm(request.POST)
    problems = form_problems(form)
    if not problems:
        step_status_set(step=step, user=request.user, status=form.cleaned_data["status"])
    if request.htmx and request.POST.get("from") == "queue":
        response = render(request, "interventions/_plan_step_row.html", {
            "step": step, "today": timezone.localdate(), "step_statuses": StepStatus.choices,
            "row_problem": problems.get("status", ""),
            "flash": "" if problems else f"{step.get_status_display()}: {step.title}."})
        if not problems:
            response["HX-Trigger"] = PLAN_CHANGED
        return response
    if problems:
        return _answer(request, account, refused="step_status", problems=problems, target=step.pk)
    return _answer(request, account, done=f"{step.get_status_display()}: {step.title}.")
