"""Account 360's contacts section (docs/pages.md#contacts): the list with roles, sentiment, last touch and the
champion's badge, adding and editing a contact in place (HTMX) or on a page of its own (without JavaScript),
marking one as left, and the history of champion changes. The writes are accounts.contacts' services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.contacts import EMAIL_MAX, NAME_MAX, PHONE_MAX, TITLE_MAX, contact_add, contact_edit, contact_leave
from accounts.forms import CONTACT_FIELDS, ContactForm, ContactLeaveForm
from accounts.models import Account, Contact, ContactRole, ContactSentiment
from accounts.selectors import champion_history, contacts_with_last_touch, get_account_for_user, get_contact_for_user
from healthcs.errors import DomainError
from healthcs.inputs import form_problems

CONTACTS_CHANGED = "contactsChanged"  # a contact was added, edited or left: the log form's contacts change
CONTACT_FORM = {
    "contact_roles": ContactRole.choices, "contact_sentiments": ContactSentiment.choices,
    "contact_limits": {"name": NAME_MAX, "email": EMAIL_MAX, "phone": PHONE_MAX, "title": TITLE_MAX},
}
BLANK = dict.fromkeys(CONTACT_FIELDS, "") | {"role": ContactRole.USER}


def contacts_context(account: Account, **extra) -> dict:
    """What the contacts section needs (Account 360 includes it too): the contacts with their last touch, the
    champion changes, the forms' choices, and, from `extra`, a flash, what was typed and the problems."""
    return {"account": account, "contacts": contacts_with_last_touch(account),
            "champion_changes": champion_history(account), "today": timezone.localdate(),
            "add_typed": BLANK, "add_problems": {}, **CONTACT_FORM, **extra}


def _typed(request: HttpRequest) -> dict[str, str]:
    return {name: request.POST.get(name, "") for name in CONTACT_FIELDS}


def _shown(contact: Contact) -> dict[str, str]:
    return {name: getattr(contact, name) for name in CONTACT_FIELDS}


def _back(account: Account) -> str:
    return reverse("account_detail", args=[account.external_id]) + "#contacts"


def _section(request: HttpRequest, account: Account, **extra) -> HttpResponse:
    return render(request, "accounts/_contacts.html", contacts_context(account, **extra))


def _saved(request: HttpRequest, account: Account, words: str) -> HttpResponse:
    """After a write: the section with a flash (HTMX), or back to Account 360 with a message."""
    if request.htmx:
        response = _section(request, account, contact_flash=words)
        response["HX-Trigger"] = CONTACTS_CHANGED
        return response
    messages.success(request, words)
    return redirect(_back(account))


def _saved_or_problems(form: ContactForm, call) -> tuple[object | None, dict[str, str]]:
    """The service's result for a valid form, or the problems of each refused field (nothing written)."""
    if not form.is_valid():
        return None, form_problems(form)
    try:
        return call(form.details()), {}
    except DomainError as problem:
        return None, {problem.field or "name": problem.message}


@login_required
def contact_section_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """The contacts section alone (HTMX: cancelling an edit); without HTMX, Account 360 at its contacts."""
    account = get_account_for_user(request.user, external_id)
    if not request.htmx:
        return redirect(_back(account))
    return _section(request, account)


@login_required
@require_http_methods(["GET", "POST"])
def contact_add_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """Add a contact: the form on a page of its own (GET, without JavaScript), or the sent form saved. Refused,
    the form comes back with what was typed and why (in the section for HTMX, as a page with 400 otherwise)."""
    account = get_account_for_user(request.user, external_id)
    page = {"heading": "Add a contact", "cf_action": reverse("contact_add", args=[account.external_id]),
            "cf_id": "add", "cf_submit": "Add contact", "cf_cancel": "", **CONTACT_FORM, "account": account}
    if request.method == "GET":
        return render(request, "accounts/contact_form.html", {**page, "cf_typed": BLANK, "cf_problems": {}})
    contact, problems = _saved_or_problems(ContactForm(request.POST), lambda details: contact_add(
        account=account, user=request.user, details=details))
    if problems:
        if request.htmx:
            return _section(request, account, add_typed=_typed(request), add_problems=problems)
        return render(request, "accounts/contact_form.html",
                      {**page, "cf_typed": _typed(request), "cf_problems": problems}, status=400)
    return _saved(request, account, f"Added {contact.name} ({contact.get_role_display()}).")


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit_view(request: HttpRequest, external_id: str, contact_id: str) -> HttpResponse:
    """Edit a contact: the form in place of its row (HTMX) or on a page of its own (GET), or the sent form
    saved; refused, the form again with what was typed and why."""
    contact = get_contact_for_user(request.user, external_id, contact_id)
    account = contact.account
    action = reverse("contact_edit", args=[account.external_id, contact.external_id])
    page = {"heading": f"Edit {contact.name}", "cf_action": action, "cf_id": "edit", "cf_submit": "Save",
            "cf_cancel": "", **CONTACT_FORM, "account": account}
    if request.method == "GET":
        if request.htmx:
            return _section(request, account, editing=contact.pk, edit_typed=_shown(contact), edit_problems={})
        return render(request, "accounts/contact_form.html", {**page, "cf_typed": _shown(contact), "cf_problems": {}})
    edited, problems = _saved_or_problems(ContactForm(request.POST), lambda details: contact_edit(
        contact=contact, user=request.user, details=details))
    if problems:
        if request.htmx:
            return _section(request, account, editing=contact.pk, edit_typed=_typed(request), edit_problems=problems)
        return render(request, "accounts/contact_form.html",
                      {**page, "cf_typed": _typed(request), "cf_problems": problems}, status=400)
    return _saved(request, account, f"Saved {edited.name} ({edited.get_role_display()}).")


@login_required
@require_POST
def contact_leave_view(request: HttpRequest, external_id: str, contact_id: str) -> HttpResponse:
    """Mark a contact as having left the customer (on the day given, today when empty); refused, the reason
    beside their row (HTMX) or on a page with the day typed (400)."""
    contact = get_contact_for_user(request.user, external_id, contact_id)
    account = contact.account
    form = ContactLeaveForm(request.POST)
    problem = next(iter(form_problems(form).values()), "") if not form.is_valid() else ""
    if not problem:
        try:
            contact = contact_leave(contact=contact, user=request.user, left_on=form.cleaned_data["left_on"])
        except DomainError as refusal:
            problem = refusal.message
    if problem:
        if request.htmx:
            return _section(request, account, leaving=contact.pk, leave_problem=problem)
        return render(request, "accounts/contact_form.html",
                      {"heading": f"Mark {contact.name} as left", "account": account, "leave_contact": contact,
                       "leave_typed": request.POST.get("left_on", ""), "leave_problem": problem}, status=400)
    champion = " The champion-left alert is raised at the next recompute." if contact.role == ContactRole.CHAMPION \
        else ""
    return _saved(request, account, f"Marked {contact.name} as left on {contact.left_date:%Y-%m-%d}.{champion}")
