"""What goes to the customer is written for the customer: for an account on which every risk rule of the
active configuration fired, the outreach e-mail draft and the default playbooks' e-mail and in-app
messages contain none of the configuration's reasons or actions, nor words such as "risk" or "churn";
the team's own texts (CSM tasks, calls, the Slack draft, the checklist) still carry the reasons."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from interventions.defaults import install_default_playbooks
from interventions.firing import fire_playbooks
from interventions.messages import CUSTOMER_CHANNELS
from interventions.models import Playbook, PlaybookStep, Task
from scoring.config import parse_config
from scoring.configs import ensure_active_config
from scoring.outreach import next_best_actions, outreach_drafts
from scoring.rules import recommended_actions
from tests.factories import AccountFactory, ContactFactory, SnapshotFactory

pytestmark = pytest.mark.django_db

EVIDENCE = {"pct": 79, "last": 62, "prior": 300, "n": 597, "mean": 1.5, "rounded": 2, "days": 64, "rate": 41.5,
            "uses": 14_380, "score": 23, "share": 97, "nps": 3, "ratio": 4.5}
INTERNAL_WORDS = ("risk", "churn", "cancel", "errors in 30d", "30d", "escalat", "downgrade", "dissatisf", "health",
                  "score")


def every_rule_fired(account, tier: str, as_of: dt.date):
    """A snapshot of the day on which every enabled rule fired at its first (highest) tier."""
    config = parse_config(ensure_active_config().data)
    fired = [{"rule": rule.id, "points": rule.tiers[0].points, "reason": rule.tiers[0].reason.format(**EVIDENCE)}
             for rule in config.rules if rule.enabled]
    fired.sort(key=lambda f: -f["points"])
    # The High-risk playbook answers the High churn-risk level; the others their tier (with Medium risk).
    level = "High" if tier == "High risk" else "Medium"
    return SnapshotFactory(account=account, as_of=as_of, health_tier=tier, health_score=12.0, risk_score=100,
                           risk_level=level, fired_rules=fired,
                           top_reasons="; ".join(f["reason"] for f in fired[:3]),
                           recommended_actions=recommended_actions({f["rule"] for f in fired}, config))


def internal_texts() -> list[str]:
    """Every reason (filled as the rules fill them) and every action text of the active configuration."""
    config = parse_config(ensure_active_config().data)
    reasons = [tier.reason.format(**EVIDENCE) for rule in config.rules for tier in rule.tiers]
    actions = [action for group in config.action_groups for action in group.actions]
    return [*reasons, *actions, config.default_action]


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return ([t for t in internal_texts() if t.lower() in lowered]
            + [w for w in INTERNAL_WORDS if re.search(re.escape(w), lowered)])


@pytest.fixture
def book(csm):
    """One account per default playbook's tier, every risk rule fired, all treated (no control group)."""
    install_default_playbooks(Playbook, PlaybookStep)  # a transactional test elsewhere may have flushed them
    Playbook.objects.update(control_share=0)
    today = timezone.localdate()
    accounts = {}
    for n, tier in enumerate(("Critical", "High risk", "At risk")):
        account = AccountFactory(external_id=f"A-{n}", name=f"Lakeside {n}", csm=csm, plan_tier="Professional")
        ContactFactory(account=account, name="Priya Shah", role="champion")
        accounts[tier] = (account, every_rule_fired(account, tier, today))
    report = fire_playbooks(as_of=today)
    assert (report.treated, report.failed) == (3, {}), str(report)
    return accounts


def test_the_email_draft_names_no_internal_reason_or_action(book):
    account, snapshot = book["Critical"]

    drafts = outreach_drafts(account, snapshot, next_best_actions(snapshot), "Casey Jones")

    assert leaks(drafts.email_subject + "\n" + drafts.email_body) == []
    assert snapshot.top_reasons in drafts.slack  # the team's note keeps the reasons


def test_the_customer_steps_of_every_default_playbook_name_no_internal_reason_or_action(book):
    customer_tasks = list(Task.objects.filter(channel__in=CUSTOMER_CHANNELS).select_related("intervention__playbook"))

    assert {t.intervention.playbook.name for t in customer_tasks} == {
        "Critical: executive rescue", "High risk: personal outreach", "At risk: nurture"}
    assert len(customer_tasks) == 7
    assert {t.title: leaks(t.message) for t in customer_tasks} == {t.title: [] for t in customer_tasks}
    personal = next(t for t in customer_tasks if t.title == "Personal CSM e-mail")
    assert ("talk about how your team is using the platform day to day, what your team needs from us in the coming "
            "months and your recent invoices and the billing set-up that suits you.") in personal.message


def test_the_team_steps_still_carry_the_internal_reasons_and_actions(book):
    _, snapshot = book["Critical"]

    call = Task.objects.get(title="Dedicated CSM call")
    plan = Task.objects.get(title="Usage analysis and improvement plan")

    assert f"Why: {snapshot.top_reasons}." in call.message
    assert "Customer language suggests cancellation risk" in call.message
    assert f"Start from: {snapshot.recommended_actions}." in plan.message


def test_the_account_page_drafts_the_customer_email_from_its_playbook_step_without_internal_words(client, csm, book):
    client.force_login(csm)

    response = client.get(reverse("account_detail", args=["A-0"]))

    drafts = response.context["drafts"]
    assert drafts.source == 'Filled from the step "Executive outreach to the customer\'s sponsor" of Critical: ' \
                            "executive rescue."
    assert leaks(drafts.email_subject + "\n" + drafts.email_body) == []
