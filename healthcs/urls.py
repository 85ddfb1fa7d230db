"""The site's addresses, and the handlers of 400/403/404/500 (friendly pages, JSON under /api/)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.templatetags.static import static
from django.urls import path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView

from accounts import api as accounts_api
from accounts import views as account_views
from accounts.admin import own_password_change
from expansion import api as expansion_api
from expansion import views as expansion_views
from healthcs.api import not_found

# A web process sends tasks, and the admin's periodic tasks list and run them through Celery's current application:
# it must be this project's (healthcs/__init__.py does not load it, so that commands start without Celery).
from healthcs.celery import app as celery_app  # noqa: F401
from interventions import api as intervention_api
from interventions import plan_views
from interventions import views as intervention_views
from scoring import accuracy_views, analyzer_views
from scoring import views as scoring_views
from workspace import alerts as workspace_alerts
from workspace import api as workspace_api
from workspace import contact_views, dashboard_views, digest_views, revenue_views, review_views, search_views
from workspace import views as workspace_views

# The admin modules are loaded here, with the site's addresses, not when Django starts (settings.INSTALLED_APPS
# names SimpleAdminConfig): commands and Celery workers never serve the admin, and its modules bring in much of
# the app (the scoring preview, the text reader) that a command would otherwise load for nothing.
admin.autodiscover()
admin.site.site_header = "HealthCS administration"
admin.site.site_title = "HealthCS admin"

handler400 = "healthcs.errors.bad_request"
handler403 = "healthcs.errors.permission_denied"
handler404 = "healthcs.errors.page_not_found"
handler500 = "healthcs.errors.server_error"


class FaviconView(RedirectView):
    """Browsers and tools ask for /favicon.ico whatever the page's <link rel="icon"> says."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("favicon.svg")


urlpatterns = [
    path("", workspace_views.home, name="home"),
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", workspace_views.account_list, name="account_list"),
    path("accounts/export.csv", workspace_views.account_export, name="account_export"),
    path("accounts/<str:external_id>/", workspace_views.account_detail, name="account_detail"),
    path("accounts/<str:external_id>/timeline/", workspace_views.account_timeline_view, name="account_timeline"),
    path("accounts/<str:external_id>/brief/", review_views.account_brief, name="account_brief"),
    path("accounts/<str:external_id>/review/", review_views.account_review, name="account_review"),
    path("accounts/<str:external_id>/review.pdf", review_views.account_review_pdf, name="account_review_pdf"),
    path("accounts/<str:external_id>/next-best-action/", intervention_views.next_best_action_view,
         name="next_best_action"),
    path("accounts/<str:external_id>/success-plan/", plan_views.success_plan_view, name="success_plan"),
    path("accounts/<str:external_id>/success-plan/objectives/", plan_views.plan_objective_add_view,
         name="plan_objective_add"),
    path("accounts/<str:external_id>/success-plan/objectives/<int:objective_id>/", plan_views.plan_objective_edit_view,
         name="plan_objective_edit"),
    path("accounts/<str:external_id>/success-plan/objectives/<int:objective_id>/steps/", plan_views.plan_step_add_view,
         name="plan_step_add"),
    path("accounts/<str:external_id>/success-plan/steps/<int:step_id>/", plan_views.plan_step_edit_view,
         name="plan_step_edit"),
    path("accounts/<str:external_id>/success-plan/steps/<int:step_id>/status/", plan_views.plan_step_status_view,
         name="plan_step_status"),
    path("views/save/", workspace_views.saved_view_create_view, name="saved_view_create"),
    path("views/defaults/", workspace_views.role_default_set_view, name="role_default_set"),
    path("views/<int:view_id>/", workspace_views.saved_view_open, name="saved_view_open"),
    path("views/<int:view_id>/edit/", workspace_views.saved_view_update_view, name="saved_view_update"),
    path("views/<int:view_id>/delete/", workspace_views.saved_view_delete_view, name="saved_view_delete"),
    path("views/<int:view_id>/pin/", workspace_views.saved_view_pin_view, name="saved_view_pin"),
    path("team/assign/", workspace_views.account_assign, name="account_assign"),
    path("team/books/", workspace_views.csm_books_view, name="csm_books"),
    path("team/books/apply-rules/", workspace_views.assignment_rules_apply_view, name="assignment_rules_apply"),
    path("import/", account_views.import_upload, name="import_upload"),
    path("import/<int:run_id>/", account_views.import_detail, name="import_detail"),
    path("executive/", dashboard_views.executive, name="executive"),
    path("insights/", dashboard_views.insights, name="insights"),
    path("digest/", digest_views.digest_view, name="digest"),
    path("digest/weekly/", digest_views.weekly_summary_view, name="weekly_summary"),
    path("accuracy/", accuracy_views.score_accuracy, name="score_accuracy"),
    path("accuracy/export.csv", accuracy_views.score_accuracy_export, name="score_accuracy_export"),
    path("accounts/<str:external_id>/touchpoints/", workspace_views.touchpoint_log_view, name="touchpoint_log"),
    path("accounts/<str:external_id>/contacts/", contact_views.contact_section_view, name="contact_section"),
    path("accounts/<str:external_id>/contacts/add/", contact_views.contact_add_view, name="contact_add"),
    path("accounts/<str:external_id>/contacts/<str:contact_id>/edit/", contact_views.contact_edit_view,
         name="contact_edit"),
    path("accounts/<str:external_id>/contacts/<str:contact_id>/leave/", contact_views.contact_leave_view,
         name="contact_leave"),
    path("accounts/<str:external_id>/churn/", revenue_views.account_churn_view, name="account_churn"),
    path("renewals/", revenue_views.renewals_view, name="renewals"),
    path("roi/", revenue_views.roi_view, name="roi"),
    path("accounts/<str:external_id>/outcomes/", intervention_views.outcome_log_view, name="outcome_log"),
    path("tasks/counts/", intervention_views.queue_counts_view, name="queue_counts"),
    path("tasks/", intervention_views.task_list_view, name="task_list"),
    path("tasks/bulk/", intervention_views.task_bulk_view, name="task_bulk"),
    path("tasks/<int:task_id>/done/", intervention_views.task_done_view, name="task_done"),
    path("tasks/<int:task_id>/snooze/", intervention_views.task_snooze_view, name="task_snooze"),
    path("notifications/read/", intervention_views.notifications_read_view, name="notifications_read"),
    path("interventions/effectiveness/", intervention_views.effectiveness_view, name="effectiveness"),
    path("pipeline/", expansion_views.pipeline_view, name="pipeline"),
    path("pipeline/forecast/", expansion_views.pipeline_forecast_view, name="pipeline_forecast"),
    path("pipeline/<int:opportunity_id>/", expansion_views.opportunity_view, name="opportunity"),
    path("pipeline/column/<str:stage>/", expansion_views.pipeline_column_view, name="pipeline_column"),
    path("pipeline/<int:opportunity_id>/move/", expansion_views.opportunity_move_view, name="opportunity_move"),
    path("pipeline/<int:opportunity_id>/edit/", expansion_views.opportunity_edit_view, name="opportunity_edit"),
    path("accounts/<str:external_id>/opportunities/", expansion_views.opportunity_add_view, name="opportunity_add"),
    path("signals/<int:signal_id>/convert/", expansion_views.signal_convert_view, name="signal_convert"),
    path("signals/<int:signal_id>/dismiss/", expansion_views.signal_dismiss_view, name="signal_dismiss"),
    path("analyzer/", analyzer_views.ticket_analyzer, name="ticket_analyzer"),
    path("search/", search_views.search_view, name="search"),
    path("alerts/", workspace_alerts.alert_list, name="alert_list"),
    path("alerts/bulk/", workspace_alerts.alert_bulk, name="alert_bulk"),
    path("alerts/<int:alert_id>/acknowledge/", workspace_alerts.alert_acknowledge_view, name="alert_acknowledge"),
    path("alerts/<int:alert_id>/resolve/", workspace_alerts.alert_resolve_view, name="alert_resolve"),
    path("scores/recompute/", scoring_views.recompute, name="recompute"),
    path("scores/recompute/<int:run_id>/", scoring_views.recompute_detail, name="recompute_detail"),
    path("scores/model/", scoring_views.churn_model, name="churn_model"),
    path("scores/model/retrain/", scoring_views.churn_model_retrain, name="churn_model_retrain"),
    path("api/accounts/", workspace_api.AccountList.as_view(), name="api_accounts"),
    path("api/accounts/<str:external_id>/", workspace_api.AccountDetail.as_view(), name="api_account"),
    path("api/accounts/<str:external_id>/history/", workspace_api.AccountHistory.as_view(), name="api_account_history"),
    path("api/accounts/<str:external_id>/touchpoints/", workspace_api.AccountTouchpoints.as_view(),
         name="api_account_touchpoints"),
    path("api/accounts/<str:external_id>/churn/", workspace_api.AccountChurn.as_view(), name="api_account_churn"),
    path("api/accounts/<str:external_id>/success-plan/", workspace_api.AccountSuccessPlan.as_view(),
         name="api_account_success_plan"),
    path("api/interventions/", intervention_api.InterventionList.as_view(), name="api_interventions"),
    path("api/interventions/<int:intervention_id>/outcomes/", intervention_api.InterventionOutcomes.as_view(),
         name="api_intervention_outcomes"),
    path("api/opportunities/", expansion_api.OpportunityList.as_view(), name="api_opportunities"),
    path("api/opportunities/<int:opportunity_id>/", expansion_api.OpportunityDetail.as_view(), name="api_opportunity"),
    path("api/imports/", accounts_api.ImportCreate.as_view(), name="api_imports"),
    path("api/imports/<int:run_id>/", accounts_api.ImportDetail.as_view(), name="api_import"),
    path("api/ticket-analysis/", analyzer_views.TicketAnalysis.as_view(), name="api_ticket_analysis"),
    path("api/search/", search_views.SearchAPI.as_view(), name="api_search"),
    path("api/schema/", SpectacularJSONAPIView.as_view(), name="api_schema"),
    # A page for people: without a login it sends them to the login form, like every other page. The split
    # view loads Swagger UI's start-up script from ?script= instead of inline (Content-Security-Policy).
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(
        url_name="api_schema", template_name="api/swagger_ui.html")), name="api_docs"),
    re_path(r"^api/(?P<path>.*)$", not_found),
    # Before admin's own route of the same address: the same page, with the change recorded in the audit log.
    path("admin/password_change/", admin.site.admin_view(own_password_change)),
    path("admin/", admin.site.urls),
]
