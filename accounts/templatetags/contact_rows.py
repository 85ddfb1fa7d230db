"""A contact's row in Account 360's contacts section, written in Python (like the task rows,
interventions.templatetags.task_rows): the template engine spent about a millisecond on each row with its two
addresses, its leave form and its CSRF field. The HTML is the one templates/accounts/_contacts.html wrote, every
value escaped by format_html; the row reads from the context:

    c               the contact
    account         its account (for the addresses)
    today           the leave form's default day
    leaving, leave_problem
                    a refused leave form: the contact's pk and the problem"""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from healthcs.form_html import csrf_input, local_day

register = template.Library()


@register.simple_tag(takes_context=True)
def contact_row(context) -> SafeString:
    """The row of the context's contact `c`."""
    c, account = context["c"], context["account"]
    title = format_html("<br><small>{}</small>", c.title) if c.title else ""
    badges = ""
    if c.role == "champion" and c.is_active:
        badges = ' <span class="badge good" data-testid="champion-badge">Champion</span>'
    if not c.is_active:
        left = format_html(" {}", local_day(c.left_date)) if c.left_date else ""
        badges += format_html(' <span class="badge bad" data-testid="left-badge">Left{}</span>', left)
    touch = local_day(c.last_touch) if c.last_touch else mark_safe('<span class="muted">none logged</span>')
    email = format_html('<a href="mailto:{}">{}</a>', c.email, c.email) if c.email else "—"
    edit = reverse("contact_edit", args=[account.external_id, c.external_id])
    leave_form = ""
    if c.is_active:
        leave = reverse("contact_leave", args=[account.external_id, c.external_id])
        leave_form = format_html(
            '\n      <form method="post" action="{}" hx-post="{}" hx-target="#contacts" hx-swap="outerHTML" '
            'class="inline-form" data-testid="contact-leave">{}\n'
            '        <label for="leave-{}">Left on</label>\n'
            '        <input type="date" id="leave-{}" name="left_on" value="{}">\n'
            '        <button type="submit">Mark as left</button>\n'
            '      </form>\n      ', leave, leave, csrf_input(context), c.pk, c.pk,
            local_day(context.get("today")))
    problem = (format_html('<p class="problems" role="alert">{}</p>', context.get("leave_problem", ""))
               if context.get("leaving") == c.pk else "")
    return format_html(
        '\n  <tr id="contact-{}" data-testid="contact-row">\n'
        '    <td>{}{}</td>\n'
        '    <td>{}{}</td>\n'
        '    <td>{}</td>\n'
        '    <td>{}</td>\n'
        '    <td>{}<br>{}</td>\n'
        '    <td>\n'
        '      <a href="{}" hx-get="{}" hx-target="#contacts" hx-swap="outerHTML" data-testid="contact-edit">Edit</a>\n'
        '      {}\n'
        '      {}\n'
        '    </td>\n'
        '  </tr>\n  ',
        c.pk, c.name, title, c.get_role_display(), mark_safe(badges), c.get_sentiment_display() or "Not known",
        touch, email, c.phone or "—", edit, edit, leave_form, problem)
