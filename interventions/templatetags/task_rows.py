"""A task's row (My queue, the Tasks page, Account 360's open interventions, a row sent back after a change),
written in Python: with its four forms a row took about 1 ms through the template engine (some 3,000 calls),
a tenth of Account 360 and more of a long queue. The HTML is the one templates/interventions/_task_row.html
wrote, every value escaped by format_html; the row reads what that template read from its context:

    task            the task (with its account, intervention's playbook and assignee at hand)
    now             what is overdue is due before it
    outcome_kinds   the outcome form's choices
    selectable      a box to tick for the bulk forms (checked: the ids ticked)
    next            where the forms go back to (else the page's own address)
    flash           a sentence on the row (what was just done)
    snooze_error, snooze_typed, outcome_error, outcome_typed, log_problems, log_typed
                    a refused form: its problem, open, with what was typed"""

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from accounts.templatetags.people import person
from healthcs.form_html import back_address, csrf_input, local_minute

register = template.Library()

LOG_KINDS = (("call", "Call"), ("note", "Note"), ("email", "E-mail"), ("meeting", "Meeting"))


def _typed(context, name: str) -> dict:
    return context.get(name) or {}


@register.simple_tag(takes_context=True)
def task_row(context) -> SafeString:
    """The row of the context's task."""
    task = context["task"]
    now = context.get("now")
    is_open, is_done = task.status == "open", task.status == "done"
    overdue = not is_done and now is not None and task.due_at < now
    account = task.account
    state = " done" if is_done else " overdue" if overdue else ""
    box = ""
    if context.get("selectable") and is_open:
        checked = " checked" if task.pk in (context.get("checked") or ()) else ""
        box = format_html('<input type="checkbox" name="task" value="{}" form="task-bulk" aria-label="Select {} ({})" '
                          'data-testid="select-task"{}>', task.pk, task.title, account.name, checked)
    if is_done:
        badge = format_html('<span class="badge good">Done {}</span>\n    ', local_minute(task.done_at))
    elif overdue:
        badge = format_html('<span class="badge bad">Overdue since {}</span>\n    ', local_minute(task.due_at))
    else:
        badge = format_html('<span class="badge">Due {}</span>', local_minute(task.due_at))
    escalation = ('<span class="badge bad">Escalation</span>' if task.escalation_of_id
                  else '<span class="badge bad">Escalated</span>' if task.escalated_at else "")
    assignee = (person(task.assignee) if task.assignee
                else f"unassigned ({task.get_assignee_role_display()})")
    snoozed = format_html('<span class="muted">Snoozed: {}</span>', task.snooze_reason) if task.snooze_reason else ""
    flash = format_html('<p class="flash" role="status">{}</p>', context["flash"]) if context.get("flash") else ""
    message = (format_html('<details><summary>Message</summary><pre class="message">{}</pre></details>', task.message)
               if task.message else "")
    return format_html(
        '<li class="task{}" id="task-{}" data-testid="task">\n  <div class="task-head">\n    {}\n'
        '    <strong>{}</strong>\n    {}\n    {}\n'
        '    <span class="muted">{} · <a href="{}">{}</a> · {} · {}</span>\n    {}\n  </div>\n'
        '  {}\n  {}\n  {}\n</li>\n',
        state, task.pk, box, task.title, badge, mark_safe(escalation),
        task.get_channel_display(), reverse("account_detail", args=[account.external_id]), account.name,
        task.intervention.playbook.name, assignee, snoozed, flash, message,
        _actions(context, task) if is_open else "")


def _actions(context, task) -> SafeString:
    """The open task's forms: mark done, snooze, log an outcome, log a call or note. The row's values recur in
    each form, so each is escaped once (conditional_escape) and the forms are put together from the escaped text."""
    pk, external_id = task.pk, task.account.external_id
    back, csrf = back_address(context), csrf_input(context)
    done_url, snooze_url = reverse("task_done", args=[pk]), reverse("task_snooze", args=[pk])
    outcome_url = conditional_escape(reverse("outcome_log", args=[external_id]))
    log_url = conditional_escape(reverse("touchpoint_log", args=[external_id]))
    snooze_error, outcome_error, log_problems = (context.get("snooze_error"), context.get("outcome_error"),
                                                 context.get("log_problems"))
    snooze_typed, outcome_typed, log_typed = (_typed(context, "snooze_typed"), _typed(context, "outcome_typed"),
                                              _typed(context, "log_typed"))
    kinds = format_html_join("", '<option value="{}"{}>{}</option>',
                             ((value, " selected" if outcome_typed.get("kind") == value else "", label)
                              for value, label in context.get("outcome_kinds") or ()))
    chosen = log_typed.get("kind")
    log_kinds = "".join(f'<option value="{value}"{" selected" if value != "call" and chosen == value else ""}>{label}'
                        '</option>' for value, label in LOG_KINDS)
    target = f'hx-target="#task-{pk}" hx-swap="outerHTML"'
    snooze_problem = format_html('<p class="problems" role="alert">{}</p>', snooze_error) if snooze_error else ""
    outcome_problem = format_html('<p class="problems" role="alert">{}</p>', outcome_error) if outcome_error else ""
    log_problem = (format_html('<p class="problems" role="alert">{}</p>',
                               format_html_join("", "{} ", ((problem,) for problem in log_problems.values())))
                   if log_problems else "")
    return mark_safe(  # every value above is escaped
        f'\n  <div class="task-actions">\n'
        f'    <form method="post" action="{done_url}" hx-post="{done_url}" {target}>{csrf}'
        f'<input type="hidden" name="next" value="{back}"><button type="submit">Mark done</button></form>\n'
        f'    <details{" open" if snooze_error else ""}><summary>Snooze</summary>\n'
        f'      <form method="post" action="{snooze_url}" hx-post="{snooze_url}" {target}>{csrf}\n'
        f'        <input type="hidden" name="next" value="{back}">\n        {snooze_problem}\n'
        f'        <label for="until-{pk}">Until</label> <input type="datetime-local" id="until-{pk}" name="until" '
        f'value="{conditional_escape(snooze_typed.get("until", ""))}" required>\n'
        f'        <label for="reason-{pk}">Reason</label> <input type="text" id="reason-{pk}" name="reason" '
        f'value="{conditional_escape(snooze_typed.get("reason", ""))}" maxlength="300" required>\n'
        f'        <button type="submit">Snooze</button>\n      </form>\n    </details>\n'
        f'    <details{" open" if outcome_error else ""}><summary>Log outcome</summary>\n'
        f'      <form method="post" action="{outcome_url}" hx-post="{outcome_url}" {target}>{csrf}\n'
        f'        <input type="hidden" name="next" value="{back}"><input type="hidden" name="intervention" '
        f'value="{task.intervention_id}"><input type="hidden" name="task" value="{pk}">\n        {outcome_problem}\n'
        f'        <label for="kind-{pk}">Outcome</label>\n'
        f'        <select id="kind-{pk}" name="kind" required><option value="">Choose…</option>{kinds}</select>\n'
        f'        <label for="note-{pk}">Note</label> <input type="text" id="note-{pk}" name="note" '
        f'value="{conditional_escape(outcome_typed.get("note", ""))}" maxlength="4000">\n'
        f'        <button type="submit">Log outcome</button>\n      </form>\n    </details>\n'
        f'    <details{" open" if log_problems else ""}><summary>Log call/note</summary>\n'
        f'      <form method="post" action="{log_url}" hx-post="{log_url}" {target} data-testid="quick-log">{csrf}\n'
        f'        <input type="hidden" name="next" value="{back}"><input type="hidden" name="task" value="{pk}">\n'
        f'        {log_problem}\n'
        f'        <label for="log-kind-{pk}">What</label>\n'
        f'        <select id="log-kind-{pk}" name="kind" required>{log_kinds}</select>\n'
        f'        <label for="log-text-{pk}">Text</label> <input type="text" id="log-text-{pk}" name="text" '
        f'value="{conditional_escape(log_typed.get("text", ""))}" maxlength="20000" required>\n'
        f'        <button type="submit">Log</button>\n      </form>\n    </details>\n  </div>\n  ')
