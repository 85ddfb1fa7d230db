"""The success plan's steps on Account 360 and the plan page, written in Python: each step has a status form and an
edit form with an owner box, and through the template engine a plan of a dozen steps took about 8 ms of Account
360's budget. The HTML is the one templates/interventions/_success_plan.html and _plan_step_fields.html wrote,
every value escaped; the tags read what those templates read from the context:

    account, step, objective        the step (or, for a new step, its objective) of the account's plan
    step_statuses, plan_owners      the status box's and the owner box's choices ((value, label) pairs)
    today                           what is overdue is due before it
    next                            where the forms go back to (else the page's own address)
    plan_target, plan_refused, plan_problems, plan_typed
                                    a refused form (which one, on which step), its problems and what was typed"""

from django import template
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from accounts.templatetags.people import person
from healthcs.form_html import back_address, csrf_input, local_minute

register = template.Library()


def _options(choices, chosen) -> str:
    return format_html_join("", '<option value="{}"{}>{}</option>',
                            ((value, " selected" if value == chosen else "", label) for value, label in choices))


def step_fields(context, step, objective, *, typed: dict | None, refused: bool) -> SafeString:
    """The form that edits a step (or adds one to the objective, step None), with what was typed when refused."""
    account = context["account"]
    typed = typed or {}
    if step is not None:
        action = reverse("plan_step_edit", args=[account.external_id, step.pk])
        ident = str(step.pk)
    else:
        action = reverse("plan_step_add", args=[account.external_id, objective.pk])
        ident = f"new-{objective.pk}"
    if refused:
        title, chosen, due = typed.get("title", ""), typed.get("owner") or "", typed.get("due_on", "")
    elif step is not None:
        title, chosen = step.title, str(step.owner_id)
        due = date_filter(step.due_on, "Y-m-d") if step.due_on else ""
    else:
        title, chosen, due = "", str(account.csm_id), ""
    buttons = ('<button type="submit">Save</button> <button type="submit" name="remove" value="1" formnovalidate>'
               'Remove the step</button>' if step is not None else '<button type="submit">Add step</button>')
    problems = (format_html_join("", '<p class="problems" role="alert">{}</p>',
                                 ((message,) for message in (context.get("plan_problems") or {}).values()))
                if refused else "")
    return format_html(
        '<form class="inline-form" method="post" action="{action}" hx-post="{action}" hx-target="#success-plan" '
        'hx-swap="outerHTML" data-testid="{kind}">{csrf}<input type="hidden" name="next" value="{back}">\n'
        '  <label for="step-title-{ident}">Step</label>\n'
        '  <input type="text" id="step-title-{ident}" name="title" maxlength="200" size="40" value="{title}" '
        'required>\n'
        '  <label for="step-owner-{ident}">Owner</label>\n'
        '  <select id="step-owner-{ident}" name="owner"><option value="">Nobody yet</option>{owners}</select>\n'
        '  <label for="step-due-{ident}">Due date</label>\n'
        '  <input type="date" id="step-due-{ident}" name="due_on" value="{due}">\n'
        '  {buttons}\n</form>\n{problems}\n',
        action=action, kind="step-edit" if step is not None else "step-add", csrf=csrf_input(context),
        back=back_address(context), ident=ident, title=title,
        owners=_options(context.get("plan_owners") or (), chosen), due=due, buttons=mark_safe(buttons),
        problems=problems)


@register.simple_tag(takes_context=True)
def plan_step_fields(context) -> SafeString:
    """templates/interventions/_plan_step_fields.html: the context's step (None: a new step of its objective)."""
    return step_fields(context, context.get("step"), context.get("objective"), typed=context.get("typed"),
                       refused=bool(context.get("refused")))


@register.simple_tag(takes_context=True)
def plan_step(context) -> SafeString:
    """The context's step as an item of its objective's list: its status form, and its edit form folded away."""
    step, account = context["step"], context["account"]
    status_url = reverse("plan_step_status", args=[account.external_id, step.pk])
    today = context.get("today")
    overdue = step.due_on is not None and today is not None and step.due_on < today and step.status != "done"
    due = f", due {date_filter(step.due_on, 'Y-m-d')}" if step.due_on else ""
    done = (format_html('<small class="muted" data-testid="step-done">done by {} on {}</small>',
                        person(step.done_by, "a former user"),
                        local_minute(step.done_at))
            if step.status == "done" else "")
    targeted = context.get("plan_target") == step.pk
    refused = context.get("plan_refused") if targeted else ""
    problem = (format_html('<p class="problems" role="alert">{}</p>', (context.get("plan_problems") or {})
                           .get("status", "")) if refused == "step_status" else "")
    editing = refused == "step_edit"
    fields = step_fields(context, step, context.get("objective"), typed=context.get("plan_typed") if editing else None,
                         refused=editing)
    return format_html(
        '<li id="plan-step-{pk}" data-testid="plan-step">\n'
        '        <form class="inline-form" method="post" action="{url}" hx-post="{url}" hx-trigger="change" '
        'hx-target="#success-plan" hx-swap="outerHTML">{csrf}<input type="hidden" name="next" value="{back}">\n'
        '          <label for="step-status-{pk}">Status</label>\n'
        '          <select id="step-status-{pk}" name="status">{statuses}</select>\n'
        '          <noscript><button type="submit">Save</button></noscript>\n'
        '          <span data-testid="step-title">{title}</span>\n'
        '          <small>{owner}{due}</small>\n'
        '          {overdue}\n'
        '          {done}\n'
        '        </form>\n'
        '        {problem}\n'
        '        <details{open}><summary>Edit or remove this step</summary>\n'
        '          {fields}\n'
        '        </details>\n'
        '      </li>',
        pk=step.pk, url=status_url, csrf=csrf_input(context), back=back_address(context),
        statuses=_options(context.get("step_statuses") or (), step.status), title=step.title,
        owner=person(step.owner, "Nobody yet"), due=due,
        overdue=mark_safe('<span class="badge bad">overdue</span>' if overdue else ""), done=done, problem=problem,
        open=" open" if editing else "", fields=fields)
