"""Business reviews as PDF documents (docs/operations.md#business-reviews): printed on demand from the review's
page, and stored ahead of renewals by a daily task — one document per account and period, replaced when printed
again, so a repeated or retried run adds nothing."""

import datetime as dt

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Account
from workspace.models import ReviewDocument
from workspace.pdf import html_to_pdf
from workspace.reviews import Period, business_review, last_full_quarter, parse_period

CSS = settings.BASE_DIR / "static" / "css" / "review.css"


def review_html(account: Account, period: Period, *, today: dt.date | None = None) -> str:
    """The review as one self-contained HTML document (its stylesheet inline), as it is printed."""
    return render_to_string("workspace/review_document.html", {
        "review": business_review(account, period, today=today), "css": CSS.read_text(encoding="utf-8"),
        "today": today or timezone.localdate()})


def review_pdf(account: Account, period: Period) -> bytes:
    """The review's PDF: the one stored today for the account and period, else printed now (PdfUnavailable when
    it cannot be)."""
    stored = (ReviewDocument.objects.filter(account=account, period=period.key,
                                            generated_at__date=timezone.localdate())
              .values_list("pdf", flat=True).first())
    return bytes(stored) if stored is not None else html_to_pdf(review_html(account, period))


def review_document_store(*, account_id: int, period_key: str) -> ReviewDocument:
    """Print the account's review of the period and store it, replacing an earlier print of the same period."""
    account = Account.objects.select_related("csm").get(pk=account_id)
    pdf = html_to_pdf(review_html(account, parse_period(period_key)))
    document, _ = ReviewDocument.objects.update_or_create(
        account=account, period=period_key,
        defaults={"pdf": pdf, "size": len(pdf), "generated_at": timezone.now()})
    return document


def reviews_due(*, today: dt.date | None = None, days: int | None = None) -> tuple[Period, list[int]]:
    """The last full quarter, and the live accounts renewing within `days` (settings.REVIEW_RENEWAL_DAYS) that have
    no stored review of it yet (one query)."""
    today = today or timezone.localdate()
    days = settings.REVIEW_RENEWAL_DAYS if days is None else days
    period = last_full_quarter(today)
    stored = ReviewDocument.objects.filter(account=OuterRef("pk"), period=period.key)
    due = (Account.objects.filter(churned=False, renewal_date__range=(today, today + dt.timedelta(days=days)))
           .filter(~Exists(stored)).order_by("renewal_date", "id").values_list("id", flat=True))
    return period, list(due)
