"""The audit log (SPEC §9): who viewed or changed an account, a scoring configuration or a playbook."""

import copy
import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from scoring.models import ScoringConfig
from scoring.services import config_active

pytestmark = pytest.mark.django_db


def test_viewing_an_account_in_a_page_or_the_api_is_recorded(client, csm, own_account):
    client.force_login(csm)
    client.get(reverse("account_detail", args=["A-OWN"]))
    api = APIClient()
    api.force_login(csm)
    api.get(reverse("api_account", args=["A-OWN"]))

    assert list(AuditEvent.objects.order_by("id").values_list("user", "action", "object_type", "object_id")) == [
        (csm.pk, "viewed", "accounts.Account", str(own_account.pk))] * 2


def test_a_refused_view_records_nothing(client, csm, foreign_account):
    client.force_login(csm)

    assert client.get(reverse("account_detail", args=["A-FOREIGN"])).status_code == 404
    assert not AuditEvent.objects.exists()


def test_an_account_changed_in_admin_is_recorded_with_old_and_new_values(client, admin_user, own_account):
    client.force_login(admin_user)
    url = reverse("admin:accounts_account_change", args=[own_account.pk])
    form = client.get(url).context["adminform"].form
    data = {name: ("" if value is None else value) for name, value in form.initial.items()
            if name in form.fields and not isinstance(value, list)}
    data.update({"name": "Lakeside Renamed", "csm": own_account.csm_id, "seats": own_account.seats,
                 "subscriptions-TOTAL_FORMS": 0, "subscriptions-INITIAL_FORMS": 0,
                 "contacts-TOTAL_FORMS": 0, "contacts-INITIAL_FORMS": 0})
    data = {k: v for k, v in data.items() if v is not False}

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    event = AuditEvent.objects.get(action="changed")
    assert (event.user, event.object_repr) == (admin_user, "Lakeside Renamed (A-OWN)")
    assert event.changes["name"] == [own_account.name, "Lakeside Renamed"]


def test_a_configuration_draft_and_its_activation_are_recorded(client, admin_user):
    data = copy.deepcopy(config_active().data)
    data["risk_levels"]["medium"] = 25
    client.force_login(admin_user)

    client.post(reverse("admin:scoring_scoringconfig_add"), {"name": "Lower medium", "notes": "",
                                                             "data": json.dumps(data), "_save": "Save"})
    draft = ScoringConfig.objects.get(name="Lower medium")
    client.post(reverse("admin:scoring_scoringconfig_preview", args=[draft.pk]), {"activate": "1"})

    assert list(AuditEvent.objects.filter(object_type="scoring.ScoringConfig").order_by("id")
                .values_list("action", "object_id")) == [("created", str(draft.pk)), ("activated", str(draft.pk))]
