"""The three roles as auth groups with their permissions, kept in step after every migrate."""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

CUSTOMER_MODELS = ("account", "subscription", "usagerecord", "supportticket", "churnevent",
                   "contact", "championchange", "touchpoint", "surveyresponse", "invoice")

# (app label, codename) pairs per role; "*" = every permission of the app.
ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    "CSM": [("accounts", f"view_{m}") for m in CUSTOMER_MODELS]
    + [("accounts", "add_touchpoint"), ("accounts", "change_touchpoint"),
       ("accounts", "add_contact"), ("accounts", "change_contact")]
    + [("scoring", "view_snapshot"), ("scoring", "view_alert"), ("scoring", "change_alert")]
    + [("interventions", f"view_{m}") for m in ("intervention", "task", "outcome")]
    + [("expansion", "view_expansionsignal"), ("expansion", "view_opportunity")],
    "Manager": [("accounts", f"view_{m}") for m in CUSTOMER_MODELS]
    + [("accounts", "change_account"), ("accounts", "import_data"), ("accounts", "view_importrun"),
       ("accounts", "add_touchpoint"), ("accounts", "change_touchpoint"),
       ("accounts", "add_contact"), ("accounts", "change_contact"), ("accounts", "view_user")]
    + [("scoring", "view_snapshot"), ("scoring", "view_alert"), ("scoring", "change_alert"),
       ("scoring", "recompute_scores"), ("scoring", "view_recomputerun"), ("scoring", "view_scoringconfig")]
    + [("interventions", f"view_{m}") for m in ("playbook", "playbookstep", "intervention", "task", "outcome",
                                                 "notification")]
    + [("accounts", "view_auditevent"), ("accounts", "view_accountassignment")]
    + [("accounts", f"{action}_assignmentrule") for action in ("view", "add", "change", "delete")]
    + [("expansion", f"view_{m}") for m in ("planlimit", "advancedfeature", "expansionsignal", "opportunity")]
    + [("workspace", "view_digestdelivery"), ("workspace", "view_reviewdocument")],
    "Admin": [("accounts", "*"), ("scoring", "*"), ("interventions", "*"), ("expansion", "*"),
              ("workspace", "*"), ("auth", "*"), ("django_celery_beat", "*"), ("axes", "*")],
}


def ensure_role_groups(**kwargs) -> None:
    """Create the role groups and give each exactly its permissions (safe to run repeatedly)."""
    for role, wanted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        query = Q(pk__in=[])
        for app_label, codename in wanted:
            if codename == "*":
                query |= Q(content_type__app_label=app_label)
            else:
                query |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(query))
