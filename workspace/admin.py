"""The digests sent (docs/operations.md#digests): viewed by managers; an admin may delete one (audited) so that
its user's digest of that day is sent again by the next run. Their schedule is edited under Periodic tasks."""

from django.contrib import admin

from accounts.admin import AuditedAdmin
from workspace.models import DigestDelivery


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(AuditedAdmin):
    list_display = ("day", "kind", "user", "subject", "sent_at")
    list_filter = ("kind", "day")
    search_fields = ("user__username", "user__email", "subject")
    list_select_related = ("user",)
    date_hierarchy = "day"
    readonly_fields = ("user", "kind", "day", "window_start", "window_end", "claimed_at", "sent_at", "subject")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
