"""The demo's saved views of the account list (docs/pages.md#saved-views), so that home shows pinned views from
the first login: the manager shares two views and pins them, each CSM pins one of them and a private view of
their own. Running it again changes nothing (views are found by owner and name)."""

from accounts.models import User
from workspace.demo.users import DEMO_CSMS
from workspace.models import SavedView
from workspace.saved_views import saved_view_create, saved_view_pin

SHARED = (("Renewals in 90 days", "renewal_within=90&ordering=renewal"),
          ("High risk by ARR", "risk_level=High&ordering=arr"))
OWN = ("My lowest health", "ordering=health")


def seed_saved_views(*, manager: User) -> int:
    """Create and pin the demo's views (none twice); the number of views the demo users have."""
    shared = [_view(manager, name, query, shared=True) for name, query in SHARED]
    for view in shared:
        saved_view_pin(view=view, user=manager)
    for csm in User.objects.filter(username__in=[spec.username for spec in DEMO_CSMS]).order_by("username"):
        saved_view_pin(view=shared[0], user=csm)
        saved_view_pin(view=_view(csm, *OWN), user=csm)
    return SavedView.objects.filter(owner__username__in=[manager.username, *(c.username for c in DEMO_CSMS)]).count()


def _view(owner: User, name: str, query: str, *, shared: bool = False) -> SavedView:
    return (SavedView.objects.filter(owner=owner, name=name).first()
            or saved_view_create(owner=owner, name=name, query=query, shared=shared))
