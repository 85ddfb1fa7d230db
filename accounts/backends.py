"""The authentication backend: Django's ModelBackend, reading a user's permissions in one query instead of two.

Every page asks for permissions (the navigation shows Recompute and Import to those who may use them), and Django's
backend reads the user's own permissions and their groups' permissions in two queries. This one reads both at once;
what it answers is the same (inactive users have none, superusers all), and the result is kept on the user object
for the rest of the request, as Django keeps its own."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class ModelBackendOneQuery(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            held = (Permission.objects.all() if user_obj.is_superuser
                    else Permission.objects.filter(Q(user=user_obj) | Q(group__user=user_obj)))
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in
                                    held.order_by().values_list("content_type__app_label", "codename")}
        return user_obj._perm_cache
