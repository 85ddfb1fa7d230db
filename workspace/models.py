"""What the workspace records of its own: the digests e-mailed (docs/operations.md#digests), one per user, kind
and day, so a retried task or a second beat run never sends one twice."""

from django.conf import settings
from django.db import models


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
