"""The cross-domain dashboards: Executive (churn, risk, ARR at risk and the health tiers with their trend) and
Drivers & insights (risk by plan tier and segment, risk reasons, ticket themes, churn reason codes). Their
figures come from workspace.dashboards; home with its team view is in workspace.views."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from workspace.dashboards import Executive, drivers, executive_summary


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


def executive_charts(summary: Executive) -> dict:
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
