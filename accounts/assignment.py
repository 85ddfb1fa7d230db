"""Assigning accounts to CSMs (docs/operations.md#assignment-rules): by a manager, many at once, or by the
assignment rules (round-robin within each rule's team). Every change is one set of writes: the accounts'
UPDATE, their history rows, their audit entries, and the announcement (accounts.events.accounts_reassigned)
on which interventions hands the old CSM's open tasks to the new one, all in one transaction."""

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Prefetch, QuerySet

from accounts.audit import audit_records
from accounts.events import accounts_reassigned
from accounts.models import Account, AccountAssignment, AssignmentRule, User
from accounts.selectors import assignable_csms
from healthcs.errors import DomainError

MAX_REASON = AccountAssignment._meta.get_field("reason").max_length


@dataclass(frozen=True)
class Move:
    """One account changing CSM."""

    account: Account  # with its name, external id and old csm_id
    to_csm_id: int
    rule: AssignmentRule | None = None


@dataclass(frozen=True)
class RulesApplied:
    """What a run of the rules did: accounts assigned per rule name, and the unassigned accounts no rule took."""

    assigned: dict[str, int]
    unmatched: int

    @property
    def total(self) -> int:
        return sum(self.assigned.values())


def _write_moves(moves: list[Move], *, by: User | None, reason: str) -> None:
    """Set the accounts' new CSMs (one UPDATE per new CSM), record history and audit, and announce them."""
    by_csm: dict[int, list[int]] = defaultdict(list)
    for move in moves:
        by_csm[move.to_csm_id].append(move.account.pk)
    for csm_id, ids in by_csm.items():
        Account.objects.filter(pk__in=ids).update(csm_id=csm_id)
    names = dict(User.objects.filter(pk__in={m.to_csm_id for m in moves} | {m.account.csm_id for m in moves})
                 .values_list("pk", "email"))
    AccountAssignment.objects.bulk_create([
        AccountAssignment(account=m.account, from_csm_id=m.account.csm_id, to_csm_id=m.to_csm_id,
                          by=by if by is not None and by.is_authenticated else None, rule=m.rule,
                          reason=reason[:MAX_REASON]) for m in moves])
    changes = {m.account.pk: {"csm": [names.get(m.account.csm_id), names[m.to_csm_id]]}
               | ({"rule": m.rule.name} if m.rule else {}) | ({"reason": reason} if reason else {}) for m in moves}
    audit_records(user=by, action="assigned", objects=[m.account for m in moves], changes=lambda a: changes[a.pk])
    accounts_reassigned.send(sender=Account, moves={m.account.pk: (m.account.csm_id, m.to_csm_id) for m in moves})


def _rows(accounts: QuerySet[Account]) -> list[Account]:
    """Just what a move needs of each account (one query; the caller's ordering and annotations dropped)."""
    return list(Account.objects.filter(pk__in=accounts.order_by().values("pk"))
                .only("id", "name", "external_id", "csm_id", "segment", "plan_tier", "ehr_system", "country")
                .order_by("external_id"))


@transaction.atomic
def accounts_assign(*, accounts: QuerySet[Account], csm: User, by: User, reason: str = "") -> int:
    """Assign the accounts to a CSM (those already theirs stay as they are); refused, with nothing changed, for
    a target who is not an active CSM or when no account is given. Returns how many changed CSM."""
    if not assignable_csms().filter(pk=csm.pk).exists():
        raise DomainError(f"{csm.get_full_name() or csm.username} is not an active CSM; choose one of the CSMs.",
                          field="csm")
    rows = _rows(accounts)
    if not rows:
        raise DomainError("No account was chosen: tick the accounts to assign, or choose all the accounts "
                          "matching the filter.", field="accounts")
    moves = [Move(account=a, to_csm_id=csm.pk) for a in rows if a.csm_id != csm.pk]
    if moves:
        _write_moves(moves, by=by, reason=reason)
    return len(moves)


def _matches(rule: AssignmentRule, account: Account) -> bool:
    """Every condition the rule gives holds for the account (case-insensitive; a blank condition holds)."""
    return all(not wanted or wanted.casefold() == (have or "").casefold() for wanted, have in (
        (rule.segment, account.segment), (rule.plan_tier, account.plan_tier),
        (rule.ehr_system, account.ehr_system), (rule.region, account.country)))


@transaction.atomic
def assignment_rules_apply(*, accounts: QuerySet[Account] | None = None, by: User | None = None) -> RulesApplied:
    """Give each unassigned live account (of `accounts`, else all) to the first active rule in order that
    matches it, its team's CSMs taking turns where the rule's last run stopped (the rules are locked for the
    run, so two runs never hand out the same turn)."""
    team = Prefetch("team", queryset=assignable_csms(), to_attr="csms")
    rules = [rule for rule in AssignmentRule.objects.select_for_update().filter(active=True)
             .order_by("order", "id").prefetch_related(team) if rule.csms]
    for rule in rules:  # by user name, as documented: stable whatever the names' order
        rule.csms.sort(key=lambda u: u.username)
    candidates = Account.objects.filter(csm__isnull=True, churned=False)
    if accounts is not None:
        candidates = candidates.filter(pk__in=accounts.order_by().values("pk"))
    moves, unmatched, turns = [], 0, defaultdict(int)
    for account in _rows(candidates) if rules else []:
        rule = next((r for r in rules if _matches(r, account)), None)
        if rule is None:
            unmatched += 1
            continue
        csm = rule.csms[(rule.cursor + turns[rule.pk]) % len(rule.csms)]
        turns[rule.pk] += 1
        moves.append(Move(account=account, to_csm_id=csm.pk, rule=rule))
    if not rules:
        unmatched = candidates.count()
    for rule in rules:
        if turns[rule.pk]:
            AssignmentRule.objects.filter(pk=rule.pk).update(cursor=rule.cursor + turns[rule.pk])
    if moves:
        _write_moves(moves, by=by, reason="assignment rule")
    return RulesApplied(assigned={r.name: turns[r.pk] for r in rules if turns[r.pk]}, unmatched=unmatched)
