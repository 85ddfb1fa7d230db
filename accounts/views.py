"""Pages of the accounts app: data import (the upload form and a run's progress)."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import ImportUploadForm
from accounts.importing.services import upload_files
from accounts.models import ImportRun, ImportStatus
from accounts.selectors import get_import_run_for_user
from accounts.services import import_progress
from accounts.tasks import import_run_submit


@login_required
@permission_required("accounts.import_data", raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """The upload form; a valid upload becomes a queued import run, anything wrong is listed (HTTP 400)."""
    form = ImportUploadForm(request.POST, request.FILES) if request.method == "POST" else ImportUploadForm()
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        files, upload_problems = upload_files(form.cleaned_data["files"])
        problems = [str(p) for p in upload_problems]
        if not problems:
            run = import_run_submit(user=request.user, files=files, upload_root=Path(settings.MEDIA_ROOT))
            return redirect("import_detail", run_id=run.pk)
    recent = ImportRun.objects.select_related("created_by")[:10]
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/import_upload.html",
                  {"form": form, "problems": problems, "recent": recent}, status=status)


@login_required
@permission_required("accounts.import_data", raise_exception=True)
def import_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_import_run_for_user(request.user, run_id)
    finished = run.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED)
    context = {"run": run, "finished": finished,
               "progress": None if finished else import_progress(run.pk)}
    template = "accounts/_import_status.html" if request.htmx else "accounts/import_detail.html"
    return render(request, template, context)
