"""Saved views of the account list (docs/pages.md#saved-views): a filter and sort saved under a name by its
owner, shared with the team or not, pinned to people's home pages, and the default view of a role.
workspace.saved_views writes and reads them. And the digests e-mailed (docs/operations.md#digests), one per user,
kind and day, so a retried task or a second beat run never sends one twice."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from accounts.models import Role, User

VIEW_NAME_MAX = 80
VIEW_QUERY_MAX = 1000  # characters of the saved query string (the search alone takes up to 200)


class SavedView(models.Model):
    """An account-list filter and sort (its query string, as the list reads it) saved under a name."""

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=VIEW_NAME_MAX)
    query = models.CharField(max_length=VIEW_QUERY_MAX,
                             help_text="The account list's parameters, e.g. risk_level=High&ordering=-arr.")
    shared = models.BooleanField(default=False, help_text="Everyone may open and pin it; only its owner changes it.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint("owner", Lower("name"), name="saved_view_name_unique_per_owner")]

    def __str__(self) -> str:
        return self.name


class SavedViewPin(models.Model):
    """A saved view (one's own or a shared one) pinned to a user's home page."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="pinned_views")
    view = models.ForeignKey(SavedView, on_delete=models.CASCADE, related_name="pins")
    pinned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pinned_at", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "view"], name="saved_view_pin_once")]

    def __str__(self) -> str:
        return f"{self.view} for {self.user}"


class DefaultRole(models.TextChoices):
    """The roles with a default view (admins get the managers' one)."""

    CSM = Role.CSM.value, "CSM"
    MANAGER = Role.MANAGER.value, "Manager"


class RoleDefaultView(models.Model):
    """The shared view the account list opens with, without parameters, for the members of a role."""

    role = models.CharField(max_length=20, choices=DefaultRole.choices, unique=True)
    view = models.ForeignKey(SavedView, on_delete=models.CASCADE, related_name="role_defaults")
    set_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["role"]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.view}"


class DigestKind(models.TextChoices):
    DAILY = "daily", "Daily digest"
    WEEKLY = "weekly", "Weekly summary"


class DigestDelivery(models.Model):
    """A digest claimed for a user and day (`sent_at` empty while it is being sent), with the window of new
    alerts it covered: the next daily digest starts where the last one sent ended."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=DigestKind.choices)
    day = models.DateField()
    window_start = models.DateTimeField(help_text="New alerts are those created after this moment …")
    window_end = models.DateTimeField(help_text="… and up to this one.")
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    subject = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-day", "kind", "user_id"]
        verbose_name_plural = "digest deliveries"
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "day"], name="one_digest_per_user_kind_and_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.day}"


class ReviewDocument(models.Model):
    """An account's business review for one period printed as a PDF (workspace.review_documents): stored by the
    daily task before renewals, and served by the review's PDF address while it is from the same day."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="review_documents")
    period = models.CharField(max_length=8, help_text="2026-Q3 or 2026.")
    pdf = models.BinaryField()
    size = models.PositiveIntegerField(default=0, help_text="Bytes.")
    generated_at = models.DateTimeField()

    class Meta:
        ordering = ["-generated_at"]
        constraints = [models.UniqueConstraint(fields=["account", "period"], name="one_review_document_per_period")]

    def __str__(self) -> str:
        return f"Review {self.period} of {self.account_id}"
