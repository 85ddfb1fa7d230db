"""Saved views of the account list (docs/pages.md#saved-views): saving a filter and sort under a name (checked by
the list's own filters), renaming, sharing and deleting it (its owner only), pinning it to one's home page (at
most MAX_PINS), and the default view of each role (managers and admins only); and the reads the pages need,
scoped like everything else: a user reaches their own views and the shared ones, never another's private view."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404, QueryDict
from django.utils.http import urlencode

from accounts.audit import audit_record
from accounts.models import Account, Role, User
from accounts.selectors import accounts_for_user
from healthcs.errors import DomainError, shown
from scoring.selectors import with_latest_scores
from workspace.filters import LIST_FILTERS, AccountFilter, filter_accounts, list_params
from workspace.models import VIEW_NAME_MAX, VIEW_QUERY_MAX, DefaultRole, RoleDefaultView, SavedView, SavedViewPin

MAX_PINS = 6  # pinned views on one home page: each costs the home page one count of accounts
PICKER_MAX = 50  # views offered in the account list's picker (each with its forms: the page stays light)


# Reading and checking a view's query ---------------------------------------------------------------------------

def view_query(query: QueryDict) -> str:
    """The list's parameters of a query in one order, without empty ones: how a view stores its query and how
    the list knows which view it is showing."""
    return urlencode([(name, value.strip()) for name, value in list_params(query).items() if value.strip()])


def view_query_clean(query: str) -> str:
    """A query string as a view stores it, once the account list's filters have read it; DomainError naming the
    first parameter that is unknown, repeated or refused (with the list's own sentence for it)."""
    if len(query) > VIEW_QUERY_MAX:
        raise DomainError(f"The filter has {len(query):,} characters; a saved view keeps at most "
                          f"{VIEW_QUERY_MAX:,}.", field="query")
    parsed = QueryDict(query)
    for name in parsed:
        if name not in LIST_FILTERS:
            raise DomainError(f"'{shown(name)}' is not a filter of the account list; use: {', '.join(LIST_FILTERS)}.",
                              field="query")
        if len(parsed.getlist(name)) > 1:
            raise DomainError(f"The filter '{name}' is given more than once; give it once.", field="query")
    problems = AccountFilter(list_params(parsed), queryset=Account.objects.none()).problems()
    if problems:
        name, message = next(iter(problems.items()))
        raise DomainError(f"{name}: {message}", field="query")
    cleaned = view_query(parsed)
    if not cleaned:
        raise DomainError("Choose a filter or a sort first: a view without one would show every account.",
                          field="query")
    return cleaned


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise DomainError("Give the view a name.", field="name")
    if not name.isprintable():
        raise DomainError("The name contains a control character (such as \\0 or a line break); remove it.",
                          field="name")
    if len(name) > VIEW_NAME_MAX:
        raise DomainError(f"The name has {len(name):,} characters; keep it to {VIEW_NAME_MAX}.", field="name")
    return name


def _taken(name: str) -> DomainError:
    return DomainError(f"You already have a view named “{name}”; choose another name.", field="name")


# Writes ------------------------------------------------------------------------------------------------------

def _owned(view: SavedView, by: User) -> SavedView:
    """The view, locked for the change, if `by` owns it (pages reach this through get_own_view: 404 before)."""
    if view.owner_id != by.pk:
        raise PermissionDenied("Only its owner changes a saved view.")
    return SavedView.objects.select_for_update().get(pk=view.pk)


def _default_of(view: SavedView) -> str | None:
    """The role (in words) whose default the view is, if any."""
    default = view.role_defaults.first()
    return default.get_role_display() if default else None


@transaction.atomic
def saved_view_create(*, owner: User, name: str, query: str, shared: bool = False) -> SavedView:
    """Save the account list's filter and sort under a name unique among the owner's views (in any case)."""
    name, query = _clean_name(name), view_query_clean(query)
    try:
        with transaction.atomic():
            view = SavedView.objects.create(owner=owner, name=name, query=query, shared=shared)
    except IntegrityError:
        raise _taken(name) from None
    audit_record(user=owner, action="created", obj=view,
                 changes={"name": [None, name], "query": [None, query], "shared": [None, str(shared)]})
    return view


@transaction.atomic
def saved_view_update(*, view: SavedView, by: User, name: str, shared: bool) -> SavedView:
    """Rename a view or share it or not (its owner only). Unsharing takes it off the others' home pages, and is
    refused while it is a role's default view."""
    view = _owned(view, by)
    name = _clean_name(name)
    if view.shared and not shared and (role := _default_of(view)):
        raise DomainError(f"“{view.name}” is the default view of the {role} role; a manager must choose another "
                          "default before it stops being shared.", field="shared")
    changes = {field: [str(old), str(new)] for field, old, new in
               (("name", view.name, name), ("shared", view.shared, shared)) if old != new}
    if not changes:
        return view
    view.name, view.shared = name, shared
    try:
        with transaction.atomic():
            view.save(update_fields=["name", "shared", "updated_at"])
    except IntegrityError:
        raise _taken(name) from None
    if not shared:
        SavedViewPin.objects.filter(view=view).exclude(user=view.owner_id).delete()
    audit_record(user=by, action="changed", obj=view, changes=changes)
    return view


@transaction.atomic
def saved_view_delete(*, view: SavedView, by: User) -> None:
    """Delete a view (its owner only) and its pins; refused while it is a role's default view."""
    view = _owned(view, by)
    if role := _default_of(view):
        raise DomainError(f"“{view.name}” is the default view of the {role} role; a manager must choose another "
                          "default before it can be deleted.")
    audit_record(user=by, action="deleted", obj=view, changes={"name": [view.name, None], "query": [view.query, None]})
    view.delete()


@transaction.atomic
def saved_view_pin(*, view: SavedView, user: User) -> SavedViewPin:
    """Pin one's own or a shared view to one's home page (once; at most MAX_PINS)."""
    if view.owner_id != user.pk and not view.shared:
        raise Http404("No such view.")
    User.objects.select_for_update().filter(pk=user.pk).first()  # one user's pins are counted one at a time
    pin = SavedViewPin.objects.filter(user=user, view=view).first()
    if pin is not None:
        return pin
    if SavedViewPin.objects.filter(user=user).count() >= MAX_PINS:
        raise DomainError(f"You have {MAX_PINS} pinned views, as many as the home page shows; unpin one first.")
    return SavedViewPin.objects.create(user=user, view=view)


def saved_view_unpin(*, view: SavedView, user: User) -> None:
    """Take a view off one's home page (nothing happens when it was not pinned)."""
    SavedViewPin.objects.filter(user=user, view=view).delete()


@transaction.atomic
def role_default_set(*, role: str, view: SavedView | None, by: User) -> RoleDefaultView | None:
    """Make a shared view the default of a role (CSM or Manager), or clear it (no view); managers and admins only."""
    if not by.sees_all_accounts:
        raise PermissionDenied("Only managers and admins set the default views.")
    if role not in DefaultRole.values:
        raise DomainError(f"'{shown(role)}' is not a role with a default view; use: "
                          f"{', '.join(DefaultRole.values)}.", field="role")
    current = RoleDefaultView.objects.select_for_update().select_related("view").filter(role=role).first()
    before = current.view.name if current else None
    if view is None:
        if current is not None:
            audit_record(user=by, action="deleted", obj=current, changes={"view": [before, None]})
            current.delete()
        return None
    view = SavedView.objects.select_for_update().get(pk=view.pk)
    if not view.shared:
        raise DomainError(f"“{view.name}” is not shared; only a shared view can be a role's default.", field="view")
    default, created = RoleDefaultView.objects.update_or_create(role=role, defaults={"view": view, "set_by": by})
    audit_record(user=by, action="created" if created else "changed", obj=default,
                 changes={"view": [before, view.name]})
    return default


# Reads -------------------------------------------------------------------------------------------------------

def views_for_user(user: User) -> QuerySet[SavedView]:
    """The views the user may open: their own and the shared ones."""
    if not (user.is_authenticated and user.role):
        return SavedView.objects.none()
    return SavedView.objects.filter(Q(owner=user) | Q(shared=True))


def get_view_for_user(user: User, view_id: int) -> SavedView:
    """A view the user may open (theirs or shared); 404 otherwise, so another's private view is not revealed."""
    try:
        return views_for_user(user).get(pk=view_id)
    except SavedView.DoesNotExist:
        raise Http404("No such view.") from None


def get_own_view(user: User, view_id: int) -> SavedView:
    """A view of the user's own (to rename, share or delete); 404 for any other."""
    try:
        return views_for_user(user).get(pk=view_id, owner=user)
    except SavedView.DoesNotExist:
        raise Http404("No such view.") from None


def view_picker(user: User) -> list[SavedView]:
    """The user's views, then the others' shared ones, by name, each with `pinned` (one query)."""
    pinned = Exists(SavedViewPin.objects.filter(view=OuterRef("pk"), user=user.pk))
    own_first = Q(owner=user.pk)
    return list(views_for_user(user).select_related("owner").annotate(pinned=pinned, own=own_first)
                .order_by("-own", Lower("name"), "id")[:PICKER_MAX])


def default_role(user: User) -> str | None:
    """The role whose default view the user gets: CSM, or Manager (managers and admins)."""
    if not (user.is_authenticated and user.role):
        return None
    return DefaultRole.MANAGER if user.role in (Role.MANAGER, Role.ADMIN) else DefaultRole.CSM


def role_defaults() -> dict[str, RoleDefaultView]:
    """The default view of each role that has one (one query)."""
    return {default.role: default for default in RoleDefaultView.objects.select_related("view")}


@dataclass(frozen=True)
class PinnedView:
    """A view on the home page, with how many of the user's accounts it holds."""

    view: SavedView
    accounts: int


def pinned_views(user: User) -> list[PinnedView]:
    """The user's pinned views that they may still open, oldest pin first, at most MAX_PINS, each with its count
    of the user's own accounts (a CSM's count of a shared view is of their book): one query for the pins, one
    for the latest scoring day and one count per pin."""
    pins = list(SavedViewPin.objects.filter(user=user).filter(Q(view__owner=user) | Q(view__shared=True))
                .select_related("view").order_by("pinned_at", "id")[:MAX_PINS])
    if not pins:
        return []
    accounts = with_latest_scores(accounts_for_user(user))
    return [PinnedView(pin.view, filter_accounts(accounts, list_params(QueryDict(pin.view.query))).accounts.count())
            for pin in pins]
