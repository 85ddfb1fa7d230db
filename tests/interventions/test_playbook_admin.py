"""Playbooks in Django admin: default playbooks installed, steps edited inline, templates validated on
save (nothing saved on a bad one), a preview against a real account, and every change audited."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from accounts.models import AuditEvent
from interventions.defaults import DEFAULT_PLAYBOOKS
from interventions.models import Playbook, PlaybookStep
from tests.factories import AccountFactory, ContactFactory, SnapshotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("migration_defaults")]


def form_data(playbook: Playbook | None = None, steps: list[dict] | None = None, **fields) -> dict:
    data = {"name": "Renewal push", "description": "", "trigger_kind": "tier", "trigger_value": "At risk",
            "priority": "50", "cooldown_days": "30", "control_share": "0.1", "active": "on", **fields}
    existing = list(playbook.steps.order_by("order")) if playbook else []
    steps = steps if steps is not None else []
    prefix = "steps"
    data.update({f"{prefix}-TOTAL_FORMS": str(len(steps)), f"{prefix}-INITIAL_FORMS": str(len(existing)),
                 f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
    for n, step in enumerate(steps):
        row = {"order": str(n + 1), "title": f"Step {n + 1}", "due_offset_hours": "24", "channel": "email",
               "assignee_role": "csm", "template": "", "escalate_after_hours": "", **step}
        if n < len(existing):
            row["id"] = str(existing[n].pk)
            row["playbook"] = str(playbook.pk)
        data.update({f"{prefix}-{n}-{key}": value for key, value in row.items()})
    return data


def test_the_default_playbooks_are_installed_for_the_two_tiers_and_the_high_risk_level():
    installed = {p.trigger_value: p for p in Playbook.objects.filter(name__in=[d["name"] for d in DEFAULT_PLAYBOOKS])}

    assert {(p.trigger_kind, value) for value, p in installed.items()} == {
        ("tier", "Critical"), ("risk_level", "High"), ("tier", "At risk")}
    critical = installed["Critical"]
    steps = critical.steps.order_by("order")
    assert [(s.due_offset_hours, s.assignee_role, s.escalate_after_hours) for s in steps] == [
        (1, "executive", 24), (2, "csm", 48), (4, "csm", 72), (24, "csm", 72)]
    assert [s.due_offset_hours for s in installed["At risk"].steps.order_by("order")] == [24, 72, 168]


def test_an_admin_adds_a_playbook_with_steps_and_the_audit_log_records_it(client, admin_user):
    client.force_login(admin_user)

    response = client.post(reverse("admin:interventions_playbook_add"), form_data(steps=[
        {"title": "Value e-mail", "template": "Hi {contact}, {account} is on the {plan} plan."},
        {"title": "Call", "channel": "call", "due_offset_hours": "72"}]))

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    playbook = Playbook.objects.get(name="Renewal push")
    assert list(playbook.steps.order_by("order").values_list("title", "due_offset_hours")) == [
        ("Value e-mail", 24), ("Call", 72)]
    event = AuditEvent.objects.get()
    assert (event.user, event.action, event.object_type, event.object_repr) == (
        admin_user, "created", "interventions.Playbook", "Renewal push")
    assert event.changes["trigger_value"] == [None, "At risk"]
    assert [s["title"] for s in event.changes["steps"][1]] == ["Value e-mail", "Call"]


def test_an_unknown_placeholder_is_refused_with_a_clear_message_and_nothing_saved(client, admin_user):
    client.force_login(admin_user)

    response = client.post(reverse("admin:interventions_playbook_add"), form_data(steps=[
        {"template": "Hi {contact}, your {healthscore} fell"}]))

    assert response.status_code == 200
    assert ("Unknown placeholder {healthscore}. Allowed placeholders: {account}, {plan}, {renewal}, {csm}, {contact}, "
            "{reasons}, {actions}.") in response.content.decode()
    assert not Playbook.objects.filter(name="Renewal push").exists()
    assert not AuditEvent.objects.exists()


def test_a_trigger_value_must_fit_its_kind(client, admin_user):
    client.force_login(admin_user)

    response = client.post(reverse("admin:interventions_playbook_add"), form_data(trigger_value="Dire"))

    assert "&#x27;Dire&#x27; is not a valid health tier entered; use one of: Thriving, Healthy" in \
        response.content.decode()
    assert not Playbook.objects.filter(name="Renewal push").exists()


def test_a_change_records_who_changed_what_from_what(client, admin_user):
    playbook = Playbook.objects.create(name="Renewal push", trigger_kind="tier", trigger_value="At risk")
    PlaybookStep.objects.create(playbook=playbook, order=1, title="Step 1", due_offset_hours=24)
    client.force_login(admin_user)

    client.post(reverse("admin:interventions_playbook_change", args=[playbook.pk]),
                form_data(playbook, steps=[{"title": "Step 1", "due_offset_hours": "12"}], cooldown_days="14",
                          priority="100", control_share="0"))

    event = AuditEvent.objects.get()
    assert event.action == "changed"
    assert event.changes["cooldown_days"] == ["30", "14"]
    assert [s["due_offset_hours"] for s in event.changes["steps"][0]] == ["24"]
    assert [s["due_offset_hours"] for s in event.changes["steps"][1]] == ["12"]
    assert set(event.changes) == {"cooldown_days", "steps"}


def test_the_preview_fills_each_step_for_a_real_account(client, admin_user):
    account = AccountFactory(external_id="A-9", name="Lakeside", plan_tier="Pro")
    ContactFactory(account=account, name="Ana Diaz", role="champion")
    SnapshotFactory(account=account, health_score=41.0, health_tier="At risk", top_reasons="Usage dropped 40%")
    playbook = Playbook.objects.create(name="Renewal push", trigger_kind="tier", trigger_value="At risk")
    PlaybookStep.objects.create(playbook=playbook, order=1, title="Mail", due_offset_hours=24,
                                template="Hi {contact}: {account} ({plan}) is at {health} because {reasons}.")
    client.force_login(admin_user)

    response = client.get(reverse("admin:interventions_playbook_preview", args=[playbook.pk]), {"account": "a-9"})

    assert "Hi Ana: Lakeside (Pro) is at 41 because Usage dropped 40%." in response.content.decode()


def test_managers_read_playbooks_and_the_audit_log_but_do_not_edit(client, manager):
    playbook = Playbook.objects.first()
    client.force_login(manager)

    assert client.get(reverse("admin:interventions_playbook_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_auditevent_changelist")).status_code == 200
    response = client.post(reverse("admin:interventions_playbook_change", args=[playbook.pk]),
                           form_data(playbook, name="Hijacked"))
    assert response.status_code == 403
    playbook.refresh_from_db()
    assert playbook.name != "Hijacked"


def test_the_upgrade_moves_the_unedited_high_risk_playbook_to_the_risk_level_and_back():
    module = importlib.import_module("interventions.migrations.0004_high_risk_playbook_on_risk_level")
    playbook = Playbook.objects.get(name="High risk: personal outreach")
    Playbook.objects.filter(pk=playbook.pk).update(trigger_kind="tier", trigger_value="High risk")

    module.on_risk_level(django_apps, None)
    playbook.refresh_from_db()
    assert (playbook.trigger_kind, playbook.trigger_value) == ("risk_level", "High")

    module.on_tier(django_apps, None)
    playbook.refresh_from_db()
    assert (playbook.trigger_kind, playbook.trigger_value) == ("tier", "High risk")


def test_the_upgrade_leaves_an_edited_high_risk_playbook_alone():
    module = importlib.import_module("interventions.migrations.0004_high_risk_playbook_on_risk_level")
    Playbook.objects.filter(name="High risk: personal outreach").update(trigger_kind="alert",
                                                                         trigger_value="failed_payment")

    module.on_risk_level(django_apps, None)

    assert Playbook.objects.get(name="High risk: personal outreach").trigger_value == "failed_payment"
