"""Reads of the expansion app, scoped to what the user may see (accounts.selectors decides that)."""

from django.db.models import Q
from django.http import Http404

from accounts.models import Account, User
from accounts.selectors import accounts_for_user, scope_to_user
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


ADD_MATCHES = 20  # accounts the new-opportunity form offers for what was typed
ADD_QUERY_MAX = 100


def clean_account_query(query: str) -> str:
    """What was typed to find an account, as the database can take it: no NUL, trimmed, bounded."""
    return query.replace("\x00", "").strip()[:ADD_QUERY_MAX]


def accounts_to_add(user: User, query: str, limit: int = ADD_MATCHES) -> list[Account]:
    """The user's live accounts whose name contains the query or whose id it is, by name (one query):
    the new-opportunity form's choice, found by the database instead of a select box of every account."""
    query = clean_account_query(query)
    if not query:
        return []
    return list(accounts_for_user(user).select_related(None).filter(churned=False)
                .filter(Q(name__icontains=query) | Q(external_id__iexact=query))
                .order_by("name", "external_id").only("external_id", "name")[:limit])
