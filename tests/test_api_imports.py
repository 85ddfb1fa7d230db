"""POST /api/imports/ and GET /api/imports/{id}/ (docs/api.md#imports): the import page's upload for a CRM's export
job — CSV files or one zip, the same checks and limits, a background run to poll; managers and admins only."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import models as m
from healthcs.celery import app as celery_app
from tests.importing import ACCOUNTS_HEADER, csv_bytes

pytestmark = pytest.mark.django_db

ROWS = ("A-1,Cedar Valley Family Medicine,Primary care,US,2024-02-01,partner,Pro,25,False,False",
        "A-2,Birch Street Pediatrics,Pediatrics,US,2024-03-01,ads,Basic,8,False,False")
KNOWN = ("ravenstack_accounts.csv, ravenstack_subscriptions.csv, contacts.csv, ravenstack_feature_usage.csv, "
         "ravenstack_support_tickets.csv, ravenstack_churn_events.csv, touchpoints.csv, surveys.csv, invoices.csv")


@pytest.fixture
def in_process_tasks(settings, tmp_path):
    """Queued tasks run in-process (the upload hands the run to Celery after commit)."""
    settings.MEDIA_ROOT = str(tmp_path)
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def csv_file(name: str, *rows: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_bytes(ACCOUNTS_HEADER, *rows), content_type="text/csv")


def zipped(name: str, members: dict[str, bytes]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, raw in members.items():
            archive.writestr(member, raw)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


def api_as(user) -> APIClient:
    """A CRM job's client: the user's API token, as docs/api.md describes."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return api


def push(api: APIClient, django_capture_on_commit_callbacks, *files):
    with django_capture_on_commit_callbacks(execute=True):
        return api.post(reverse("api_imports"), {"files": list(files)}, format="multipart")


def test_a_manager_pushes_csv_files_and_polls_the_run_until_it_succeeded(manager, in_process_tasks,
                                                                          django_capture_on_commit_callbacks):
    api = api_as(manager)

    response = push(api, django_capture_on_commit_callbacks, csv_file("ravenstack_accounts.csv", *ROWS))

    run = m.ImportRun.objects.get()
    url = reverse("api_import", args=[run.pk])
    assert response.status_code == 202 and response["Location"] == url
    assert response.json() | {"created_at": None} == {
        "id": run.pk, "status": "queued", "source": "ravenstack_accounts.csv", "created_at": None,
        "created_by": "morgan@example.org", "finished_at": None, "seconds": None, "counts": {}, "errors": [],
        "url": url}
    polled = api.get(url).json()
    assert (polled["status"], polled["errors"]) == ("succeeded", [])
    assert polled["counts"] == {"accounts": {"rows": 2, "inserted": 2, "updated": 0, "unchanged": 0}}
    assert sorted(m.Account.objects.values_list("external_id", flat=True)) == ["A-1", "A-2"]


def test_a_zip_is_imported_like_the_files_it_holds(admin_user, in_process_tasks, django_capture_on_commit_callbacks):
    upload = zipped("crm-export.zip", {"export/ravenstack_accounts.csv": csv_bytes(ACCOUNTS_HEADER, ROWS[0])})

    response = push(api_as(admin_user), django_capture_on_commit_callbacks, upload)

    assert response.status_code == 202
    assert m.ImportRun.objects.get().status == m.ImportStatus.SUCCEEDED
    assert list(m.Account.objects.values_list("external_id", flat=True)) == ["A-1"]


def test_bad_rows_are_found_by_the_run_and_nothing_is_written(manager, in_process_tasks,
                                                              django_capture_on_commit_callbacks):
    api = api_as(manager)

    response = push(api, django_capture_on_commit_callbacks,
                    csv_file("ravenstack_accounts.csv", ROWS[0].replace(",25,", ",-5,"), ROWS[1]))

    polled = api.get(response.json()["url"]).json()
    assert (response.status_code, polled["status"]) == (202, "failed")
    assert polled["errors"] == ["ravenstack_accounts.csv, row 2, seats: '-5' must not be negative"]
    assert not m.Account.objects.exists()


def test_a_malformed_zip_is_refused_with_400_and_nothing_is_queued(manager, django_capture_on_commit_callbacks):
    response = push(api_as(manager), django_capture_on_commit_callbacks,
                    SimpleUploadedFile("crm-export.zip", b"PK\x03\x04 truncated", content_type="application/zip"))

    assert response.status_code == 400
    assert response.json() == {"files": ["crm-export.zip, row -, -: this is not a valid zip archive"]}
    assert not m.ImportRun.objects.exists()


def test_every_wrong_file_name_is_named_and_nothing_is_queued(manager, django_capture_on_commit_callbacks):
    response = push(api_as(manager), django_capture_on_commit_callbacks, csv_file("customers.csv", *ROWS),
                    csv_file("ravenstack_accounts.csv", *ROWS), csv_file("accounts.csv", *ROWS))

    assert response.status_code == 400
    assert response.json() == {"files": [
        f"customers.csv, row -, -: unknown file name (expected one of: {KNOWN})",
        "accounts.csv, row -, -: holds the same table as ravenstack_accounts.csv"]}
    assert not m.ImportRun.objects.exists()


def test_the_page_s_type_and_size_checks_hold(manager, settings, django_capture_on_commit_callbacks):
    api = api_as(manager)

    no_files = api.post(reverse("api_imports"), {}, format="multipart")
    wrong_type = push(api, django_capture_on_commit_callbacks, SimpleUploadedFile("book.xlsx", b"PK\x03\x04"))
    settings.IMPORT_MAX_UPLOAD_MB = 0
    too_large = push(api, django_capture_on_commit_callbacks, csv_file("ravenstack_accounts.csv", *ROWS))

    assert [r.status_code for r in (no_files, wrong_type, too_large)] == [400, 400, 400]
    assert no_files.json() == {"files": ["Choose the files to import: the CSV files, or one .zip holding them."]}
    assert wrong_type.json() == {"files": ["Only .csv files or one .zip file can be imported (not: book.xlsx)."]}
    assert too_large.json() == {"files": ["The upload is larger than the 0 MB limit. Split it or import it from the "
                                          "command line."]}
    assert not m.ImportRun.objects.exists()


def test_a_csm_may_neither_import_nor_read_runs(csm, manager, django_capture_on_commit_callbacks):
    run = m.ImportRun.objects.create(created_by=manager, source="ravenstack_accounts.csv")
    api = api_as(csm)

    pushed = push(api, django_capture_on_commit_callbacks, csv_file("ravenstack_accounts.csv", *ROWS))
    read = api.get(reverse("api_import", args=[run.pk]))

    assert (pushed.status_code, read.status_code) == (403, 403)
    assert pushed.json() == {"detail": "Only managers and admins may import data."}
    assert list(m.ImportRun.objects.all()) == [run] and not m.Account.objects.exists()


def test_anonymous_callers_are_refused(client):
    pushed = client.post(reverse("api_imports"), {"files": [csv_file("ravenstack_accounts.csv", *ROWS)]})

    assert pushed.status_code == 403
    assert pushed.json() == {"detail": "Authentication credentials were not provided."}
    assert not m.ImportRun.objects.exists()


def test_an_unknown_run_is_404(manager):
    response = api_as(manager).get(reverse("api_import", args=[999999]))

    assert response.status_code == 404
