from django.apps import AppConfig


class InterventionsConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'interventions'

    def ready(self) -> None:
        # Connects the reassignment receiver; it imports models, so only once the app registry is ready.
        from interventions import receivers  # noqa: F401
