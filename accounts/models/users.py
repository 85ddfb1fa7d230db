"""HealthCS's users and their roles (the role comes from the CSM, Manager or Admin group)."""

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class Role(models.TextChoices):
    CSM = "CSM", "CSM"
    MANAGER = "Manager", "Manager"
    ADMIN = "Admin", "Admin"


class User(AbstractUser):
    """A HealthCS user; the role comes from membership of the CSM, Manager or Admin group."""

    reports_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports",
        help_text="The user's manager: playbook steps for a manager go to the CSM's manager, steps for an "
                  "executive to that manager's own manager, and escalations of the CSM's tasks to the manager.")

    class Meta(AbstractUser.Meta):
        constraints = [
            # Imports assign accounts to CSMs by e-mail, so an address names one user at most.
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="user_email_unique_ci"
            ),
        ]

    @cached_property
    def role(self) -> str | None:
        """The strongest role the user holds (superusers are admins), or None."""
        if self.is_superuser:
            return Role.ADMIN
        # A user signed in through the session comes with their groups' names (accounts.backends): no query.
        names = getattr(self, "_group_names", None)
        names = set(self.groups.values_list("name", flat=True) if names is None else names)
        for role in (Role.ADMIN, Role.MANAGER, Role.CSM):
            if role.value in names:
                return role
        return None

    @property
    def sees_all_accounts(self) -> bool:
        """Managers and admins see the whole portfolio; CSMs see their own book only."""
        return self.role in (Role.MANAGER, Role.ADMIN)
