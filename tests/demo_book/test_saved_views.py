"""The demo's saved views (workspace/demo/saved_views.py): from the first login the manager's home shows the two views
shared with the team and each CSM's home a shared view and a private one, counting only what that user reaches; a
second seeding adds nothing."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, User
from scoring.models import Snapshot
from scoring.services import latest_as_of
from workspace.demo.saved_views import seed_saved_views
from workspace.models import SavedView, SavedViewPin

pytestmark = pytest.mark.django_db


def pinned(client, username: str) -> list[tuple[str, int]]:
    client.force_login(User.objects.get(username=username))
    home = client.get(reverse("home")).content.decode()
    section = re.search(r'data-testid="pinned-views">(.*?)</section>', home, re.S)
    return [(name, int(count)) for name, count in
            re.findall(r'<a href="/views/\d+/">([^<]+)</a> <span class="muted" data-testid="pinned-count">(\d+) acc',
                       section.group(1))]


def test_the_demo_users_open_home_with_pinned_views(demo_book, client):
    today = timezone.localdate()
    renewing = Account.objects.filter(renewal_date__range=(today, today + dt.timedelta(days=90)))
    high_risk = Snapshot.objects.filter(as_of=latest_as_of(), risk_level="High").count()

    assert pinned(client, "manager") == [("Renewals in 90 days", renewing.count()), ("High risk by ARR", high_risk)]
    assert pinned(client, "csm1") == [("Renewals in 90 days", renewing.filter(csm__username="csm1").count()),
                                      ("My lowest health", Account.objects.filter(csm__username="csm1").count())]
    assert high_risk > 0
    assert sorted(SavedView.objects.values_list("owner__username", "name", "shared")) == [
        ("csm1", "My lowest health", False), ("csm2", "My lowest health", False), ("csm3", "My lowest health", False),
        ("manager", "High risk by ARR", True), ("manager", "Renewals in 90 days", True)]


def test_seeding_the_views_again_adds_nothing(demo_book):
    before = sorted(SavedViewPin.objects.values_list("user__username", "view__name"))

    assert seed_saved_views(manager=User.objects.get(username="manager")) == 5
    assert sorted(SavedViewPin.objects.values_list("user__username", "view__name")) == before
    assert len(before) == 8
