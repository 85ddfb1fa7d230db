"""The published RavenStack book has no CSMs (no `csm_email` column): once imported and scored, the
manager's pages that list or show its accounts must render, saying "Unassigned" (issue 13, item 1)."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts import models as m
from scoring.models import Alert
from scoring.services import recompute_scores

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def scored_ravenstack(ravenstack, django_db_blocker):
    with django_db_blocker.unblock():
        recompute_scores(as_of=dt.date(2024, 12, 31))


def test_a_manager_sees_ravenstack_accounts_without_a_csm(client, manager, scored_ravenstack):
    account = m.Account.objects.order_by("external_id").first()
    alert = Alert.objects.select_related("account").order_by("pk").first()
    assert account.csm_id is None and alert is not None and alert.account.csm_id is None
    client.force_login(manager)

    pages = {url: client.get(url) for url in (reverse("account_list"), reverse("alert_list"),
                                             reverse("account_detail", args=[account.external_id]),
                                             reverse("account_detail", args=[alert.account.external_id]))}

    assert {url: r.status_code for url, r in pages.items()} == dict.fromkeys(pages, 200)
    for url, response in pages.items():
        assert "Unassigned" in response.content.decode(), url
