"""The audit log (docs/security.md)."""

from django.db import models

from accounts.models.users import User


class AuditEvent(models.Model):
    """Who did what to which object, and when (docs/security.md): changes to playbooks, scoring configurations
    and accounts are recorded here, with the fields changed (old and new values). Managers read it."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=16, help_text="created, changed, deleted or viewed")
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    changes = models.JSONField(default=dict, blank=True, help_text="Field -> [old, new].")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.object_type} {self.object_repr}"
