"""Writes of the expansion pipeline: opportunities created (from a signal or by hand) and changed under
the pipeline's rules, every stage change recorded, and signals dismissed.

The services take typed values: the page's form and the API's serializers (expansion.forms) read what is
typed, with the columns' bounds and lengths. Rules (pages and API alike; a broken rule raises DomainError
naming the field, nothing saved):
- the stage is one of identified, qualified, proposal, negotiation, won, lost; open stages may move to
  any other stage; won and lost are final;
- won needs an amount above zero; lost needs a reason;
- the probability is 0-100; it follows the stage's default (10/25/50/75, won 100, lost 0) until someone
  sets it, and closing sets it to 100 or 0 whatever was set;
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, User, WebhookEvent
from accounts.webhooks.emit import webhooks_emit
from expansion.kinds import SIGNAL_KINDS
from expansion.models import (
    CLOSED_STAGES,
    DEFAULT_PROBABILITY,
    ExpansionSignal,
    Opportunity,
    SignalStatus,
    Stage,
    StageChange,
)
from healthcs.bulk import insert_rows, update_rows
from healthcs.errors import DomainError

# What opportunity_update changes: {name: typed value} (a Decimal amount, an int probability, a date, a User).
EDITABLE = ("title", "stage", "amount", "probability", "expected_close", "owner", "next_step", "notes",
            "lost_reason")


@transaction.atomic
def opportunity_update(*, opportunity: Opportunity, user: User | None, changes: dict,
                       now: dt.datetime | None = None) -> Opportunity:
    """Apply the changes (typed values of EDITABLE fields) under the pipeline's rules; a stage change is
    recorded (who, when, from, to)."""
    if unknown := set(changes) - set(EDITABLE):
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    now = now or timezone.now()
    opportunity = Opportunity.objects.select_for_update(of=("self",)).select_related("account").get(pk=opportunity.pk)
    before = opportunity.stage
    if before in CLOSED_STAGES and changes.get("stage", before) != before:
        raise DomainError(f"This opportunity is {opportunity.get_stage_display().lower()}; "
                          "a closed opportunity stays closed.", field="stage")
    for name, value in changes.items():
        setattr(opportunity, name, value)
    if "probability" in changes and changes["probability"] != DEFAULT_PROBABILITY.get(before):
        opportunity.probability_edited = True
    stage = opportunity.stage
    if stage == Stage.WON and opportunity.amount <= 0:
        raise DomainError("A won opportunity needs its amount (added MRR) above zero.", field="amount")
    if stage == Stage.LOST and not opportunity.lost_reason:
        raise DomainError("Say why the opportunity was lost.", field="lost_reason")
    if stage != before:
        if stage in CLOSED_STAGES or not opportunity.probability_edited:
            opportunity.probability = DEFAULT_PROBABILITY[stage]
        opportunity.closed_at = now if stage in CLOSED_STAGES else None
        StageChange.objects.create(opportunity=opportunity, from_stage=before, to_stage=stage, changed_by=user,
                                   changed_at=now)
        webhooks_emit(event=WebhookEvent.OPPORTUNITY_STAGE_CHANGED,
                      payloads=[_stage_changed(opportunity, opportunity.account, before, now)])
    opportunity.save()
    return opportunity


def _stage_changed(opportunity: Opportunity, account: Account, before: str, now: dt.datetime) -> dict:
    """The webhooks' "opportunity stage changed" (from null: a new opportunity)."""
    return _stage_payload(opportunity.pk, account.external_id, opportunity.title, before, opportunity.stage,
                          opportunity.amount, opportunity.probability, now)


def _stage_payload(opportunity_id: int, account: str, title: str, before: str, stage: str, amount, probability: int,
                   now: dt.datetime) -> dict:
    return {"opportunity_id": opportunity_id, "account": account, "title": title, "from": before or None,
            "to": stage, "amount": f"{Decimal(amount):.2f}", "probability": probability, "changed_at": now}


@transaction.atomic
def opportunity_create(*, account: Account, user: User | None, title: str, amount: Decimal = Decimal(0),
                       owner: User | None = None, expected_close: dt.date | None = None, next_step: str = "",
                       notes: str = "", probability: int | None = None, source_kind: str = "",
                       now: dt.datetime | None = None) -> Opportunity:
    """A new opportunity in the identified stage (recorded as its first stage change), owned by the
    account's CSM unless an owner is given, at the stage's probability unless one is given."""
    now = now or timezone.now()
    default = DEFAULT_PROBABILITY[Stage.IDENTIFIED]
    opportunity = Opportunity.objects.create(
        account=account, stage=Stage.IDENTIFIED, title=title, amount=amount, expected_close=expected_close,
        next_step=next_step, notes=notes, probability=default if probability is None else probability,
        probability_edited=probability not in (None, default), owner=owner or account.csm, created_by=user,
        created_at=now, source_kind=source_kind)
    StageChange.objects.create(opportunity=opportunity, from_stage="", to_stage=Stage.IDENTIFIED, changed_by=user,
                               changed_at=now)
    webhooks_emit(event=WebhookEvent.OPPORTUNITY_STAGE_CHANGED,
                  payloads=[_stage_changed(opportunity, account, "", now)])
    return opportunity


@transaction.atomic
def opportunity_from_signal(*, signal: ExpansionSignal, user: User | None,
                            now: dt.datetime | None = None) -> Opportunity:
    """The signal's opportunity: the account's open one if it has one (the signal joins it), else a new
    one with the signal's estimate. The signal stays open (and keeps being refreshed) with its link."""
    now = now or timezone.now()
    signal = ExpansionSignal.objects.select_for_update(of=("self",)).select_related("account", "account__csm") \
        .get(pk=signal.pk)
    if signal.opportunity_id:
        return signal.opportunity
    opportunity = (signal.account.opportunities.exclude(stage__in=CLOSED_STAGES).order_by("created_at").first()
                   or opportunity_create(account=signal.account, user=user, title=signal.get_kind_display(),
                                         amount=signal.estimated_mrr, source_kind=signal.kind, now=now,
                                         next_step="Qualify: confirm the need and the budget",
                                         expected_close=(now + dt.timedelta(days=60)).date()))
    signal.opportunity = opportunity
    signal.save(update_fields=["opportunity"])
    return opportunity


def signal_dismiss(*, signal: ExpansionSignal, now: dt.datetime | None = None) -> ExpansionSignal:
    """Set an open signal aside (it may open again when detected later)."""
    ExpansionSignal.objects.filter(pk=signal.pk, status=SignalStatus.OPEN).update(
        status=SignalStatus.DISMISSED, closed_at=now or timezone.now())
    signal.refresh_from_db()
    return signal


@transaction.atomic
def opportunities_from_new_signals(*, as_of: dt.date, now: dt.datetime | None = None) -> int:
    """Bring the day's new signals into the pipeline, set-based: each joins its account's open
    opportunity, or one new opportunity per account is opened (titled after its largest signal, with
    that estimate). The signals are claimed with a row lock, so two runs never convert one twice.
    Returns the number of signals converted."""
    now = now or timezone.now()
    # (signal, account, kind, estimate, the account's CSM and external id) of each signal, largest first per account
    new = list(ExpansionSignal.objects.select_for_update(skip_locked=True, of=("self",))
               .filter(status=SignalStatus.OPEN, first_detected_on=as_of, opportunity__isnull=True)
               .order_by("account_id", "-estimated_mrr", "kind")
               .values_list("id", "account_id", "kind", "estimated_mrr", "account__csm_id", "account__external_id"))
    if not new:
        return 0
    target: dict[int, int] = {}
    for opportunity_id, account_id in (Opportunity.objects.filter(account_id__in={row[1] for row in new})
                                       .exclude(stage__in=CLOSED_STAGES).order_by("-created_at", "-id")
                                       .values_list("id", "account_id")):
        target[account_id] = opportunity_id  # the oldest open one wins (listed last)
    largest = {}
    for row in new:
        largest.setdefault(row[1], row)
    stage, probability = Stage.IDENTIFIED, DEFAULT_PROBABILITY[Stage.IDENTIFIED]
    close, next_step = (now + dt.timedelta(days=60)).date(), "Qualify: confirm the need and the budget"
    opening = [(account_id, SIGNAL_KINDS[kind], stage, estimate, probability, csm_id, now, kind, close, next_step)
               for account_id, (_, _, kind, estimate, csm_id, _) in largest.items() if account_id not in target]
    opened = dict(insert_rows(Opportunity, ["account", "title", "stage", "amount", "probability", "owner",
                                            "created_at", "source_kind", "expected_close", "next_step"], opening,
                              returning=("account", "id")))
    insert_rows(StageChange, ["opportunity", "from_stage", "to_stage", "changed_at"],
                [(opened[account_id], "", stage, now) for account_id, *_ in opening])
    external_ids = {row[1]: row[5] for row in new}
    webhooks_emit(event=WebhookEvent.OPPORTUNITY_STAGE_CHANGED, payloads=(
        _stage_payload(opened[account_id], external_ids[account_id], title, "", stage, amount, probability, now)
        for account_id, title, _, amount, *_ in opening))
    target.update(opened)
    update_rows(ExpansionSignal, ["opportunity"], [(signal, target[account_id]) for signal, account_id, *_ in new])
    return len(new)
