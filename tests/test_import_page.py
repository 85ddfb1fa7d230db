"""The web import page: who may use it, upload limits, zip or CSV files, progress and report."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts import models as m
from healthcs.celery import app as celery_app
from tests.importing import ACCOUNTS_HEADER, csv_bytes, database_fingerprint, ravenstack_files

pytestmark = pytest.mark.django_db

GOOD_ACCOUNT = "A-1,Cedar Valley Family Medicine,Primary care,US,2024-02-01,partner,Pro,25,False,False"


@pytest.fixture
def in_process_tasks(settings, tmp_path):
    """Run queued tasks in-process (the web request hands the import to Celery after commit)."""
    settings.MEDIA_ROOT = str(tmp_path)
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def upload(client, django_capture_on_commit_callbacks, *files: SimpleUploadedFile):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("import_upload"), {"files": list(files)})


def test_it_requires_a_manager_or_admin(client, csm):
    client.force_login(csm)

    assert client.get(reverse("import_upload")).status_code == 403
    response = client.post(reverse("import_upload"),
                           {"files": [SimpleUploadedFile("ravenstack_accounts.csv", b"x")]})
    assert response.status_code == 403
    assert not m.ImportRun.objects.exists()


def test_it_requires_login(client):
    response = client.get(reverse("import_upload"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_manager_imports_csv_files_and_sees_the_report(client, manager, in_process_tasks,
                                                         django_capture_on_commit_callbacks):
    client.force_login(manager)
    files = [SimpleUploadedFile(name, raw, content_type="text/csv") for name, raw in ravenstack_files().items()]

    response = upload(client, django_capture_on_commit_callbacks, *files)

    run = m.ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import_detail", args=[run.pk])
    assert run.status == m.ImportStatus.SUCCEEDED and run.created_by == manager
    assert m.UsageRecord.objects.count() == 25000
    page = client.get(response["Location"]).content.decode()
    assert "Imported in" in page
    assert "<td>usage</td><td>25000</td><td>25000</td><td>0</td><td>0</td>" in page


def test_a_zip_upload_is_imported(client, admin_user, in_process_tasks, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("ravenstack_accounts.csv", csv_bytes(ACCOUNTS_HEADER, GOOD_ACCOUNT))

    upload(client, django_capture_on_commit_callbacks, SimpleUploadedFile("book.zip", buffer.getvalue()))

    assert m.Account.objects.get().external_id == "A-1"


def test_problems_are_listed_and_nothing_is_written(client, manager, in_process_tasks,
                                                    django_capture_on_commit_callbacks):
    client.force_login(manager)
    bad = csv_bytes(ACCOUNTS_HEADER, GOOD_ACCOUNT.replace(",25,", ",-5,"), GOOD_ACCOUNT.replace("A-1", "A-2"))

    response = upload(client, django_capture_on_commit_callbacks,
                      SimpleUploadedFile("ravenstack_accounts.csv", bad))

    page = client.get(response["Location"]).content.decode()
    assert "Nothing was imported: 1 problem found" in page
    assert "ravenstack_accounts.csv, row 2, seats: &#x27;-5&#x27; must not be negative" in page
    assert not m.Account.objects.exists()


def test_a_wrong_file_type_is_refused_with_a_message(client, manager, in_process_tasks,
                                                     django_capture_on_commit_callbacks):
    client.force_login(manager)

    response = upload(client, django_capture_on_commit_callbacks,
                      SimpleUploadedFile("book.xlsx", b"PK\x03\x04"))

    assert response.status_code == 400
    assert "Only .csv files or one .zip file can be imported (not: book.xlsx)." in response.content.decode()
    assert not m.ImportRun.objects.exists()


def test_a_wrong_file_name_is_refused_at_once(client, manager, django_capture_on_commit_callbacks):
    client.force_login(manager)

    response = upload(client, django_capture_on_commit_callbacks,
                      SimpleUploadedFile("customers.csv", csv_bytes(ACCOUNTS_HEADER, GOOD_ACCOUNT)))

    assert response.status_code == 400
    assert "customers.csv, row -, -: unknown file name (expected one of: ravenstack_accounts.csv," in \
        response.content.decode()
    assert not m.ImportRun.objects.exists()


def test_an_upload_over_the_size_limit_is_refused(client, manager, settings, in_process_tasks,
                                                  django_capture_on_commit_callbacks):
    settings.IMPORT_MAX_UPLOAD_MB = 1
    client.force_login(manager)
    before = database_fingerprint()
    big = csv_bytes(ACCOUNTS_HEADER, *[GOOD_ACCOUNT.replace("A-1", f"A-{i}") for i in range(20000)])

    response = upload(client, django_capture_on_commit_callbacks,
                      SimpleUploadedFile("ravenstack_accounts.csv", big))

    assert response.status_code == 400
    assert "The upload is larger than the 1 MB limit." in response.content.decode()
    assert database_fingerprint() == before and not m.ImportRun.objects.exists()


def test_a_broken_zip_is_refused(client, manager, in_process_tasks, django_capture_on_commit_callbacks):
    client.force_login(manager)

    response = upload(client, django_capture_on_commit_callbacks, SimpleUploadedFile("book.zip", b"not a zip"))

    assert response.status_code == 400
    assert "book.zip, row -, -: this is not a valid zip archive" in response.content.decode()
    assert not m.ImportRun.objects.exists()


def test_an_empty_post_is_refused_with_400_and_the_form_again(client, manager):
    client.force_login(manager)

    response = client.post(reverse("import_upload"), {})

    assert response.status_code == 400
    page = response.content.decode()
    assert ('<ul class="error" role="alert"><li>Choose the files to import: the CSV files, or one .zip holding '
            'them.</li></ul>') in page
    assert '<input type="file" name="files"' in page
    assert not m.ImportRun.objects.exists()


def test_the_form_answers_200_when_first_shown(client, manager):
    client.force_login(manager)

    assert client.get(reverse("import_upload")).status_code == 200


def test_a_running_import_shows_a_progress_bar(client, manager):
    client.force_login(manager)
    run = m.ImportRun.objects.create(created_by=manager, source="ravenstack_accounts.csv",
                                     status=m.ImportStatus.RUNNING)
    from accounts.services import _report_progress

    _report_progress(run.pk, "Writing ravenstack_feature_usage.csv", 2, 5)

    page = client.get(reverse("import_detail", args=[run.pk]), headers={"HX-Request": "true"})
    html = page.content.decode()
    assert '<progress max="100" value="40"' in html
    assert "Writing ravenstack_feature_usage.csv" in html
    assert 'hx-trigger="load delay:1s"' in html
