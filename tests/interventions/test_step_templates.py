"""Step templates are checked by rendering them against a sample account, in one place for admin and
firing: no format specs, no conversions, no attribute or index access, only the known placeholders (and
only the customer-facing ones in e-mail and in-app steps), and a bounded length. The renderer itself
never applies a format, so a bad template already in the database cannot grow a message or crash."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from interventions.defaults import DEFAULT_PLAYBOOKS
from interventions.messages import (
    MESSAGE_MAX,
    TEMPLATE_PLACEHOLDERS,
    TemplateProblem,
    check_template,
    render_message,
    sample_facts,
)
from interventions.models import Channel, Playbook
from tests.interventions.test_playbook_admin import form_data

pytestmark = pytest.mark.django_db

CUSTOMER_ALLOWED = "Allowed placeholders: {account}, {plan}, {renewal}, {csm}, {contact}, {reasons}, {actions}."
TEAM_ALLOWED = ("Allowed placeholders: {account}, {account_id}, {plan}, {arr}, {renewal}, {csm}, {contact}, {health}, "
                "{tier}, {risk}, {risk_level}, {reasons}, {actions}, {playbook}.")


@pytest.mark.parametrize(("template", "problem"), [
    ("Hi {account:d}", "Placeholder {account:d} has a format (:d), which templates do not take: write {account} "
                       "alone."),
    ("{account:>100000}", "Placeholder {account:>100000} has a format (:>100000), which templates do not take: write "
                          "{account} alone."),
    ("{account!r}", "Placeholder {account!r} has a conversion (!r), which templates do not take: write {account} "
                    "alone."),
    ("{account.name}", "Placeholder {account.name} reads an attribute or an index, which templates do not take: write "
                       "{account} alone."),
    ("{account.__class__}", "Placeholder {account.__class__} reads an attribute or an index, which templates do not "
                            "take: write {account} alone."),
    ("{contact[0]}", "Placeholder {contact[0]} reads an attribute or an index, which templates do not take: write "
                     "{contact} alone."),
    ("{unknown}", "Unknown placeholder {unknown}."),
    ("Hi {}", "Unknown placeholder {}."),
])
def test_admin_refuses_a_bad_placeholder_with_a_message_naming_it_and_nothing_is_saved(client, admin_user, template,
                                                                                        problem):
    client.force_login(admin_user)

    response = client.post(reverse("admin:interventions_playbook_add"), form_data(steps=[{"template": template}]))

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert errors == [{"template": [f"{problem} {CUSTOMER_ALLOWED}"]}]
    assert not Playbook.objects.filter(name="Renewal push").exists()
    assert not AuditEvent.objects.exists()


def test_the_teams_figures_are_refused_in_customer_steps_and_allowed_in_the_teams(client, admin_user):
    client.force_login(admin_user)

    response = client.post(reverse("admin:interventions_playbook_add"), form_data(steps=[
        {"channel": "email", "template": "Hi {contact}, your health is {health}"},
        {"channel": "call", "template": "Call {contact}: health {health}, risk {risk} ({risk_level})"}]))

    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert errors == [{"template": ["Placeholder {health} is for the team only and is not sent to customers (e-mail "
                                    f"and in-app steps). {CUSTOMER_ALLOWED}"]}, {}]
    assert not Playbook.objects.filter(name="Renewal push").exists()


def test_every_problem_of_a_template_is_named_at_once():
    with pytest.raises(TemplateProblem) as problem:
        check_template("{account:d} {nope} {account:d}", "task")

    assert str(problem.value) == ("Placeholder {account:d} has a format (:d), which templates do not take: write "
                                  f"{{account}} alone. Unknown placeholder {{nope}}. {TEAM_ALLOWED}")


def test_a_template_filling_to_a_huge_message_is_refused():
    template = "{reasons} " * 60  # 600 characters, about 6,600 once filled for the sample account

    with pytest.raises(TemplateProblem, match=r"^Filled in for a typical account the message is 6,\d{3} characters "
                                              r"long; keep it to 5,000 \(use each placeholder fewer times\)\.$"):
        check_template(template, "task")
    with pytest.raises(TemplateProblem, match=r"^The template is 4,001 characters long; keep it to 4,000\.$"):
        check_template("x" * 4001, "task")


def test_the_renderer_never_applies_a_format_and_bounds_the_message():
    facts = sample_facts()

    with pytest.raises(TemplateProblem, match=r"^Placeholder \{account:>100000\} has a format"):
        render_message("{account:>100000}", facts, "email")
    with pytest.raises(TemplateProblem, match=r"^Placeholder \{account.__class__\} reads an attribute"):
        render_message("{account.__class__}", facts, "task")
    message = render_message("{reasons} " * 2000, facts, "task")  # stored unchecked: cut, not refused
    assert len(message) == MESSAGE_MAX and message.endswith("…")
    assert render_message("{{literal}} {account}", facts, "email") == "{literal} Lakeside Family Practice"


def test_the_sample_fills_every_documented_placeholder_and_the_defaults_pass():
    assert set(sample_facts().values) == set(TEMPLATE_PLACEHOLDERS)
    assert set(sample_facts().customer) <= set(TEMPLATE_PLACEHOLDERS)
    assert {"email", "in_app"} <= set(Channel.values)
    for playbook in DEFAULT_PLAYBOOKS:
        for step in playbook["steps"]:
            check_template(step["template"], step["channel"])
