from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Customers and users"

    def ready(self) -> None:
        from accounts.roles import ensure_role_groups

        # Permissions only exist after migrate has run, so the role groups are kept in step here.
        post_migrate.connect(ensure_role_groups, dispatch_uid="healthcs-role-groups")
