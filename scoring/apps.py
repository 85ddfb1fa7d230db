from django.apps import AppConfig


class ScoringConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'scoring'

    def ready(self) -> None:
        from scoring import receivers  # noqa: F401  (connects the receivers of accounts.events)
