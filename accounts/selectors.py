"""Reads of customer accounts, with the one rule of who may see what: CSMs their own book,
managers and admins everything. Pages, fragments, exports and the API all go through here."""

from django.db import connection
from django.db.models import Max, QuerySet
from django.http import Http404

from accounts.models import Account, ChampionChange, Contact, ImportRun, Role, User


def accounts_for_user(user: User) -> QuerySet[Account]:
    """The accounts the user may see."""
    accounts = Account.objects.select_related("csm")
    if user.is_authenticated and user.sees_all_accounts:
        return accounts
    if user.is_authenticated and user.role:
        return accounts.filter(csm=user)
    return accounts.none()


def scope_to_user(queryset: QuerySet, user: User, account_path: str = "account") -> QuerySet:
    """Any queryset of account-owned rows narrowed to the accounts the user may see."""
    if user.is_authenticated and user.sees_all_accounts:
        return queryset
    if user.is_authenticated and user.role:
        return queryset.filter(**{f"{account_path}__csm": user} if account_path else {"csm": user})
    return queryset.none()


def plan_tiers(user: User) -> list[str]:
    """The plan tiers of the user's accounts, sorted, for a filter's choices (a CSM's book is read through the CSM
    index; the whole book by book_values)."""
    if not user.sees_all_accounts:
        return sorted(accounts_for_user(user).exclude(plan_tier="").order_by()
                      .values_list("plan_tier", flat=True).distinct())
    return book_values("plan_tier")


INDEXED_VALUES = ("plan_tier", "ehr_system")  # the account columns with an index of their own for book_values


def book_values(column: str) -> list[str]:
    """The column's non-empty values over the whole book, sorted: the database skips from one value to the next in
    the column's index (a handful of probes instead of reading every account)."""
    if column not in INDEXED_VALUES:
        raise ValueError(f"{column} has no index to skip through")
    table = Account._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE found(value) AS (SELECT MIN({column}) FROM {table} WHERE {column} > '' "
            f"UNION ALL SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > found.value) FROM found "
            "WHERE found.value IS NOT NULL) SELECT value FROM found WHERE value IS NOT NULL")
        return [value for (value,) in cursor.fetchall()]


def get_account_for_user(user: User, external_id: str) -> Account:
    """The account with this external id if the user may see it; 404 otherwise (also when it
    exists but belongs to another CSM, so its existence is not revealed)."""
    try:
        return accounts_for_user(user).get(external_id=external_id)
    except Account.DoesNotExist:
        raise Http404("No such account.") from None


def get_contact_for_user(user: User, account_external_id: str, contact_external_id: str) -> Contact:
    """A contact of an account the user may see, with its account; 404 otherwise (another CSM's account, or a
    contact of another account)."""
    account = get_account_for_user(user, account_external_id)
    try:
        return account.contacts.select_related("account").get(external_id=contact_external_id)
    except Contact.DoesNotExist:
        raise Http404("No such contact on this account.") from None


def contacts_with_last_touch(account: Account) -> QuerySet[Contact]:
    """The account's contacts, those still with the customer first, by name, each with `last_touch`: when the
    latest touchpoint naming them happened (None when none did), read in the same query."""
    return (account.contacts.annotate(last_touch=Max("touchpoints__occurred_at"))
            .order_by("-is_active", "name", "pk"))


def champion_history(account: Account, limit: int = 20) -> QuerySet[ChampionChange]:
    """The account's latest champion changes, newest first, with their contacts and who recorded them."""
    return account.champion_changes.select_related("contact", "by").order_by("-at", "-id")[:limit]


def get_import_run_for_user(user: User, run_id: int) -> ImportRun:
    """An import run; managers and admins see all, others none."""
    if not user.has_perm("accounts.import_data"):
        raise Http404("No such import.")
    try:
        return ImportRun.objects.select_related("created_by").get(pk=run_id)
    except ImportRun.DoesNotExist:
        raise Http404("No such import.") from None


def assignable_csms() -> QuerySet[User]:
    """The users accounts may be assigned to: active, in the CSM group, and neither managers, admins nor
    superusers (their role is the strongest group they hold), by name."""
    return (User.objects.filter(is_active=True, is_superuser=False, groups__name=Role.CSM)
            .exclude(groups__name__in=[Role.MANAGER, Role.ADMIN]).order_by("first_name", "last_name", "username"))
