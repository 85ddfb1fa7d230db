from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The top layer: what spans customer data, scoring, interventions and expansion (the daily run, the
    cross-domain pages and dashboards, the demo)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "workspace"

    def ready(self) -> None:
        # Connects the scored-day receiver; it imports models, so only once the app registry is ready.
        from workspace import receivers  # noqa: F401
