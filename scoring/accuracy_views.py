"""The managers' Score accuracy page (docs/score-accuracy.md): how many churners the scores of a past date caught, how
well they ranked them, and which signals preceded churn; with its CSV export. The figures come from
scoring.backtest, cached per cut-off, horizon and book version. The page also holds the churn model's panel
(active model against the rules, the last rejected one, drift, "Retrain now")."""

import csv
import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import User
from scoring.backtest import (
    DEFAULT_HORIZON,
    MAX_HORIZON,
    AccuracyReport,
    account_rows,
    accuracy_dates,
    accuracy_report,
    churner_rows,
)
from scoring.selectors import model_panel

CHURNERS_SHOWN = 100  # the rest are in the CSV export


class AccuracyForm(forms.Form):
    """The cut-off (a date with snapshots; empty: the default) and the horizon in days."""

    as_of = forms.DateField(required=False, error_messages={"invalid": "Enter the cut-off as YYYY-MM-DD."})
    horizon = forms.IntegerField(required=False, min_value=1, max_value=MAX_HORIZON, error_messages={
        "invalid": "The horizon must be a whole number of days.",
        "min_value": f"The horizon must be between 1 and {MAX_HORIZON} days.",
        "max_value": f"The horizon must be between 1 and {MAX_HORIZON} days."})


def _require_manager(user: User) -> None:
    if not user.sees_all_accounts:
        raise PermissionDenied("The Score accuracy page is for managers.")


def _read(request: HttpRequest) -> tuple[AccuracyReport | None, str, AccuracyForm]:
    """The report for the request's filters, or the problem with them."""
    form = AccuracyForm(request.GET)
    if not form.is_valid():
        problems = [message for messages in form.errors.values() for message in messages]
        return None, " ".join(problems), form
    as_of: dt.date | None = form.cleaned_data["as_of"]
    horizon = form.cleaned_data["horizon"] or DEFAULT_HORIZON
    report = accuracy_report(as_of=as_of, horizon=horizon)
    return (None, report.problem, form) if report.problem else (report, "", form)


def accuracy_charts(report: AccuracyReport) -> dict:
    """What the calibration canvases draw (static/js/charts.js): predicted vs observed churn per decile."""
    charts = {}
    for predictor in report.backtest.predictors if report.backtest else []:
        if not predictor.calibration:
            continue
        charts[f"calibration-{predictor.id}"] = {
            "type": "line", "percent": True, "labels": [str(b.decile) for b in predictor.calibration],
            "datasets": [
                {"label": "Predicted (score scale)" if not predictor.is_probability else "Predicted probability",
                 "data": [round(100 * b.predicted, 1) for b in predictor.calibration], "color": "#6b7280"},
                {"label": "Observed churn rate", "data": [round(100 * b.observed, 1) for b in predictor.calibration],
                 "color": "#c62828"},
            ]}
    return charts


def trend_rows(report: AccuracyReport) -> list[dict]:
    """The "over several cut-offs" rows, each with one cell per predictor of the chosen cut-off (None where a
    cut-off did not judge it, e.g. no model predictions on that date)."""
    header = report.backtest.predictors if report.backtest else []
    return [{"backtest": t, "cells": [t.predictor(p.id) for p in header]} for t in report.trend]


@login_required
@require_GET
def score_accuracy(request: HttpRequest) -> HttpResponse:
    """Managers: the backtest of a cut-off and the churn model's panel; HTMX swaps the results when the picker
    changes."""
    _require_manager(request.user)
    report, problem, form = _read(request)
    churners = churner_rows(report.backtest) if report and report.backtest else []
    context = {"report": report, "problem": problem, "form": form,
               "charts": accuracy_charts(report) if report else {},
               "churners": churners[:CHURNERS_SHOWN], "churners_hidden": max(0, len(churners) - CHURNERS_SHOWN),
               "dates": report.dates if report else accuracy_dates()[0],
               "chosen": report.as_of if report else None,
               "horizon": report.horizon if report else DEFAULT_HORIZON,
               "trend": trend_rows(report) if report else []}
    if request.htmx:  # the problem is shown in place of the results, as the other HTMX forms show theirs
        return render(request, "scoring/_accuracy.html", context)
    context["panel"] = model_panel()  # not per cut-off: outside the swapped fragment
    return render(request, "scoring/accuracy.html", context, status=400 if problem else 200)


@login_required
@require_GET
def score_accuracy_export(request: HttpRequest) -> HttpResponse:
    """Managers: one row per live account of the cut-off (scores, bands, churned), the page's filters."""
    _require_manager(request.user)
    report, problem, _ = _read(request)
    if problem:
        return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"score-accuracy-{report.as_of or 'none'}-{report.horizon}d.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    header, rows = account_rows(report.backtest)
    writer.writerow(header)
    writer.writerows(rows)
    return response

