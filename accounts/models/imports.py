"""Import runs: who imported what, when, and how it ended."""

from django.db import models

from accounts.models.users import User


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ImportRun(models.Model):
    """One import (web upload or command line): who, when, what came in, and how it ended."""

    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="imports"
    )
    source = models.CharField(max_length=300, help_text="Uploaded file names or the directory.")
    upload_dir = models.CharField(max_length=500, blank=True)
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    dispatched_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the run was last handed to the task queue; empty while the queue cannot be reached.",
    )
    counts = models.JSONField(default=dict, blank=True, help_text="Rows read per table.")
    errors = models.JSONField(default=list, blank=True)
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("import_data", "Can import customer data")]

    def __str__(self) -> str:
        return f"Import #{self.pk} ({self.status})"
