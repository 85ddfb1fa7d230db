"""Navigation entries for the base layout, only those the user's role may use."""

from functools import cache

from django.urls import reverse

# (label, URL name, who sees it: None everyone, "lead" managers and admins, "staff", or a permission)
ENTRIES = (("Home", "home", None), ("Accounts", "account_list", None), ("Tasks", "task_list", None),
           ("Alerts", "alert_list", None), ("Digest", "digest", None), ("Executive", "executive", None),
           ("Renewals", "renewals", None), ("Drivers & insights", "insights", None), ("Pipeline", "pipeline", None),
           ("Ticket Analyzer", "ticket_analyzer", None), ("Ask the book", "search", None),
           ("Effectiveness", "effectiveness", "lead"), ("ROI", "roi", "lead"),
           ("Score accuracy", "score_accuracy", "lead"),
           ("Recompute", "recompute", "scoring.recompute_scores"), ("Import", "import_upload", "accounts.import_data"),
           ("Admin", "admin:index", "staff"))


@cache
def _addresses() -> tuple[tuple[str, str, str | None], ...]:
    """The entries with their addresses, reversed once per process (they never change while it runs)."""
    return tuple((label, reverse(name), who) for label, name, who in ENTRIES)


def _shown(user, who: str | None) -> bool:
    if who is None:
        return True
    if who == "lead":
        return user.sees_all_accounts
    if who == "staff":
        return user.is_staff
    return user.has_perm(who)


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    current = request.path
    return {"nav_items": [
        {"label": label, "url": url, "active": current == url or (url != "/" and current.startswith(url))}
        for label, url, who in _addresses() if _shown(user, who)
    ]}
