"""The audit log (docs/security.md): who viewed or changed an account, a scoring configuration or a playbook."""

import copy
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Account, AuditEvent, Subscription
from scoring.configs import ensure_active_config
from scoring.models import ScoringConfig
from tests.factories import AccountFactory, SubscriptionFactory

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


def account_admin_form(client, account):
    """The account's admin change address, its form, and the form's values as a POST would send them."""
    url = reverse("admin:accounts_account_change", args=[account.pk])
    form = client.get(url).context["adminform"].form
    data = {name: ("" if value is None else value) for name, value in form.initial.items()
            if name in form.fields and not isinstance(value, list) and value is not False}
    return url, form, data


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


def test_the_csm_is_not_changed_in_admin_but_by_an_assignment(client, admin_user, own_account, other_csm):
    client.force_login(admin_user)
    url, form, data = account_admin_form(client, own_account)
    data.update({"csm": other_csm.pk, "subscriptions-TOTAL_FORMS": 0, "subscriptions-INITIAL_FORMS": 0,
                 "contacts-TOTAL_FORMS": 0, "contacts-INITIAL_FORMS": 0})

    response = client.post(url, data)

    assert "csm" not in form.fields
    assert response.status_code == 302
    own_account.refresh_from_db()
    assert own_account.csm.username == "casey"  # unchanged: the assignment records it and moves the tasks


def test_a_configuration_draft_and_its_activation_are_recorded(client, admin_user):
    data = copy.deepcopy(ensure_active_config().data)
    data["risk_levels"]["medium"] = 25
    client.force_login(admin_user)

    client.post(reverse("admin:scoring_scoringconfig_add"), {"name": "Lower medium", "notes": "",
                                                             "data": json.dumps(data), "_save": "Save"})
    draft = ScoringConfig.objects.get(name="Lower medium")
    client.post(reverse("admin:scoring_scoringconfig_preview", args=[draft.pk]), {"activate": "1"})

    assert list(AuditEvent.objects.filter(object_type="scoring.ScoringConfig").order_by("id")
                .values_list("action", "object_id")) == [("created", str(draft.pk)), ("activated", str(draft.pk))]


# Exports, passwords, bulk and inline admin writes, command-line activation -----------------------------

def audit_rows(**filters) -> list[tuple]:
    return list(AuditEvent.objects.filter(**filters).order_by("id")
                .values_list("user", "action", "object_type", "object_id", "changes"))


def test_a_csv_export_records_who_exported_which_filter_and_how_many_rows(client, csm, own_account,
                                                                           foreign_account):
    AccountFactory(external_id="A-OWN-2", name="Lakeside Two", csm=csm)
    client.force_login(csm)

    response = client.get(reverse("account_export"), {"q": "lakeside", "segment": "", "ordering": "name"})

    assert len(response.content.decode().strip().splitlines()) == 3  # the header and two accounts
    event = AuditEvent.objects.get()
    assert (event.user, event.action, event.object_type, event.object_id, event.object_repr) == (
        csm, "exported", "accounts.Account", "", "Account list CSV: 2 row(s)")
    assert event.changes == {"filters": {"q": "lakeside", "ordering": "name"}, "rows": 2}


def test_the_risk_export_command_is_recorded(tmp_path, own_account):
    out = tmp_path / "risk.csv"

    call_command("export_risk", "--as-of", "2024-12-31", "--level", "account", "--output", str(out),
                 stdout=io.StringIO())

    assert audit_rows(action="exported") == [
        (None, "exported", "accounts.Account", "",
         {"filters": {"as_of": "2024-12-31", "level": "account", "config": "active"}, "rows": 1})]


def test_an_administrator_setting_a_password_is_recorded_without_the_password(client, admin_user, csm):
    client.force_login(admin_user)

    response = client.post(reverse("admin:auth_user_password_change", args=[csm.pk]),
                           {"password1": "a fresh long secret", "password2": "a fresh long secret",
                            "usable_password": "true"})

    assert response.status_code == 302
    assert audit_rows() == [(admin_user.pk, "password set", "accounts.User", str(csm.pk), {})]
    assert "a fresh long secret" not in str(AuditEvent.objects.values_list("changes", "object_repr").get())


def test_a_refused_password_change_records_nothing(client, admin_user, csm):
    client.force_login(admin_user)

    response = client.post(reverse("admin:auth_user_password_change", args=[csm.pk]),
                           {"password1": "a fresh long secret", "password2": "another one", "usable_password": "true"})

    assert response.status_code == 200
    assert not AuditEvent.objects.exists()


def test_changing_ones_own_password_in_admin_is_recorded(client, admin_user):
    client.force_login(admin_user)

    response = client.post(reverse("admin:password_change"),
                           {"old_password": "correct horse battery", "new_password1": "a fresh long secret",
                            "new_password2": "a fresh long secret"})

    assert response.status_code == 302
    assert audit_rows() == [(admin_user.pk, "password set", "accounts.User", str(admin_user.pk), {})]


def test_a_bulk_delete_in_admin_records_every_deleted_row(client, admin_user, own_account, foreign_account):
    kept = AccountFactory(external_id="A-KEPT", csm=admin_user)
    client.force_login(admin_user)

    response = client.post(reverse("admin:accounts_account_changelist"),
                           {"action": "delete_selected", "post": "yes",
                            "_selected_action": [own_account.pk, foreign_account.pk]})

    assert response.status_code == 302
    assert list(Account.objects.values_list("pk", flat=True)) == [kept.pk]
    assert sorted(audit_rows(action="deleted")) == sorted([
        (admin_user.pk, "deleted", "accounts.Account", str(own_account.pk), {}),
        (admin_user.pk, "deleted", "accounts.Account", str(foreign_account.pk), {})])


def test_rows_changed_added_and_deleted_in_an_admin_inline_are_recorded(client, admin_user, own_account):
    changed = SubscriptionFactory(account=own_account, external_id="S-1", seats=10)
    gone = SubscriptionFactory(account=own_account, external_id="S-2", seats=5)
    client.force_login(admin_user)
    url, form, data = account_admin_form(client, own_account)
    data.update({"csm": own_account.csm_id, "contacts-TOTAL_FORMS": 0, "contacts-INITIAL_FORMS": 0,
                 "subscriptions-TOTAL_FORMS": 3, "subscriptions-INITIAL_FORMS": 2})
    for i, sub in enumerate((changed, gone)):
        data.update({f"subscriptions-{i}-id": sub.pk, f"subscriptions-{i}-account": own_account.pk,
                     f"subscriptions-{i}-external_id": sub.external_id, f"subscriptions-{i}-plan_tier": sub.plan_tier,
                     f"subscriptions-{i}-seats": 25 if sub is changed else sub.seats,
                     f"subscriptions-{i}-mrr": sub.mrr, f"subscriptions-{i}-arr": sub.arr,
                     f"subscriptions-{i}-start_date": sub.start_date})
    data["subscriptions-1-DELETE"] = "on"
    data.update({"subscriptions-2-account": own_account.pk, "subscriptions-2-external_id": "S-3",
                 "subscriptions-2-plan_tier": "Pro", "subscriptions-2-seats": 3, "subscriptions-2-mrr": 30,
                 "subscriptions-2-arr": 360, "subscriptions-2-start_date": "2025-01-01"})

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    added = Subscription.objects.get(external_id="S-3")
    assert audit_rows(object_type="accounts.Subscription") == [
        (admin_user.pk, "deleted", "accounts.Subscription", str(gone.pk), {}),
        (admin_user.pk, "created", "accounts.Subscription", str(added.pk), {}),
        (admin_user.pk, "changed", "accounts.Subscription", str(changed.pk), {"seats": ["10", "25"]}),
    ]
    assert not Subscription.objects.filter(pk=gone.pk).exists()


def test_a_configuration_activated_by_the_import_command_is_recorded(tmp_path):
    before = ensure_active_config()
    data = copy.deepcopy(before.data)
    data["risk_levels"]["medium"] = 25
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"name": "From file", **data}), encoding="utf-8")

    call_command("scoring_config", "import", str(path), "--activate", stdout=io.StringIO())

    imported = ScoringConfig.objects.get(name="From file")
    assert audit_rows(object_type="scoring.ScoringConfig") == [
        (None, "created", "scoring.ScoringConfig", str(imported.pk), {}),
        (None, "activated", "scoring.ScoringConfig", str(imported.pk),
         {"active_version": [before.version, imported.version]}),
    ]


def test_a_configuration_refused_by_the_import_command_records_nothing(tmp_path):
    ensure_active_config()
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"name": "Broken"}), encoding="utf-8")

    with pytest.raises(CommandError):
        call_command("scoring_config", "import", str(path), "--activate", stdout=io.StringIO(), stderr=io.StringIO())

    assert not AuditEvent.objects.exists()
