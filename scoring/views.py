"""Pages of the scoring app: alerts, the Executive and Drivers & insights dashboards, and the manager's
"recompute now" with its progress bar, and the churn model's "Retrain now" (its panel is on Score accuracy)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from kombu.exceptions import OperationalError

from healthcs.redirects import redirect_back
from scoring.alerts import alert_resolve
from scoring.dashboards import drivers, executive_summary
from scoring.models import RecomputeRun, RunStatus
from scoring.selectors import get_alert_for_user, get_run, model_panel, open_alerts_for_user
from scoring.tasks import churn_model_training_start, recompute_start

PAGE_SIZE = 50


def model_panel_url() -> str:
    """Where the churn model's panel is: on the Score accuracy page."""
    return reverse("score_accuracy") + "#model"


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(open_alerts_for_user(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    template = "scoring/_alert_rows.html" if request.htmx else "scoring/alert_list.html"
    return render(request, template, {"page": page})


@login_required
def executive(request: HttpRequest) -> HttpResponse:
    """Churn rate, High-risk share, ARR at risk and the health tiers with their trend, for the user's
    accounts (the whole portfolio for managers)."""
    summary = executive_summary(request.user)
    trend = summary.trend
    context = {
        "summary": summary, "charts": executive_charts(summary),
        "churn_rows": list(zip(*(summary.churn.get(k, []) for k in ("months", "churned", "rates")), strict=True)),
        "trend_rows": [{"cells": [day, *(counts[i] for counts in trend["tiers"].values())],
                        "high_share": trend["high_share"][i], "arr_at_risk": trend["arr_at_risk"][i]}
                       for i, day in enumerate(trend.get("dates", []))][::-1],
    }
    return render(request, "scoring/executive.html", context)


def executive_charts(summary) -> dict:
    """What the Executive page's canvases draw (static/js/charts.js reads it)."""
    charts = {}
    if summary.tiers:
        charts["tiers"] = {"type": "doughnut", "labels": list(summary.tiers),
                           "datasets": [{"label": "Accounts", "data": list(summary.tiers.values()), "tiers": True}]}
    if summary.trend:
        charts["tier-trend"] = {"type": "bar", "stacked": True, "labels": summary.trend["dates"],
                                "datasets": [{"label": tier, "data": counts, "tier": tier}
                                             for tier, counts in summary.trend["tiers"].items()]}
        charts["risk-trend"] = {"type": "line", "labels": summary.trend["dates"], "percent": True,
                                "datasets": [{"label": "Share at High risk (%)", "data": summary.trend["high_share"],
                                              "color": "#c62828"}]}
        charts["arr-trend"] = {"type": "line", "labels": summary.trend["dates"], "money": True,
                               "datasets": [{"label": "ARR at risk", "data": summary.trend["arr_at_risk"],
                                             "color": "#a86400"}]}
    if summary.churn:
        charts["churn"] = {"type": "bar", "labels": summary.churn["months"], "percent": True,
                           "datasets": [{"label": "Churn rate (%)", "data": summary.churn["rates"],
                                         "color": "#8e1b10"}]}
    return charts


@login_required
def insights(request: HttpRequest) -> HttpResponse:
    """Drivers & insights: risk by plan tier and segment, risk-reason frequency, churn reason codes."""
    found = drivers(request.user)
    charts = {}
    for key, rows in (("plan-tier", found.by_plan_tier), ("segment", found.by_segment)):
        if rows:
            charts[key] = {"type": "bar", "labels": [r["name"] for r in rows], "percent": True, "datasets": [
                {"label": "Share at High risk (%)", "data": [round(100 * r["high_share"], 1) for r in rows],
                 "color": "#c62828"},
                {"label": "Average risk score", "data": [r["risk"] for r in rows], "color": "#6b7280"}]}
    if found.reasons:
        charts["reasons"] = {"type": "bar", "horizontal": True, "labels": [r["label"] for r in found.reasons],
                             "datasets": [{"label": "Accounts", "data": [r["accounts"] for r in found.reasons],
                                           "color": "#a86400"}]}
    if found.themes:
        themes = found.themes
        charts["themes"] = {"type": "bar", "horizontal": True,
                            "labels": [f"{t.label} · {t.ehr_system} · {t.segment}" for t in themes],
                            "datasets": [{"label": "Tickets, last 30 days", "data": [t.tickets_30 for t in themes],
                                          "color": "#2563eb"},
                                         {"label": "30 days before", "data": [t.tickets_prior_30 for t in themes],
                                          "color": "#9ca3af"}]}
    if found.churn_reasons:
        charts["churn-reasons"] = {"type": "bar", "horizontal": True,
                                   "labels": [r["code"] for r in found.churn_reasons],
                                   "datasets": [{"label": "Churn events", "data": [r["events"] for r in
                                                                                   found.churn_reasons],
                                                 "color": "#8e1b10"}]}
    return render(request, "scoring/insights.html", {"drivers": found, "charts": charts})


@login_required
@require_POST
def alert_resolve_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = get_alert_for_user(request.user, alert_id)
    alert_resolve(alert=alert, user=request.user)
    if request.htmx:
        alert.refresh_from_db()
        return render(request, "scoring/_alert_row.html", {"alert": alert})
    messages.success(request, f"Alert resolved: {alert.get_kind_display()} for {alert.account.name}.")
    return redirect_back(request, "alert_list")


@login_required
@permission_required("scoring.recompute_scores", raise_exception=True)
def recompute(request: HttpRequest) -> HttpResponse:
    """GET: the recent runs and the button; POST: start a run for the chosen date (default today)."""
    error = ""
    unavailable = False
    as_of_text = request.POST.get("as_of", "") if request.method == "POST" else ""
    if request.method == "POST":
        try:
            as_of = dt.date.fromisoformat(as_of_text) if as_of_text else timezone.localdate()
        except ValueError:
            error = "Enter the date as YYYY-MM-DD, or leave it empty for today."
        else:
            try:
                run = recompute_start(as_of=as_of, trigger="web", user=request.user)
            except OperationalError:
                error = ("The background task queue is not reachable right now, so the recompute could not "
                         "start (it is listed below as failed). No score was changed; please try again in a "
                         "few minutes.")
                unavailable = True
            else:
                return redirect("recompute_detail", run_id=run.pk)
    runs = RecomputeRun.objects.select_related("config", "created_by")[:10]
    status = 503 if unavailable else 400 if error else 200
    return render(request, "scoring/recompute.html", {"runs": runs, "error": error, "as_of": as_of_text},
                  status=status)


@login_required
@permission_required("scoring.recompute_scores", raise_exception=True)
def recompute_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_run(run_id)
    context = {"run": run, "finished": run.status != RunStatus.RUNNING}
    template = "scoring/_recompute_status.html" if request.htmx else "scoring/recompute_detail.html"
    return render(request, template, context)


@login_required
@permission_required("scoring.recompute_scores", raise_exception=True)
def churn_model(request: HttpRequest) -> HttpResponse:
    """The churn model's panel now lives on the Score accuracy page: send old links there."""
    return redirect(model_panel_url())


@login_required
@permission_required("scoring.recompute_scores", raise_exception=True)
@require_POST
def churn_model_retrain(request: HttpRequest) -> HttpResponse:
    """Queue a training of the churn model; when the broker is down, say so (503) and change nothing."""
    try:
        churn_model_training_start(user=request.user)
    except OperationalError:
        error = ("The background task queue is not reachable right now, so the training could not start. The "
                 "active model is unchanged; please try again in a few minutes.")
        return render(request, "scoring/churn_model.html", {"panel": model_panel(), "error": error}, status=503)
    messages.success(request, "Training of a new churn model has started; it is activated only if it beats the "
                              "rules. Reload this page in a minute or two to see it.")
    return redirect_back(request, model_panel_url())
