"""The authentication backend: Django's ModelBackend, reading a signed-in user with their groups and permissions in
one query instead of four.

Every page needs the user (from the session), their role (the CSM, Manager or Admin group: which accounts they
reach) and their permissions (the navigation shows Recompute and Import to those who may use them). Django reads
the user, then the user's own permissions and their groups' permissions in two more queries, and the role took a
fourth. This backend loads the user of a session with two arrays beside the row: the names of their groups and
their permissions (their own and their groups'), which `User.role` and `get_all_permissions` read instead. What it
answers is the same (inactive users have no permission, superusers all of them); a user loaded any other way
(`User.objects.get`) reads both on first use, in one query each, and keeps them for the rest of the request, as
Django keeps its own."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat

GROUP_NAMES = "_group_names"  # the annotation User.role reads when it is there
PERMISSION_NAMES = "_permission_names"


def held_permissions(user) -> QuerySet[Permission]:
    """The permissions a (non-superuser) user holds: their own and their groups'."""
    return Permission.objects.filter(Q(user=user) | Q(group__user=user))


def _names(permissions: QuerySet[Permission]) -> QuerySet:
    return permissions.order_by().values_list(Concat("content_type__app_label", Value("."), "codename"), flat=True)


class ModelBackendOneQuery(ModelBackend):
    def get_user(self, user_id):
        users = get_user_model()._default_manager.annotate(**{
            GROUP_NAMES: ArraySubquery(Group.objects.filter(user=OuterRef("pk")).values("name")),
            PERMISSION_NAMES: ArraySubquery(_names(held_permissions(OuterRef("pk"))))})
        try:
            user = users.get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                names = _names(Permission.objects.all())
            else:
                names = getattr(user_obj, PERMISSION_NAMES, None)
                if names is None:
                    names = _names(held_permissions(user_obj))
            user_obj._perm_cache = set(names)
        return user_obj._perm_cache
