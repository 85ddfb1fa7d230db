"""The text-reading batches through a real Redis and worker: the sweep fans the waiting texts out and a
worker reads them."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from accounts.models import SupportTicket
from healthcs.celery import app
from scoring.tasks import read_waiting_texts
from scoring.texts.reader import NAME
from tests.factories import SupportTicketFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_reads_the_waiting_texts(own_account):
    assert app.conf.broker_url.startswith("redis://")
    app.control.purge()
    for n in range(3):
        SupportTicketFactory(account=own_account, subject=f"Sync {n}", body="The Epic interface keeps failing.")

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        read_waiting_texts.delay()
        deadline = time.monotonic() + 60
        while SupportTicket.objects.filter(analysis_version="").exists() and time.monotonic() < deadline:
            time.sleep(0.2)

    assert list(SupportTicket.objects.values_list("category", "analysis_version").distinct()) == [
        ("integration", NAME)]
