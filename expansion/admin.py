"""Admin of the expansion app: plan limits and advanced features (tuned by admins), signals and
opportunities (CSMs see their own accounts' rows)."""

from django.contrib import admin

from accounts.admin import AuditedAdmin, OwnedByAccountAdmin
from expansion.models import AdvancedFeature, ExpansionSignal, Opportunity, PlanLimit, StageChange


@admin.register(PlanLimit)
class PlanLimitAdmin(AuditedAdmin):
    list_display = ("plan_tier", "monthly_uses_per_seat")


@admin.register(AdvancedFeature)
class AdvancedFeatureAdmin(AuditedAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(ExpansionSignal)
class ExpansionSignalAdmin(OwnedByAccountAdmin):
    list_display = ("account", "kind", "status", "first_detected_on", "last_detected_on", "estimated_mrr", "summary")
    list_filter = ("status", "kind")
    search_fields = ("account__name", "account__external_id")
    list_select_related = ("account",)
    readonly_fields = ("account", "kind", "first_detected_on", "last_detected_on", "evidence", "summary",
                       "estimated_mrr", "opportunity", "closed_at")


class StageChangeInline(admin.TabularInline):
    model = StageChange
    extra = 0
    readonly_fields = ("from_stage", "to_stage", "changed_by", "changed_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Opportunity)
class OpportunityAdmin(OwnedByAccountAdmin):
    list_display = ("title", "account", "stage", "amount", "probability", "expected_close", "owner")
    list_filter = ("stage", "source_kind")
    search_fields = ("title", "account__name", "account__external_id")
    list_select_related = ("account", "owner")
    inlines = [StageChangeInline]
    readonly_fields = ("stage", "created_at", "created_by", "closed_at", "source_kind")
