from django.apps import AppConfig


class ScoringConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'scoring'

    def ready(self) -> None:
        # Connects the receivers of accounts.events; they import models, so only once the app registry is ready.
        from scoring import receivers  # noqa: F401
