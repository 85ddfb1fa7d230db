"""Pages of the accounts app: home, account list and detail, and data import."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Count, F, FilteredRelation, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import ImportUploadForm
from accounts.importing.services import read_zip
from accounts.models import ImportRun, ImportStatus
from accounts.selectors import accounts_for_user, get_account_for_user, get_import_run_for_user
from accounts.services import import_progress, import_run_create
from accounts.tasks import run_import
from scoring.models import AlertStatus
from scoring.selectors import fired_rule_rows, latest_snapshot, measure_rows, open_alerts_for_user, tier_counts
from scoring.services import latest_as_of

PAGE_SIZE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    accounts = accounts_for_user(request.user)
    summary = accounts.aggregate(
        total=Count("id"),
        churned=Count("id", filter=Q(churned=True)),
    )
    summary["arr"] = accounts.filter(subscriptions__end_date__isnull=True).aggregate(
        arr=Sum("subscriptions__arr"))["arr"] or 0
    as_of = latest_as_of()
    context = {"summary": summary, "as_of": as_of, "tiers": tier_counts(request.user, as_of),
               "alerts": open_alerts_for_user(request.user)[:10]}
    return render(request, "accounts/home.html", context)


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    as_of = latest_as_of()
    accounts = accounts_for_user(request.user).annotate(
        snap=FilteredRelation("snapshots", condition=Q(snapshots__as_of=as_of)),
        health_score=F("snap__health_score"), health_tier=F("snap__health_tier"),
        risk_score=F("snap__risk_score"), risk_level=F("snap__risk_level"),
    ).order_by(F("risk_score").desc(nulls_last=True), "name")
    if query:
        accounts = accounts.filter(Q(name__icontains=query) | Q(external_id__icontains=query))
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "query": query, "as_of": as_of}
    template = "accounts/_account_rows.html" if request.htmx else "accounts/account_list.html"
    return render(request, template, context)


@login_required
def account_detail(request: HttpRequest, external_id: str) -> HttpResponse:
    account = get_account_for_user(request.user, external_id)
    snapshot = latest_snapshot(account)
    context = {
        "account": account,
        "subscriptions": account.subscriptions.order_by("-start_date")[:50],
        "tickets": account.tickets.order_by("-submitted_at")[:20],
        "contacts": account.contacts.order_by("name"),
        "snapshot": snapshot,
        "measures": measure_rows(snapshot) if snapshot else [],
        "fired_rules": fired_rule_rows(snapshot) if snapshot else [],
        "alerts": account.alerts.filter(status=AlertStatus.OPEN).order_by("-created_at"),
    }
    return render(request, "accounts/account_detail.html", context)


@login_required
@permission_required("accounts.import_data", raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        uploads = form.cleaned_data["files"]
        if len(uploads) == 1 and uploads[0].name.lower().endswith(".zip"):
            files, zip_problems = read_zip(uploads[0].name, uploads[0].read())
            problems = [str(p) for p in zip_problems]
        else:
            files = {Path(u.name).name: u.read() for u in uploads}
        if not problems:
            run = import_run_create(user=request.user, files=files,
                                    upload_root=Path(settings.MEDIA_ROOT))
            run_import.delay_on_commit(run.pk)
            return redirect("import_detail", run_id=run.pk)
    recent = ImportRun.objects.select_related("created_by")[:10]
    return render(request, "accounts/import_upload.html",
                  {"form": form, "problems": problems, "recent": recent})


@login_required
@permission_required("accounts.import_data", raise_exception=True)
def import_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_import_run_for_user(request.user, run_id)
    finished = run.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED)
    context = {"run": run, "finished": finished,
               "progress": None if finished else import_progress(run.pk)}
    template = "accounts/_import_status.html" if request.htmx else "accounts/import_detail.html"
    return render(request, template, context)
