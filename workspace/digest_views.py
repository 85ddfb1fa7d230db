"""The digests as pages (docs/pages.md#my-digest): My digest (a CSM's own; a manager's, or any CSM's they pick)
and the weekly executive summary (managers and admins), each for a chosen day. Their content is
workspace.digests', the same the e-mails hold."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from healthcs.inputs import form_problems
from workspace.digests import daily_digest, weekly_summary
from workspace.forms import DigestForm, WeekForm


@login_required
def digest_view(request: HttpRequest) -> HttpResponse:
    """The user's digest of a day (?date=, default today); a manager may pick a CSM (?csm=)."""
    form = DigestForm(request.GET, user=request.user)
    context = {"form": form, "digest": None, "problems": {}}
    if form.is_valid():
        data = form.cleaned_data
        whose = data.get("csm") or request.user
        context["digest"] = daily_digest(whose, data["date"] or timezone.localdate())
        status = 200
    else:
        context["problems"], status = form_problems(form), 400
    template = "workspace/_digest_result.html" if request.htmx else "workspace/digest.html"
    return render(request, template, context, status=status)


@login_required
def weekly_summary_view(request: HttpRequest) -> HttpResponse:
    """The weekly executive summary of the seven days up to a day (?date=, default today): managers and admins."""
    if not request.user.sees_all_accounts:
        raise PermissionDenied
    form = WeekForm(request.GET)
    context = {"form": form, "summary": None, "problems": {}}
    if form.is_valid():
        context["summary"] = weekly_summary(request.user, form.cleaned_data["date"] or timezone.localdate())
        status = 200
    else:
        context["problems"], status = form_problems(form), 400
    template = "workspace/_weekly_result.html" if request.htmx else "workspace/weekly.html"
    return render(request, template, context, status=status)
