"""Admin of the scoring app: configurations (draft → preview → activate), snapshots, alerts, runs, churn models.

Django loads every admin module when it starts, in every process (commands and workers too), so what only an
admin action uses — the preview's scoring machinery, the text reader and its tasks — is imported in that action."""


from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from kombu.exceptions import OperationalError

from accounts.admin import AuditedAdmin, OwnedByAccountAdmin
from accounts.audit import audit_export
from scoring.config import (
    NOT_AN_OBJECT,
    PRESETS,
    REQUIRED_KEYS,
    WEIGHT_TOTAL,
    ConfigError,
    edited_config_problems,
    preset_config,
)
from scoring.config_form import ConfigEditorForm
from scoring.configs import (
    config_activate,
    config_draft_create,
    config_draft_update,
    config_export,
    ensure_active_config,
)
from scoring.models import (
    Alert,
    AlertSeverity,
    ChurnModel,
    ChurnPrediction,
    Competitor,
    ConfigStatus,
    RecomputeBatch,
    RecomputeRun,
    ScoringConfig,
    Snapshot,
)


class ConfigDocumentField(forms.JSONField):
    """The configuration's JSON. `[]` and `{}` are documents to check, not an empty field: validate_config says
    what they lack, where Django would only say "This field is required."."""

    empty_values = [None, ""]
    default_error_messages = {"required": NOT_AN_OBJECT.format(keys=", ".join(REQUIRED_KEYS), kind="nothing")}


class ScoringConfigForm(forms.ModelForm):
    data = ConfigDocumentField(
        help_text=ScoringConfig._meta.get_field("data").help_text,
        widget=forms.Textarea(attrs={"rows": 40, "cols": 100, "class": "vLargeTextField monospace"}))

    class Meta:
        model = ScoringConfig
        fields = ("name", "notes", "data")

    def clean_data(self):
        data = self.cleaned_data["data"]
        problems = [problem for _, problem in edited_config_problems(data)]  # as the editor's form checks it
        if problems:
            raise forms.ValidationError(problems)
        return data


@admin.register(ScoringConfig)
class ScoringConfigAdmin(AuditedAdmin):
    """Editing makes drafts; a draft is previewed, then activated. Active and retired versions are
    read-only (copy one into a new draft to change it)."""

    form = ScoringConfigForm
    list_display = ("version", "name", "status", "created_by", "created_at", "activated_by", "activated_at", "links")
    list_filter = ("status",)
    readonly_fields = ("version", "status", "created_by", "created_at", "activated_by", "activated_at", "links")

    def get_fields(self, request, obj=None):
        return ("version", "status", "links", "name", "notes", "data", "created_by", "created_at", "activated_by",
                "activated_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != ConfigStatus.DRAFT:
            return (*self.readonly_fields, "name", "notes", "data")
        return self.readonly_fields

    def has_change_permission(self, request, obj=None):
        # Active and retired versions are read only for everyone (no Save button): a new draft changes them.
        return super().has_change_permission(request, obj) and (obj is None or obj.status == ConfigStatus.DRAFT)

    def has_delete_permission(self, request, obj=None):
        # Snapshots name the version that produced them; only unused drafts may go.
        return super().has_delete_permission(request, obj) and (obj is None or (
            obj.status == ConfigStatus.DRAFT and not obj.snapshots.exists() and not obj.runs.exists()))

    def get_changeform_initial_data(self, request):
        return {"data": ensure_active_config().data, "name": "Draft"}

    def save_model(self, request, obj, form, change):
        if change:  # "Edit as JSON": the same service as the editor's form (validated, audited)
            config_draft_update(config=obj, user=request.user, data=obj.data, name=obj.name, notes=obj.notes)
            return
        draft = config_draft_create(user=request.user, data=obj.data, name=obj.name, notes=obj.notes)
        obj.pk, obj.version, obj.status, obj.created_by = draft.pk, draft.version, draft.status, draft.created_by
        obj.created_at = draft.created_at

    @admin.display(description="Actions")
    def links(self, obj):
        if obj.pk is None:
            return "—"
        copy = reverse("admin:scoring_scoringconfig_copy", args=[obj.pk])
        export = reverse("admin:scoring_scoringconfig_export", args=[obj.pk])
        if obj.status != ConfigStatus.DRAFT:
            return format_html('<a href="{}">Copy into a new draft</a> · <a href="{}">Export JSON</a>', copy, export)
        preview = reverse("admin:scoring_scoringconfig_preview", args=[obj.pk])
        change = reverse("admin:scoring_scoringconfig_change", args=[obj.pk])
        return format_html('<a href="{}">Preview and activate</a> · <a href="{}">Edit in the form</a> · '
                           '<a href="{}">Copy into a new draft</a> · <a href="{}">Export JSON</a>',
                           preview, change, copy, export)

    def get_urls(self):
        return [
            path("<int:pk>/preview/", self.admin_site.admin_view(self.preview_view),
                 name="scoring_scoringconfig_preview"),
            path("<int:pk>/copy/", self.admin_site.admin_view(self.copy_view), name="scoring_scoringconfig_copy"),
            path("<int:pk>/export/", self.admin_site.admin_view(self.export_view),
                 name="scoring_scoringconfig_export"),
            path("preset/", self.admin_site.admin_view(self.preset_view), name="scoring_scoringconfig_preset"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A draft the user may change opens in the editor's form (?json: the JSON box); everything else
        in Django's page, read only for active and retired versions and for those who may only view."""
        config = self.get_object(request, unquote(object_id))
        if config is None or config.status != ConfigStatus.DRAFT or "json" in request.GET \
                or not self.has_change_permission(request, config):
            return super().change_view(request, object_id, form_url, extra_context)
        return self.editor_view(request, config)

    def editor_view(self, request, config: ScoringConfig):
        """The draft's weights, thresholds, rules and texts as a form; "Save and preview" saves, then
        shows what the draft would change."""
        form = ConfigEditorForm(request.POST if request.method == "POST" else None, document=config.data,
                                name=config.name, notes=config.notes)
        if form.is_valid():
            try:
                config_draft_update(config=config, user=request.user, data=form.document,
                                    name=form.cleaned_data["name"], notes=form.cleaned_data["notes"])
            except ConfigError as error:
                form.add_error(None, str(error))
                form.unplaced_errors.extend(error.problems)
            else:
                self.message_user(request, f"Draft v{config.version} saved.")
                target = "preview" if "_preview" in request.POST else "change"
                return redirect(f"admin:scoring_scoringconfig_{target}", config.pk)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "original": config,
                   "title": f"Edit draft v{config.version}", "form": form, "layout": form.layout(),
                   "weight_total": form.weight_total(), "weight_target": WEIGHT_TOTAL,
                   "weight_sum_wrong": form.weight_total() != f"{WEIGHT_TOTAL}"}
        return TemplateResponse(request, "admin/scoring/scoringconfig/editor.html", context)

    def export_view(self, request, pk: int):
        """The configuration as a JSON file (what "Edit as JSON", Add and `scoring_config import` read)."""
        config = get_object_or_404(ScoringConfig, pk=pk)
        if not self.has_view_permission(request, config):
            raise PermissionDenied
        audit_export(user=request.user, model=ScoringConfig, what=f"scoring configuration v{config.version}",
                     filters={"version": config.version}, rows=1)
        response = JsonResponse(config_export(config), json_dumps_params={"indent": 2})
        response["Content-Disposition"] = f'attachment; filename="scoring-config-v{config.version}.json"'
        return response

    def preview_view(self, request, pk: int):
        """What would change (tiers, levels) if this draft were active; POST activates it."""
        config = get_object_or_404(ScoringConfig, pk=pk)
        if not self.has_view_permission(request, config):
            raise PermissionDenied
        if request.method == "POST":
            if not request.user.has_perm("scoring.activate_scoringconfig"):
                raise PermissionDenied
            try:
                config_activate(config=config, user=request.user)
            except ConfigError as error:
                self.message_user(request, f"Not activated: {error}", messages.ERROR)
            else:
                self.message_user(request, f"Configuration v{config.version} is now active. Recompute the scores "
                                           f"to apply it (it applies to the next daily run otherwise).")
                return redirect("admin:scoring_scoringconfig_change", config.pk)
        from scoring.preview import config_preview  # see the module's description

        try:
            preview = config_preview(config=config)
            problem = ""
        except ConfigError as error:
            preview, problem = None, str(error)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "original": config,
                   "title": f"Preview of configuration v{config.version}", "preview": preview, "problem": problem,
                   "can_activate": config.status == ConfigStatus.DRAFT
                   and request.user.has_perm("scoring.activate_scoringconfig"),
                   "active": ensure_active_config()}
        return TemplateResponse(request, "admin/scoring/scoringconfig/preview.html", context)

    def copy_view(self, request, pk: int):
        """GET asks to confirm; POST (with its CSRF token) makes the draft: a link alone never writes."""
        source = get_object_or_404(ScoringConfig, pk=pk)
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            context = {**self.admin_site.each_context(request), "opts": self.model._meta, "original": source,
                       "title": f"Copy configuration v{source.version}"}
            return TemplateResponse(request, "admin/scoring/scoringconfig/copy.html", context)
        draft = config_draft_create(user=request.user, data=source.data, name=f"Copy of v{source.version}")
        self.message_user(request, f"Draft v{draft.version} created from v{source.version}.")
        return redirect("admin:scoring_scoringconfig_change", draft.pk)


    def preset_view(self, request):
        """GET lists the presets; POST (with its CSRF token) starts a draft from the chosen one."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        name = request.POST.get("preset", "")
        if request.method != "POST" or name not in PRESETS:
            context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                       "title": "New draft from a preset", "presets": PRESET_NOTES,
                       "problem": f"Unknown preset '{name}'." if request.method == "POST" else ""}
            return TemplateResponse(request, "admin/scoring/scoringconfig/preset.html", context,
                                    status=400 if request.method == "POST" else 200)
        draft = config_draft_create(user=request.user, data=preset_config(name), name=f"Preset {name}")
        self.message_user(request, f"Draft v{draft.version} created from the preset {name}.")
        return redirect("admin:scoring_scoringconfig_change", draft.pk)


PRESET_NOTES = {
    "default": "The shipped rules: thresholds that fit any book (errors per 1,000 uses, intent over 90 days, "
               "failed payments, champion loss and silence), health capped by the churn-risk level.",
    "seed-001": "The seed's exact rules of docs/scoring.md (its published RavenStack figures reproduce with them).",
}


@admin.register(Snapshot)
class SnapshotAdmin(OwnedByAccountAdmin):
    list_display = ("account", "as_of", "health_score", "health_tier", "risk_score", "risk_level", "top_reasons",
                    "config")
    list_filter = ("as_of", "health_tier", "risk_level")
    search_fields = ("account__name", "account__external_id")
    list_select_related = ("account", "config")
    date_hierarchy = "as_of"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(OwnedByAccountAdmin):
    list_display = ("account", "kind", "status", "as_of", "message", "acknowledged_at", "snoozed_until",
                    "slack_sent_at")
    list_filter = ("status", "kind", "as_of")
    search_fields = ("account__name", "account__external_id", "message")
    list_select_related = ("account",)
    readonly_fields = ("account", "kind", "as_of", "message", "evidence", "created_at",
                       "slack_sent_at", "resolved_at", "resolved_by", "acknowledged_at", "acknowledged_by",
                       "snoozed_until", "snoozed_by")

    def has_add_permission(self, request):
        return False


@admin.register(AlertSeverity)
class AlertSeverityAdmin(AuditedAdmin):
    """One severity per alert type (seeded by the migration), shown and filtered in the alert inbox. A type without
    a row takes its default, so rows are changed, not added or deleted."""

    list_display = ("kind", "severity")
    list_editable = ("severity",)
    readonly_fields = ("kind",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RecomputeBatchInline(admin.TabularInline):
    model = RecomputeBatch
    extra = 0
    can_delete = False
    readonly_fields = ("number", "first_account", "last_account", "done_at", "accounts_scored")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RecomputeRun)
class RecomputeRunAdmin(AuditedAdmin):
    list_display = ("pk", "as_of", "trigger", "created_by", "status", "batches_done", "batches_total",
                    "accounts_scored", "alerts_opened", "seconds", "started_at")
    list_filter = ("status", "trigger")
    inlines = [RecomputeBatchInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Competitor)
class CompetitorAdmin(AuditedAdmin):
    """The competitor list of the text reader; a change has every text read again in the background."""

    list_display = ("name", "note")
    search_fields = ("name", "note")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._read_again(request)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._read_again(request)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        self._read_again(request)

    def _read_again(self, request) -> None:
        from scoring.texts.service import texts_mark_unread  # see the module's description

        count = texts_mark_unread()
        if count:
            transaction.on_commit(_queue_reading)
            self.message_user(request, f"{count:,} customer texts will be read again with the new list.")


def _queue_reading() -> None:
    from scoring.tasks import read_waiting_texts  # see the module's description

    try:
        read_waiting_texts.delay()
    except OperationalError:
        pass  # the five-minute sweep, and at the latest the next recompute, read them


@admin.register(ChurnModel)
class ChurnModelAdmin(AuditedAdmin):
    """Trained churn models, read only: they are made by training (command, schedule or "Retrain now")."""

    list_display = ("version", "status", "created_at", "trigger", "trained_from", "trained_to", "rows", "churners",
                    "reason")
    list_filter = ("status", "trigger")
    exclude = ("booster",)  # LightGBM's text: long and of no use to read here

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # predictions and the record of what was tried and rejected stay


@admin.register(ChurnPrediction)
class ChurnPredictionAdmin(OwnedByAccountAdmin):
    """Daily churn predictions, read only."""

    list_display = ("account", "as_of", "probability", "band", "model")
    list_filter = ("as_of", "band")
    search_fields = ("account__name", "account__external_id")
    list_select_related = ("account", "model")
    date_hierarchy = "as_of"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
