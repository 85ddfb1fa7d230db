"""An account's briefs (risk and expansion) and its business review as a printable page and a PDF
(docs/pages.md#briefs, docs/pages.md#business-review). A CSM reaches only their own accounts (404 otherwise)."""

import re

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.selectors import get_account_for_user
from healthcs.errors import shown
from workspace.brief_polish import polish
from workspace.briefs import expansion_brief, risk_brief
from workspace.pdf import PdfUnavailable, engine_problem
from workspace.review_documents import review_pdf
from workspace.reviews import business_review, last_full_quarter, parse_period, period_choices


@login_required
def account_brief(request: HttpRequest, external_id: str) -> HttpResponse:
    """The risk and expansion briefs: a printable page, or the fragment Account 360 loads into its Briefs section."""
    account = get_account_for_user(request.user, external_id)
    risk, expansion = risk_brief(account), expansion_brief(account)
    worded = polish(risk.summary + expansion.summary)
    context = {"account": account, "risk": risk, "expansion": expansion,
               "risk_summary": worded.sentences[:len(risk.summary)],
               "expansion_summary": worded.sentences[len(risk.summary):], "wording": worded}
    return render(request, "workspace/_brief.html" if request.htmx else "workspace/brief.html", context)


def _period(request: HttpRequest):
    """The period asked for (?period=2026-Q3 or 2026; the last full quarter without one), or the sentence that
    refuses it."""
    text = request.GET.get("period", "").strip()
    if not text:
        return last_full_quarter(), ""
    try:
        return parse_period(text), ""
    except ValueError as error:
        return None, str(error)


@login_required
def account_review(request: HttpRequest, external_id: str) -> HttpResponse:
    """The business review of a quarter or a year as a printable page, with the choice of period."""
    account = get_account_for_user(request.user, external_id)
    period, problem = _period(request)
    context = {"account": account, "choices": period_choices(), "problem": problem, "typed": shown(request.GET.get(
        "period", "")), "review": business_review(account, period) if period else None,
        "today": timezone.localdate(), "pdf_problem": engine_problem()}
    if period:
        context["period"] = period
    return render(request, "workspace/review.html", context, status=400 if problem else 200)


@login_required
def account_review_pdf(request: HttpRequest, external_id: str) -> HttpResponse:
    """The business review as a PDF download; when it cannot be printed here, a page that says why (503)."""
    account = get_account_for_user(request.user, external_id)
    period, problem = _period(request)
    if problem:
        return render(request, "workspace/review_unavailable.html", {"account": account, "problem": problem},
                      status=400)
    try:
        pdf = review_pdf(account, period)
    except PdfUnavailable as reason:
        return render(request, "workspace/review_unavailable.html", {"account": account, "problem": str(reason)},
                      status=503)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = re.sub(r"[^A-Za-z0-9._-]", "_", account.external_id)
    response["Content-Disposition"] = f'attachment; filename="review-{name}-{period.key}.pdf"'
    return response
