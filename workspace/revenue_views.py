"""Renewals (renewals by month and quarter with their forecast, the renewals ahead, GRR and NRR, lost ARR by churn
reason), the managers' ROI page, and marking an account churned from Account 360 (docs/pages.md#renewals,
docs/pages.md#roi). Figures come from workspace.revenue and workspace.roi, the write from
accounts.services.account_mark_churned."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.models import Account, ChurnReason
from accounts.selectors import get_account_for_user
from accounts.services import CHURN_FEEDBACK_MAX, account_mark_churned
from healthcs.errors import DomainError
from healthcs.inputs import DayField, form_problems
from workspace.revenue import (
    RENEWAL_PROBABILITY,
    UNSCORED_PROBABILITY,
    UPCOMING_DAYS,
    arr_for_user,
    lost_by_reason,
    renewals,
    retention_closes,
    revenue_charts,
    revenue_retention,
)
from workspace.roi import roi

ACCOUNT_CHURNED = "accountChurned"  # HX-Trigger after an account was marked churned
CHURN_FIELDS = ("reason_code", "feedback", "churn_date")


@login_required
def renewals_view(request: HttpRequest) -> HttpResponse:
    """Renewals by month and quarter with their forecast, the renewals ahead, GRR and NRR by month, segment and
    CSM, and lost ARR by churn reason, over the user's accounts (a CSM's own book)."""
    today = timezone.localdate()
    arr = arr_for_user(request.user, [today, *retention_closes(today)[1]])  # the subscriptions read once for both
    found, retention, lost = renewals(request.user, today, arr), revenue_retention(request.user, today, arr=arr), \
        lost_by_reason(request.user, today)
    context = {"found": found, "retention": retention, "lost": lost, "charts": revenue_charts(found, retention, lost),
               "upcoming_days": UPCOMING_DAYS, "probabilities": RENEWAL_PROBABILITY,
               "unscored_probability": UNSCORED_PROBABILITY}
    template = "workspace/_renewals.html" if request.htmx else "workspace/renewals.html"
    return render(request, template, context)


class RoiForm(forms.Form):
    date = DayField(required=False, label="date")


@login_required
def roi_view(request: HttpRequest) -> HttpResponse:
    """Managers: the programme's return over the 365 days up to a day (?date=, default today)."""
    if not request.user.sees_all_accounts:
        raise PermissionDenied("The ROI page is for managers.")
    form = RoiForm(request.GET)
    context = {"form": form, "report": None, "problems": {}}
    status = 200
    if form.is_valid():
        context["report"] = roi(form.cleaned_data["date"] or timezone.localdate())
    else:
        context["problems"], status = form_problems(form), 400
    template = "workspace/_roi.html" if request.htmx else "workspace/roi.html"
    return render(request, template, context, status=status)


class ChurnForm(forms.Form):
    """The fields of marking an account churned; the service checks the reason, the feedback and the day."""

    reason_code = forms.CharField(required=False, max_length=64)
    feedback = forms.CharField(required=False, strip=False, max_length=CHURN_FEEDBACK_MAX + 1000)
    churn_date = DayField(required=False, label="churn date")


def churn_context(account: Account, **extra) -> dict:
    """What the churn section of Account 360 needs: the account's churn events and the form's choices."""
    return {"account": account, "churn_events": account.churn_events.select_related("recorded_by")
            .order_by("-churn_date", "-id"), "churn_reasons": ChurnReason.choices,
            "churn_typed": {}, "churn_problems": {}, "churn_feedback_max": CHURN_FEEDBACK_MAX,
            "today": timezone.localdate(), **extra}


@login_required
@require_http_methods(["GET", "POST"])
def account_churn_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """Mark an account churned with its reason and feedback: the form (GET: a page of its own, the section for
    HTMX), or the sent form saved. Refused, the form again with what was typed and why (the section for HTMX, a
    page with 400 otherwise); nothing is written."""
    account = get_account_for_user(request.user, external_id)
    if request.method == "GET":
        template = "accounts/_churn.html" if request.htmx else "accounts/churn_form.html"
        return render(request, template, churn_context(account))
    typed = {name: request.POST.get(name, "") for name in CHURN_FIELDS}
    form = ChurnForm(request.POST)
    problems = form_problems(form) if not form.is_valid() else {}
    if not problems:
        data = form.cleaned_data
        try:
            event = account_mark_churned(account=account, user=request.user, reason_code=data["reason_code"],
                                         feedback=data["feedback"], churn_date=data["churn_date"])
        except DomainError as refusal:
            problems = {refusal.field or "reason_code": refusal.message}
    if problems:
        context = churn_context(account, churn_typed=typed, churn_problems=problems, churn_open=True)
        template = "accounts/_churn.html" if request.htmx else "accounts/churn_form.html"
        return render(request, template, context, status=200 if request.htmx else 400)
    words = f"{account.name} is marked churned on {event.churn_date:%Y-%m-%d} ({event.reason_code})."
    if request.htmx:
        account.refresh_from_db()
        response = render(request, "accounts/_churn.html", churn_context(account, churn_flash=words))
        response["HX-Trigger"] = ACCOUNT_CHURNED
        return response
    messages.success(request, words)
    return redirect(reverse("account_detail", args=[account.external_id]) + "#churn")
