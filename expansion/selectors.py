"""Reads of the expansion app, scoped to what the user may see (accounts.selectors decides that)."""

from django.http import Http404

from accounts.models import User
from accounts.selectors import scope_to_user
from expansion.models import ExpansionSignal, Opportunity


def get_opportunity_for_user(user: User, opportunity_id: int) -> Opportunity:
    """An opportunity on one of the user's accounts; 404 otherwise (another CSM's is not revealed)."""
    try:
        return scope_to_user(Opportunity.objects.select_related("account", "owner"), user).get(pk=opportunity_id)
    except Opportunity.DoesNotExist:
        raise Http404("No such opportunity.") from None


def get_signal_for_user(user: User, signal_id: int) -> ExpansionSignal:
    try:
        return scope_to_user(ExpansionSignal.objects.select_related("account"), user).get(pk=signal_id)
    except ExpansionSignal.DoesNotExist:
        raise Http404("No such signal.") from None


def account_expansion(account) -> tuple[list[ExpansionSignal], list[Opportunity]]:
    """The account's open signals and its opportunities, newest first (two queries)."""
    signals = list(account.expansion_signals.filter(status="open").order_by("-last_detected_on", "kind"))
    opportunities = list(account.opportunities.select_related("owner").order_by("-created_at"))
    return signals, opportunities
