"""Pages of the scoring app: the manager's "recompute now" with its progress bar, and the churn model's "Retrain
now" (its panel is on Score accuracy). The alert inbox, the Executive and Drivers & insights dashboards span the
domains and live in workspace (workspace.alerts, workspace.dashboard_views)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from kombu.exceptions import OperationalError

from healthcs.redirects import redirect_back
from scoring.models import RecomputeRun, RunStatus
from scoring.selectors import get_run, model_panel
from scoring.tasks import churn_model_training_start, recompute_start


def model_panel_url() -> str:
    """Where the churn model's panel is: on the Score accuracy page."""
    return reverse("score_accuracy") + "#model"


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
