"""The demo logins: one manager, one admin and three CSMs who own the demo book.

All of them share the documented password ``DEMO_PASSWORD``; running this again resets them to
the documented state (names, e-mails, role group, password) without creating duplicates.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import Role, User
from accounts.roles import ensure_role_groups

DEMO_PASSWORD = "healthcs-demo"
DEMO_EMAIL_DOMAIN = "demo.healthcs.local"


@dataclass(frozen=True)
class DemoUser:
    """One demo login."""

    username: str
    role: str
    first_name: str
    last_name: str

    @property
    def email(self) -> str:
        return f"{self.username}@{DEMO_EMAIL_DOMAIN}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("manager", Role.MANAGER.value, "Morgan", "Hale"),
    DemoUser("admin", Role.ADMIN.value, "Ada", "Quinn"),
    DemoUser("csm1", Role.CSM.value, "Jordan", "Reyes"),
    DemoUser("csm2", Role.CSM.value, "Priya", "Shah"),
    DemoUser("csm3", Role.CSM.value, "Sam", "Whitfield"),
)
DEMO_CSMS: tuple[DemoUser, ...] = tuple(u for u in DEMO_USERS if u.role == Role.CSM.value)


@transaction.atomic
def ensure_demo_users() -> list[tuple[str, str, str]]:
    """Create or reset the demo users; returns (username, role, password) for each."""
    if Group.objects.filter(name__in=[r.value for r in Role]).count() < len(Role):
        ensure_role_groups()
    groups = {g.name: g for g in Group.objects.filter(name__in=[r.value for r in Role])}
    logins: list[tuple[str, str, str]] = []
    for spec in DEMO_USERS:
        user, _ = User.objects.update_or_create(
            username=spec.username,
            defaults={
                "email": spec.email,
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "is_staff": True,
                "is_active": True,
                "is_superuser": spec.role == Role.ADMIN.value,
            },
        )
        if not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.set([groups[spec.role]])
        logins.append((spec.username, spec.role, DEMO_PASSWORD))
    # The demo CSMs report to the demo manager: their escalations and manager steps go there.
    manager = User.objects.get(username=next(u.username for u in DEMO_USERS if u.role == Role.MANAGER.value))
    User.objects.filter(username__in=[u.username for u in DEMO_USERS if u.role == Role.CSM.value]) \
        .update(reports_to=manager)
    return logins
