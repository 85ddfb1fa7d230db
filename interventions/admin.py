"""Admin of the interventions app: playbooks with their ordered steps inline (templates validated on
save, previewed against a real account, every change audited), and read-only views of what firing
and CSMs recorded (interventions, tasks, outcomes, notifications)."""

from django.contrib import admin
from django.db.models import Count
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.admin import OwnedByAccountAdmin, ReadOnlyAdminMixin
from accounts.audit import audit_admin_delete, audit_record
from accounts.models import Account
from accounts.selectors import accounts_for_user
from interventions.messages import TemplateProblem, account_facts, contact_first_name, render_message
from interventions.models import (
    Intervention,
    NextBestActionCheck,
    Notification,
    Outcome,
    PlanObjective,
    PlanStep,
    Playbook,
    PlaybookStep,
    SuccessPlan,
    Task,
)
from scoring.selectors import latest_snapshot
from scoring.services import latest_as_of

PLAYBOOK_FIELDS = ("name", "description", "trigger_kind", "trigger_value", "priority", "cooldown_days",
                   "control_share", "active")
STEP_FIELDS = ("order", "title", "due_offset_hours", "channel", "assignee_role", "template", "escalate_after_hours")


def playbook_state(pk: int | None) -> dict:
    """A playbook and its steps as plain values, to compare before and after an edit."""
    if pk is None:
        return {}
    playbook = Playbook.objects.filter(pk=pk).values(*PLAYBOOK_FIELDS).first() or {}
    state = {k: str(v) for k, v in playbook.items()}
    state["steps"] = [{k: ("" if v is None else str(v)) for k, v in step.items()}
                      for step in PlaybookStep.objects.filter(playbook_id=pk).order_by("order").values(*STEP_FIELDS)]
    return state


def state_changes(before: dict, after: dict) -> dict:
    """{field: [old, new]} for what differs; steps compared as whole lists."""
    return {key: [before.get(key), after.get(key)] for key in sorted(set(before) | set(after))
            if before.get(key) != after.get(key)}


class PlaybookStepInline(admin.StackedInline):
    model = PlaybookStep
    extra = 0
    fields = (("order", "title"), ("due_offset_hours", "escalate_after_hours"), ("channel", "assignee_role"),
              "template")
    ordering = ("order",)


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin):
    list_display = ("name", "trigger_kind", "trigger_value", "priority", "cooldown_days", "control_share", "active",
                    "interventions_count", "firing_problem", "preview_link")
    list_filter = ("active", "trigger_kind")
    search_fields = ("name", "trigger_value")
    inlines = [PlaybookStepInline]
    fields = (*PLAYBOOK_FIELDS, "last_error_at", "last_error", "preview_link")
    readonly_fields = ("last_error_at", "last_error", "preview_link")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(interventions_total=Count("interventions"))

    @admin.display(description="interventions", ordering="interventions_total")
    def interventions_count(self, obj) -> int:
        return obj.interventions_total

    @admin.display(description="last firing failed", ordering="last_error_at")
    def firing_problem(self, obj) -> str:
        if not obj.last_error:
            return "—"
        error = obj.last_error if len(obj.last_error) <= 200 else obj.last_error[:199] + "…"
        when = f"{timezone.localtime(obj.last_error_at):%Y-%m-%d %H:%M}" if obj.last_error_at else ""
        return format_html('<strong class="errornote">{}</strong> {}', when, error)

    @admin.display(description="preview")
    def preview_link(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "Save the playbook to preview its messages."
        return format_html('<a href="{}">Preview the messages for an account</a>',
                           reverse("admin:interventions_playbook_preview", args=[obj.pk]))

    # Audit: the state before the save (still in the database while the playbook itself is saved) is
    # compared with the state after the steps are saved too; one audit entry per save.
    def save_model(self, request, obj, form, change):
        request._playbook_before = playbook_state(obj.pk) if change else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_playbook_before", {})
        changes = state_changes(before, playbook_state(form.instance.pk))
        if changes:
            audit_record(user=request.user, action="changed" if change else "created", obj=form.instance,
                         changes=changes)

    def delete_model(self, request, obj):
        before = playbook_state(obj.pk)
        audit_record(user=request.user, action="deleted", obj=obj, changes=state_changes(before, {}))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # The changelist's "Delete selected" bypasses delete_model: each playbook is recorded all the same.
        parent = super()
        audit_admin_delete(user=request.user, objects=list(queryset),
                           delete=lambda: parent.delete_queryset(request, queryset))

    def has_delete_permission(self, request, obj=None):
        # A playbook that fired is history that effectiveness reads: switch it off instead.
        return super().has_delete_permission(request, obj) and (obj is None or not obj.interventions.exists())

    def get_urls(self):
        return [path("<int:pk>/preview/", self.admin_site.admin_view(self.preview_view),
                     name="interventions_playbook_preview"), *super().get_urls()]

    def preview_view(self, request, pk: int):
        """Each step's message filled for a real account (chosen by id or name; default: the riskiest)."""
        playbook = self.get_object(request, str(pk))
        if playbook is None or not self.has_view_permission(request, playbook):
            raise Http404("No such playbook.")
        query = request.GET.get("account", "").strip()
        accounts = accounts_for_user(request.user)
        account = None
        if query:
            account = (accounts.filter(external_id__iexact=query).first()
                       or accounts.filter(name__icontains=query).order_by("name").first())
        else:
            account = _riskiest(accounts)
        messages = []
        if account is not None:
            snapshot = latest_snapshot(account)
            facts = account_facts(account=account, snapshot=snapshot, contact_name=contact_first_name(account),
                                  playbook_name=playbook.name)
            messages = [(step, _preview(step, facts)) for step in playbook.steps.order_by("order")]
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "playbook": playbook,
                   "account": account, "query": query, "messages_preview": messages,
                   "title": f"Preview: {playbook.name}"}
        return TemplateResponse(request, "admin/interventions/playbook_preview.html", context)


def _preview(step: PlaybookStep, facts) -> str:
    """The step's message, or why it cannot be filled (a template stored before the checks)."""
    try:
        return render_message(step.template, facts, step.channel)
    except TemplateProblem as problem:
        return f"This step's template cannot be filled: {problem}"


def _riskiest(accounts) -> Account | None:
    as_of = latest_as_of()
    if as_of is None:
        return accounts.order_by("name").first()
    return (accounts.filter(snapshots__as_of=as_of).order_by("-snapshots__risk_score", "name").first()
            or accounts.order_by("name").first())


class ReadOnlyAdmin(ReadOnlyAdminMixin, OwnedByAccountAdmin):
    """Records written by the app (firing, CSMs' work): viewed here, never edited or deleted by hand."""


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under their parent, every field read-only: none added, changed or deleted here."""

    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class TaskInline(ReadOnlyInline):
    model = Task
    fields = ("order", "title", "channel", "assignee", "due_at", "status", "done_at", "done_by", "escalated_at")


@admin.register(Intervention)
class InterventionAdmin(ReadOnlyAdmin):
    list_display = ("account", "playbook", "triggered_on", "group", "status", "health_tier", "risk_score", "csm")
    list_filter = ("status", "group", "playbook", "triggered_on")
    search_fields = ("account__name", "account__external_id")
    list_select_related = ("account", "playbook", "csm")
    inlines = [TaskInline]
    date_hierarchy = "triggered_on"


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ("title", "account", "assignee", "due_at", "status", "done_at", "escalated_at")
    list_filter = ("status", "channel", "assignee_role")
    search_fields = ("title", "account__name", "account__external_id")
    list_select_related = ("account", "assignee")


@admin.register(Outcome)
class OutcomeAdmin(ReadOnlyAdmin):
    list_display = ("account", "kind", "created_by", "created_at", "intervention")
    list_filter = ("kind",)
    search_fields = ("account__name", "account__external_id", "note")
    list_select_related = ("account", "created_by", "intervention__playbook")


@admin.register(NextBestActionCheck)
class NextBestActionCheckAdmin(ReadOnlyAdmin):
    list_display = ("action", "account", "done", "changed_by", "changed_at")
    list_filter = ("done",)
    search_fields = ("action", "account__name", "account__external_id")
    list_select_related = ("account", "changed_by")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("message", "user", "created_at", "read_at", "emailed_at")
    list_select_related = ("user", "account")


class PlanObjectiveInline(ReadOnlyInline):
    model = PlanObjective
    fields = ("order", "title", "reason_key")


@admin.register(SuccessPlan)
class SuccessPlanAdmin(ReadOnlyAdmin):
    """Plans are written on Account 360 (interventions.plans, audited step by step); admin shows them."""

    list_display = ("title", "account", "created_by", "created_at", "updated_at")
    search_fields = ("title", "account__name", "account__external_id")
    list_select_related = ("account", "created_by")
    inlines = [PlanObjectiveInline]
    date_hierarchy = "updated_at"


@admin.register(PlanStep)
class PlanStepAdmin(ReadOnlyAdmin):
    list_display = ("title", "account", "objective", "owner", "due_on", "status", "done_at")
    list_filter = ("status", "due_on")
    search_fields = ("title", "objective__title", "account__name", "account__external_id")
    list_select_related = ("account", "objective", "owner")
