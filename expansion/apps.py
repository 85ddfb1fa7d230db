from django.apps import AppConfig


class ExpansionConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'expansion'
