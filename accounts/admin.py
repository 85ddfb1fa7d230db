"""Django admin for users and every customer entity, with the search fields and filters a
support engineer reaches for. CSMs see only their own accounts' rows here, as in the pages."""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.validators import URLValidator
from django.http import HttpRequest, HttpResponse

from accounts import models as m
from accounts.audit import audit_admin_delete, audit_admin_formset, audit_admin_save, audit_password_set
from accounts.events import text_saved_by_hand
from accounts.selectors import accounts_for_user, assignable_csms, scope_to_user
from accounts.webhooks.emit import account_churned_emit, webhook_deliveries_redeliver


class AuditedAdmin(admin.ModelAdmin):
    """Every write made through this admin is in the audit log: adds and changes from the form or a
    changelist row (list_editable rows are saved through save_model too), deletes one by one or selected
    in bulk, and the rows of inlines."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_admin_save(user=request.user, obj=obj, form=form, change=change)

    def delete_model(self, request, obj):
        parent = super()
        audit_admin_delete(user=request.user, objects=[obj], delete=lambda: parent.delete_model(request, obj))

    def delete_queryset(self, request, queryset):
        parent = super()
        audit_admin_delete(user=request.user, objects=list(queryset),
                           delete=lambda: parent.delete_queryset(request, queryset))

    def save_formset(self, request, form, formset, change):
        parent = super()
        audit_admin_formset(user=request.user, formset=formset,
                            save=lambda: parent.save_formset(request, form, formset, change))


def _password_set(request: HttpRequest, response: HttpResponse) -> bool:
    """A password form's answer: a redirect after a POST means the new password was saved."""
    return request.method == "POST" and response.status_code == 302


@admin.register(m.User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "reports_to", "is_staff", "is_active")
    list_filter = ("groups", "is_staff", "is_superuser", "is_active")
    fieldsets = (*BaseUserAdmin.fieldsets, ("Team", {"fields": ("reports_to",)}))

    def user_change_password(self, request, id, form_url=""):
        """An administrator sets someone's password: recorded (who, whose; never the password)."""
        response = super().user_change_password(request, id, form_url)
        if _password_set(request, response):
            audit_password_set(user=request.user, target=self.get_object(request, unquote(id)))
        return response


def own_password_change(request: HttpRequest) -> HttpResponse:
    """Admin's "Change password" for one's own password, recorded like an administrator's change."""
    response = admin.site.password_change(request)
    if _password_set(request, response):
        audit_password_set(user=request.user, target=request.user)
    return response


class OwnedByAccountAdmin(AuditedAdmin):
    """Rows of one account: CSMs see the rows of their own accounts only."""

    account_path = "account"
    list_per_page = 50
    show_full_result_count = False

    def get_queryset(self, request):
        return scope_to_user(super().get_queryset(request), request.user, self.account_path)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A CSM can only attach rows to their own accounts and those accounts' contacts.
        if db_field.related_model is m.Account:
            kwargs["queryset"] = accounts_for_user(request.user)
        elif db_field.related_model is m.Contact:
            kwargs["queryset"] = scope_to_user(m.Contact.objects.all(), request.user)
        elif db_field.related_model is m.Subscription:
            kwargs["queryset"] = scope_to_user(m.Subscription.objects.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SubscriptionInline(admin.TabularInline):
    model = m.Subscription
    extra = 0
    fields = ("external_id", "plan_tier", "seats", "mrr", "arr", "start_date", "end_date",
              "churn_flag")
    show_change_link = True


class ContactInline(admin.TabularInline):
    model = m.Contact
    extra = 0
    fields = ("external_id", "name", "email", "phone", "title", "role", "sentiment", "is_active", "left_date")


@admin.register(m.Account)
class AccountAdmin(OwnedByAccountAdmin):
    account_path = ""
    list_display = ("external_id", "name", "segment", "plan_tier", "seats", "ehr_system",
                    "renewal_date", "csm", "is_trial", "churned")
    list_filter = ("segment", "plan_tier", "ehr_system", "is_trial", "churned", "industry",
                   "country", "csm", "outcome")
    search_fields = ("external_id", "name", "csm__email", "csm__username")
    list_select_related = ("csm",)
    # Assigned on the account list or by the rules (accounts.assignment), which record it and hand the open
    # tasks over; an edit here would do neither.
    readonly_fields = ("csm",)
    date_hierarchy = "signup_date"
    inlines = (SubscriptionInline, ContactInline)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "churned" in form.changed_data and obj.churned:  # inside the admin's transaction, like every write site
            account_churned_emit(accounts=[(obj.external_id, obj.name)], source="admin")


@admin.register(m.Subscription)
class SubscriptionAdmin(OwnedByAccountAdmin):
    list_display = ("external_id", "account", "plan_tier", "seats", "mrr", "arr", "start_date",
                    "end_date", "is_trial", "downgrade_flag", "churn_flag")
    list_filter = ("plan_tier", "billing_frequency", "is_trial", "upgrade_flag", "downgrade_flag",
                   "churn_flag", "auto_renew")
    search_fields = ("external_id", "account__external_id", "account__name")
    list_select_related = ("account",)
    raw_id_fields = ("account",)


@admin.register(m.UsageRecord)
class UsageRecordAdmin(OwnedByAccountAdmin):
    account_path = "subscription__account"
    list_display = ("usage_id", "subscription", "date", "feature_name", "usage_count",
                    "usage_duration_secs", "error_count", "is_beta")
    list_filter = ("is_beta", "date")
    search_fields = ("usage_id", "subscription__external_id", "feature_name",
                     "subscription__account__external_id")
    list_select_related = ("subscription",)
    raw_id_fields = ("subscription",)


@admin.register(m.SupportTicket)
class SupportTicketAdmin(OwnedByAccountAdmin):
    readonly_fields = ("analysis_version", "intent_phrase", "category", "sentiment", "competitors", "facts",
                       "summary", "recommended_action", "analysis_note")
    list_display = ("external_id", "account", "submitted_at", "priority", "satisfaction_score",
                    "escalated", "subject")
    list_filter = ("priority", "escalated", "satisfaction_score", "submitted_at")
    search_fields = ("external_id", "account__external_id", "account__name", "subject", "body")
    list_select_related = ("account",)
    raw_id_fields = ("account",)
    date_hierarchy = "submitted_at"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        text_saved_by_hand.send(sender=type(obj), item=obj)


@admin.register(m.ChurnEvent)
class ChurnEventAdmin(OwnedByAccountAdmin):
    list_display = ("external_id", "account", "churn_date", "reason_code", "refund_amount",
                    "is_reactivation")
    list_filter = ("reason_code", "is_reactivation", "preceding_upgrade", "preceding_downgrade")
    search_fields = ("external_id", "account__external_id", "account__name", "feedback_text")
    list_select_related = ("account",)
    raw_id_fields = ("account",)


@admin.register(m.Contact)
class ContactAdmin(OwnedByAccountAdmin):
    list_display = ("external_id", "name", "account", "email", "phone", "title", "role", "sentiment", "is_active",
                    "left_date")
    list_filter = ("role", "sentiment", "is_active")
    search_fields = ("external_id", "name", "email", "account__external_id", "account__name")
    list_select_related = ("account",)
    raw_id_fields = ("account",)


@admin.register(m.ChampionChange)
class ChampionChangeAdmin(OwnedByAccountAdmin):
    """The history of champion changes, read only: Account 360's contacts section writes it
    (accounts.contacts); a contact edited here is audited but not recorded in it."""

    list_display = ("effective", "contact", "account", "kind", "new_role", "at", "by")
    list_filter = ("kind",)
    search_fields = ("contact__name", "contact__external_id", "account__external_id", "account__name")
    list_select_related = ("contact", "account", "by")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.Touchpoint)
class TouchpointAdmin(OwnedByAccountAdmin):
    readonly_fields = ("analysis_version", "intent_phrase", "category", "sentiment", "competitors", "facts",
                       "summary", "recommended_action", "analysis_note")
    list_display = ("external_id", "account", "occurred_at", "kind", "direction", "subject")
    list_filter = ("kind", "direction", "occurred_at")
    search_fields = ("external_id", "account__external_id", "account__name", "subject", "text")
    list_select_related = ("account",)
    raw_id_fields = ("account", "contact")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        text_saved_by_hand.send(sender=type(obj), item=obj)


@admin.register(m.SurveyResponse)
class SurveyResponseAdmin(OwnedByAccountAdmin):
    list_display = ("external_id", "account", "responded_at", "nps_score", "comment")
    list_filter = ("nps_score", "responded_at")
    search_fields = ("external_id", "account__external_id", "account__name", "comment")
    list_select_related = ("account",)
    raw_id_fields = ("account", "contact")


@admin.register(m.Invoice)
class InvoiceAdmin(OwnedByAccountAdmin):
    list_display = ("external_id", "account", "due_date", "amount", "status", "paid_at")
    list_filter = ("status", "due_date")
    search_fields = ("external_id", "account__external_id", "account__name")
    list_select_related = ("account",)
    raw_id_fields = ("account",)


@admin.register(m.ImportRun)
class ImportRunAdmin(AuditedAdmin):
    list_display = ("id", "created_at", "created_by", "source", "status", "seconds")
    list_filter = ("status",)
    search_fields = ("source", "created_by__username")
    readonly_fields = [f.name for f in m.ImportRun._meta.fields]


class ReadOnlyAdminMixin:
    """Records the app writes (audit events, interventions, outcomes): viewed, never edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(m.AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit log (docs/security.md), read-only: managers see who changed what and when."""

    list_display = ("at", "user", "action", "object_type", "object_repr")
    list_filter = ("action", "object_type")
    search_fields = ("object_repr", "object_id", "user__username", "user__email")
    list_select_related = ("user",)
    readonly_fields = ("at", "user", "action", "object_type", "object_id", "object_repr", "changes")


@admin.register(m.AssignmentRule)
class AssignmentRuleAdmin(AuditedAdmin):
    """Managers write the rules here; the CSM books page lists them in order and applies them."""

    list_display = ("name", "order", "active", "segment", "plan_tier", "ehr_system", "region", "cursor")
    list_editable = ("order", "active")
    list_filter = ("active", "segment")
    search_fields = ("name",)
    filter_horizontal = ("team",)
    readonly_fields = ("cursor",)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "team":  # only those who can take accounts
            kwargs["queryset"] = assignable_csms()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(m.AccountAssignment)
class AccountAssignmentAdmin(ReadOnlyAdminMixin, OwnedByAccountAdmin):
    """The history of CSM assignments (written by accounts.assignment only)."""

    list_display = ("at", "account", "from_csm", "to_csm", "by", "rule", "reason")
    list_filter = ("rule",)
    search_fields = ("account__external_id", "account__name", "to_csm__email", "from_csm__email")
    list_select_related = ("account", "from_csm", "to_csm", "by", "rule")
    date_hierarchy = "at"


# Outgoing webhooks (docs/api.md#webhooks): admins configure the endpoints and read the delivery log --------------

SECRET_MIN = 16


class WebhookEndpointForm(forms.ModelForm):
    """The secret is write-only: never put back into the page; left empty on a change, the stored one stays."""

    url = forms.URLField(max_length=500, assume_scheme="https", validators=[URLValidator(schemes=["http", "https"])],
                         help_text="Where the events are POSTed (http or https).")
    secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False),
                             help_text=f"At least {SECRET_MIN} characters; share it with the receiver, who checks "
                                       "each delivery's signature with it. Leave empty to keep the current one.")
    events = forms.MultipleChoiceField(choices=m.WebhookEvent.choices, widget=forms.CheckboxSelectMultiple,
                                       error_messages={"required": "Choose at least one event to send."})

    class Meta:
        model = m.WebhookEndpoint
        fields = ["name", "url", "secret", "events", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["secret"] = ""  # an empty field is "unchanged", and the stored secret never reaches the page

    def clean_secret(self) -> str:
        secret = self.cleaned_data["secret"].strip()
        if not secret and self.instance.pk:
            return self.instance.secret
        if len(secret) < SECRET_MIN:
            raise forms.ValidationError(f"Give a secret of at least {SECRET_MIN} characters.")
        return secret


@admin.register(m.WebhookEndpoint)
class WebhookEndpointAdmin(AuditedAdmin):
    form = WebhookEndpointForm
    list_display = ("name", "url", "event_names", "active", "secret_hint")
    list_filter = ("active",)
    search_fields = ("name", "url")
    readonly_fields = ("secret_hint",)

    @admin.display(description="events")
    def event_names(self, endpoint: m.WebhookEndpoint) -> str:
        labels = dict(m.WebhookEvent.choices)
        return ", ".join(str(labels.get(event, event)) for event in endpoint.events)

    @admin.display(description="secret")
    def secret_hint(self, endpoint: m.WebhookEndpoint) -> str:
        return f"set, ends in …{endpoint.secret[-4:]}" if endpoint.secret else "not set"


@admin.register(m.WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The delivery log: what was sent where, how it went, and "redeliver" for chosen ones."""

    list_display = ("id", "created_at", "event", "endpoint", "status", "attempts", "last_response_code",
                    "next_attempt_at", "delivered_at", "last_error")
    list_filter = ("status", "event", "endpoint")
    search_fields = ("=id", "last_error")
    list_select_related = ("endpoint",)
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in m.WebhookDelivery._meta.fields]
    actions = ["redeliver"]

    @admin.action(description="Redeliver the selected deliveries")
    def redeliver(self, request: HttpRequest, queryset) -> None:
        count = webhook_deliveries_redeliver(deliveries=queryset, user=request.user)
        self.message_user(request, f"{count} deliveries queued to be sent again.")
