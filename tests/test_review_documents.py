"""Business review PDFs stored ahead of renewals by a real Celery worker through the Redis broker: the daily task
queues one print per account renewing soon, the worker prints it with headless Chromium and stores it, the review's
PDF address then serves the stored document, and the next run queues nothing. The one real print of the suite's
review tests (a print takes seconds)."""

import datetime as dt
import re
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from healthcs.celery import app
from tests.factories import AccountFactory
from workspace.models import ReviewDocument
from workspace.review_documents import reviews_due
from workspace.reviews import last_full_quarter
from workspace.tasks import store_renewal_reviews


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_prints_and_stores_the_review_of_an_account_renewing_soon(client, csm):
    assert settings.REDIS_URL and app.conf.broker_url.startswith("redis://")
    today = timezone.localdate()
    soon = AccountFactory(external_id="A-SOON", name="Lakeside Family Practice", csm=csm,
                          renewal_date=today + dt.timedelta(days=10))
    AccountFactory(external_id="A-LATER", csm=csm, renewal_date=today + dt.timedelta(days=90))
    AccountFactory(external_id="A-GONE", csm=csm, renewal_date=today + dt.timedelta(days=5), churned=True)
    period = last_full_quarter(today)
    cache.clear()  # no PDF cached by an earlier run: this one is printed

    started = time.perf_counter()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        store_renewal_reviews.delay()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not ReviewDocument.objects.exists():
            time.sleep(0.2)
    seconds = time.perf_counter() - started

    document = ReviewDocument.objects.get()
    assert (document.account_id, document.period) == (soon.pk, period.key)
    pdf = bytes(document.pdf)
    assert pdf.startswith(b"%PDF") and document.size == len(pdf) > 10_000
    title = re.search(rb"/Title <FEFF([0-9A-F]+)>", pdf)
    assert bytes.fromhex(title[1].decode()).decode("utf-16-be") == (
        f"Business review {period.label} · Lakeside Family Practice")
    assert len(re.findall(rb"/Type /Page\b", pdf)) >= 1
    assert reviews_due(today=today)[1] == []  # stored: the next run queues nothing

    client.force_login(csm)
    response = client.get(reverse("account_review_pdf", args=["A-SOON"]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="review-A-SOON-{period.key}.pdf"'
    assert response.content == pdf  # the stored print of the day, not a new one
    print(f"queued, printed and stored in {seconds:.2f} s")
