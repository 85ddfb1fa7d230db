from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate

from healthcs.middleware import start_idle_clock


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Customers and users"

    def ready(self) -> None:
        from accounts.roles import ensure_role_groups  # imports the auth models: only once the app registry is ready

        # Permissions only exist after migrate has run, so the role groups are kept in step here.
        post_migrate.connect(ensure_role_groups, dispatch_uid="healthcs-role-groups")
        # The idle-session timeout's clock starts at log-in (healthcs.middleware); the log-in's own session
        # save carries it, and Django offers no other hook into every way of logging in.
        user_logged_in.connect(start_idle_clock, dispatch_uid="healthcs-idle-clock")
