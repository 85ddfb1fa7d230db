"""Django admin for the saved views of the account list and the default view of each role (admins; the pages are
where people save, share, pin and choose defaults), and for the digests sent (docs/operations.md#digests): viewed
by managers; an admin may delete one (audited) so that its user's digest of that day is sent again by the next run.
Their schedule is edited under Periodic tasks. Writes here are audited like every admin write."""

from django import forms
from django.contrib import admin

from accounts.admin import AuditedAdmin
from healthcs.errors import DomainError
from workspace.models import DigestDelivery, RoleDefaultView, SavedView
from workspace.saved_views import view_query_clean


class SavedViewAdminForm(forms.ModelForm):
    """The query is read by the account list's filters here too: an unknown or bad parameter is refused."""

    class Meta:
        model = SavedView
        fields = ("owner", "name", "query", "shared")

    def clean_query(self) -> str:
        try:
            return view_query_clean(self.cleaned_data["query"])
        except DomainError as error:
            raise forms.ValidationError(error.message) from None


@admin.register(SavedView)
class SavedViewAdmin(AuditedAdmin):
    form = SavedViewAdminForm
    list_display = ("name", "owner", "shared", "query", "updated_at")
    list_filter = ("shared",)
    search_fields = ("name", "owner__username", "owner__email")
    list_select_related = ("owner",)


@admin.register(RoleDefaultView)
class RoleDefaultViewAdmin(AuditedAdmin):
    list_display = ("role", "view", "set_by", "set_at")
    list_select_related = ("view", "set_by")
    raw_id_fields = ("view",)

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
