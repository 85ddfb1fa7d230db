"""Assignment of accounts to CSMs (accounts.assignment): by a manager, many at once, and by the assignment rules
(conditions, round-robin within a team continuing across runs, after an import). A reassignment hands the old
CSM's open tasks to the new one, keeps the history and is audited; a refusal changes nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.assignment import accounts_assign, assignment_rules_apply
from accounts.models import Account, AccountAssignment, AssignmentRule, AuditEvent
from accounts.services import import_files_recorded
from healthcs.errors import DomainError
from interventions.models import Intervention, Playbook, Task
from tests.factories import AccountFactory, UserFactory
from tests.importing import ACCOUNTS_HEADER, csv_bytes

pytestmark = pytest.mark.django_db


def task(account, assignee, *, role="csm", status="open", order=1):
    """A task of a playbook's firing for the account (one intervention per account)."""
    playbook, _ = Playbook.objects.get_or_create(name="Rescue", defaults={"trigger_kind": "tier",
                                                                          "trigger_value": "Critical"})
    now = timezone.now()
    intervention, _ = Intervention.objects.get_or_create(
        account=account, playbook=playbook, triggered_on=now.date(),
        defaults={"triggered_at": now, "reason": "Critical", "draw": 0.5, "group": "treated", "status": "open"})
    return Task.objects.create(intervention=intervention, account=account, order=order, title=f"Step {order}",
                               channel="call", assignee_role=role, assignee=assignee, status=status,
                               due_at=now + dt.timedelta(hours=order))


def assignees(*tasks):
    return [Task.objects.get(pk=t.pk).assignee for t in tasks]


# Assigning by hand --------------------------------------------------------------------------------------

def test_it_assigns_the_accounts_and_hands_over_only_the_old_csms_open_tasks(csm, other_csm, manager):
    # Given two of casey's accounts with tasks: casey's open and done ones, a manager's, robin's
    boss = UserFactory(username="bea", role="Manager")
    a1, a2 = AccountFactory(external_id="A-1", csm=csm), AccountFactory(external_id="A-2", csm=csm)
    kept_away = AccountFactory(external_id="A-3", csm=csm)
    open_task = task(a1, csm, order=1)
    done_task = task(a1, csm, status="done", order=2)
    managers_task = task(a1, boss, role="manager", order=3)
    other_task = task(a2, csm, order=1)
    untouched = task(kept_away, csm, order=1)

    # When morgan assigns to robin
    moved = accounts_assign(accounts=Account.objects.filter(external_id__in=["A-1", "A-2"]), csm=other_csm,
                            by=manager, reason="Rebalancing")

    # Then both are robin's, with their open CSM tasks; the done one, the manager's and A-3's stay
    assert moved == 2
    assert dict(Account.objects.values_list("external_id", "csm__username")) == {
        "A-1": "robin", "A-2": "robin", "A-3": "casey"}
    assert assignees(open_task, done_task, managers_task, other_task, untouched) == [
        other_csm, csm, boss, other_csm, csm]
    history = list(AccountAssignment.objects.order_by("account__external_id").values_list(
        "account__external_id", "from_csm__username", "to_csm__username", "by__username", "rule", "reason"))
    assert history == [("A-1", "casey", "robin", "morgan", None, "Rebalancing"),
                       ("A-2", "casey", "robin", "morgan", None, "Rebalancing")]
    audit = list(AuditEvent.objects.filter(action="assigned").order_by("object_id")
                 .values_list("user__username", "object_id", "changes"))
    changes = {"csm": ["casey@example.org", "robin@example.org"], "reason": "Rebalancing"}
    assert audit == [("morgan", str(a1.pk), changes), ("morgan", str(a2.pk), changes)]


def test_an_account_already_the_csms_is_left_as_it_is(csm, manager):
    AccountFactory(external_id="A-1", csm=csm)

    moved = accounts_assign(accounts=Account.objects.all(), csm=csm, by=manager)

    assert moved == 0
    assert AccountAssignment.objects.count() == 0 and AuditEvent.objects.filter(action="assigned").count() == 0


def test_an_unassigned_accounts_csm_steps_go_to_the_new_csm(csm, manager):
    account = AccountFactory(external_id="A-1", csm=None)
    csm_step, manager_step = task(account, None, order=1), task(account, None, role="manager", order=2)

    accounts_assign(accounts=Account.objects.all(), csm=csm, by=manager)

    assert assignees(csm_step, manager_step) == [csm, None]


@pytest.mark.parametrize("target", ["manager", "inactive", "nobody"])
def test_it_refuses_a_target_who_is_not_an_active_csm_and_changes_nothing(csm, manager, target):
    account = AccountFactory(external_id="A-1", csm=csm)
    open_task = task(account, csm)
    user = {"manager": manager, "inactive": UserFactory(username="gone", role="CSM", is_active=False),
            "nobody": UserFactory(username="plain")}[target]

    with pytest.raises(DomainError) as refused:
        accounts_assign(accounts=Account.objects.all(), csm=user, by=manager)

    assert refused.value.field == "csm"
    assert refused.value.message.endswith("is not an active CSM; choose one of the CSMs.")
    assert Account.objects.get().csm == csm and assignees(open_task) == [csm]
    assert AccountAssignment.objects.count() == 0 and AuditEvent.objects.count() == 0


def test_it_refuses_an_empty_choice(csm, manager):
    with pytest.raises(DomainError) as refused:
        accounts_assign(accounts=Account.objects.none(), csm=csm, by=manager)

    assert refused.value.field == "accounts"


# Assignment rules ---------------------------------------------------------------------------------------

@pytest.fixture
def team():
    return [UserFactory(username=name, email=f"{name}@example.org", role="CSM") for name in ("ann", "bob", "cyd")]


def rule(name, order, members, **conditions):
    made = AssignmentRule.objects.create(name=name, order=order, **conditions)
    made.team.set(members)
    return made


def csms():
    return dict(Account.objects.order_by("external_id").values_list("external_id", "csm__username"))


def test_the_first_matching_rule_decides_and_blank_conditions_match_any(team):
    ann, bob, cyd = team
    rule("Epic enterprise in the US", 1, [ann], segment="Enterprise", ehr_system="epic", region="US")
    rule("Pro plans", 2, [bob], plan_tier="Pro")
    rule("Everything else", 3, [cyd])
    AccountFactory(external_id="A-1", segment="Enterprise", ehr_system="Epic", country="US", plan_tier="Pro")
    AccountFactory(external_id="A-2", segment="Enterprise", ehr_system="Epic", country="DE", plan_tier="Pro")
    AccountFactory(external_id="A-3", segment="SMB", ehr_system="", country="DE", plan_tier="Basic")

    applied = assignment_rules_apply()

    assert csms() == {"A-1": "ann", "A-2": "bob", "A-3": "cyd"}
    assert applied.assigned == {"Epic enterprise in the US": 1, "Pro plans": 1, "Everything else": 1}
    assert applied.unmatched == 0


def test_round_robin_goes_on_where_the_last_run_stopped(team):
    ann, bob, cyd = team
    smb = rule("SMB", 1, [cyd, ann, bob], segment="SMB")  # in turn by user name: ann, bob, cyd
    for n in (1, 2):
        AccountFactory(external_id=f"A-{n}", segment="SMB")

    assignment_rules_apply()
    for n in (3, 4, 5):
        AccountFactory(external_id=f"A-{n}", segment="SMB")
    assignment_rules_apply()

    assert csms() == {"A-1": "ann", "A-2": "bob", "A-3": "cyd", "A-4": "ann", "A-5": "bob"}
    smb.refresh_from_db()
    assert smb.cursor == 5
    assert list(AccountAssignment.objects.filter(account__external_id="A-3").values_list(
        "from_csm", "to_csm__username", "by", "rule__name", "reason")) == [(None, "cyd", None, "SMB",
                                                                           "assignment rule")]


def test_rules_take_only_unassigned_live_accounts_and_pass_over_inactive_members(team, csm):
    ann, bob, _ = team
    bob.is_active = False
    bob.save()
    rule("All", 1, [ann, bob])
    AccountFactory(external_id="A-MINE", csm=csm)
    AccountFactory(external_id="A-GONE", churned=True)
    AccountFactory(external_id="A-NEW")
    inactive_rule = rule("Off", 0, [bob])
    inactive_rule.active = False
    inactive_rule.save()

    applied = assignment_rules_apply()

    assert csms() == {"A-GONE": None, "A-MINE": "casey", "A-NEW": "ann"}
    assert (applied.assigned, applied.unmatched) == ({"All": 1}, 0)


def test_accounts_no_rule_matches_stay_unassigned(team):
    rule("Enterprise", 1, team[:1], segment="Enterprise")
    AccountFactory(external_id="A-1", segment="SMB")

    applied = assignment_rules_apply()

    assert csms() == {"A-1": None}
    assert (applied.assigned, applied.unmatched, applied.total) == ({}, 1, 0)


def test_rules_apply_to_the_new_accounts_of_an_import(team, django_capture_on_commit_callbacks):
    ann, bob, _ = team
    rule("US", 1, [ann, bob], region="us")
    AccountFactory(external_id="A-OLD", country="US")  # unassigned before the import: taken too
    files = {"ravenstack_accounts.csv": csv_bytes(
        ACCOUNTS_HEADER, "A-1,One,HealthTech,US,2024-01-01,partner,Pro,10,False,False",
        "A-2,Two,HealthTech,DE,2024-01-01,partner,Pro,10,False,False")}

    with django_capture_on_commit_callbacks(execute=True):
        result = import_files_recorded(files=files, source="accounts.csv")

    assert result.ok, [str(p) for p in result.problems]
    assert csms() == {"A-1": "ann", "A-2": None, "A-OLD": "bob"}
