"""Django admin for the saved views of the account list and the default view of each role (admins; the pages are
where people save, share, pin and choose defaults), and for the digests sent (docs/operations.md#digests): viewed
by managers; an admin may delete one (audited) so that its user's digest of that day is sent again by the next run.
Their schedule is edited under Periodic tasks. The business reviews stored as PDFs before renewals are listed the
same way (docs/operations.md#business-reviews): read-only, each PDF downloadable from its row, deleted (audited)
so that the next daily run prints it again. Writes here are audited like every admin write."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.admin import AuditedAdmin
from healthcs.errors import DomainError
from workspace.models import DigestDelivery, ReviewDocument, RoleDefaultView, SavedView
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


@admin.register(ReviewDocument)
class ReviewDocumentAdmin(AuditedAdmin):
    """The stored review PDFs: which account and period, how large, when printed, and the file itself (its bytes
    are read only by the download, never by the list)."""

    list_display = ("account", "period", "size_kib", "generated_at", "download")
    list_filter = ("period",)
    search_fields = ("account__name", "account__external_id", "period")
    list_select_related = ("account",)
    date_hierarchy = "generated_at"
    fields = ("account", "period", "size", "generated_at", "download")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("pdf")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        download = self.admin_site.admin_view(self.download_view)
        return [path("<int:pk>/pdf/", download, name="workspace_reviewdocument_pdf"), *super().get_urls()]

    @admin.display(description="size", ordering="size")
    def size_kib(self, document: ReviewDocument) -> str:
        return f"{document.size / 1024:,.1f} KiB"

    @admin.display(description="PDF")
    def download(self, document: ReviewDocument) -> str:
        address = reverse("admin:workspace_reviewdocument_pdf", args=[document.pk])
        return format_html('<a href="{}">Download</a>', address)

    def download_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The stored PDF as a download (whoever may view the list may read it)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        document = get_object_or_404(ReviewDocument.objects.select_related("account"), pk=pk)
        response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
        filename = f"review-{document.account.external_id}-{document.period}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
