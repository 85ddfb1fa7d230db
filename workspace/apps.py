from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The top layer: what spans customer data, scoring, interventions and expansion (the daily run, the
    cross-domain pages and dashboards, the demo)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "workspace"

    def ready(self) -> None:
        from workspace import receivers  # noqa: F401  (connects the scored-day receiver)
