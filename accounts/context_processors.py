"""Navigation entries for the base layout, only those the user's role may use."""

from django.urls import reverse


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [("Home", reverse("home")), ("Accounts", reverse("account_list")),
             ("Tasks", reverse("task_list")), ("Alerts", reverse("alert_list")),
             ("Digest", reverse("digest")),
             ("Executive", reverse("executive")), ("Renewals", reverse("renewals")),
             ("Drivers & insights", reverse("insights")),
             ("Pipeline", reverse("pipeline")), ("Ticket Analyzer", reverse("ticket_analyzer")),
             ("Ask the book", reverse("search"))]
    if user.sees_all_accounts:
        items.append(("Effectiveness", reverse("effectiveness")))
        items.append(("ROI", reverse("roi")))
        items.append(("Score accuracy", reverse("score_accuracy")))
    if user.has_perm("scoring.recompute_scores"):
        items.append(("Recompute", reverse("recompute")))
    if user.has_perm("accounts.import_data"):
        items.append(("Import", reverse("import_upload")))
    if user.is_staff:
        items.append(("Admin", reverse("admin:index")))
    current = request.path
    return {"nav_items": [
        {"label": label, "url": url, "active": current == url or (url != "/" and current.startswith(url))}
        for label, url in items
    ]}
