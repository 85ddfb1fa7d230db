"""The customer-data layer announces new and edited texts (accounts.events) and scoring reads them, without
accounts importing scoring: a committed import queues the waiting texts, a failed one does not."""

import pytest

from accounts.events import import_committed
from accounts.importing.reading import Problem
from accounts.importing.services import ImportResult
from accounts.models import ImportRun, ImportStatus, SupportTicket
from accounts.services import import_run_record
from healthcs.celery import app as celery_app
from tests.factories import SupportTicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_process_tasks():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def announced():
    heard = []

    def listen(sender, **kwargs):
        heard.append(sender)

    import_committed.connect(listen)
    yield heard
    import_committed.disconnect(listen)


def waiting_ticket() -> SupportTicket:
    ticket = SupportTicketFactory(subject="Contract", body="We have decided not to renew our contract.")
    SupportTicket.objects.filter(pk=ticket.pk).update(analysis_version="", intent_phrase="")
    return ticket


def test_a_committed_import_is_announced_and_its_waiting_texts_are_read(
        in_process_tasks, announced, django_capture_on_commit_callbacks):
    ticket = waiting_ticket()
    run = ImportRun.objects.create(source="test", status=ImportStatus.RUNNING)

    with django_capture_on_commit_callbacks(execute=True):
        import_run_record(run_id=run.pk, result=ImportResult())

    ticket.refresh_from_db()
    assert announced == [ImportRun]
    assert ticket.analysis_version != "" and ticket.intent_phrase != ""


def test_a_failed_import_is_not_announced(in_process_tasks, announced, django_capture_on_commit_callbacks):
    ticket = waiting_ticket()
    run = ImportRun.objects.create(source="test", status=ImportStatus.RUNNING)

    with django_capture_on_commit_callbacks(execute=True):
        import_run_record(run_id=run.pk, result=ImportResult(problems=[Problem("accounts.csv", 2, "id", "bad")]))

    ticket.refresh_from_db()
    assert announced == [] and ticket.analysis_version == ""
