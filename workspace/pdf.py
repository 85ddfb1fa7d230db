"""HTML printed to PDF by headless Chromium (docs/operations.md#business-reviews): the same engine as the browser
tests, so the PDF is the page people see, with its print stylesheet. A PDF is cached under the hash of its HTML (the
same review asked for again is not printed again). Without Chromium, or when it fails or takes longer than
settings.REVIEW_PDF_TIMEOUT, PdfUnavailable says why in a sentence."""

import hashlib
import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

CACHE_SECONDS = 24 * 3600
ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--no-pdf-header-footer")


class PdfUnavailable(Exception):
    """Why no PDF could be printed, as a sentence for the page."""


def engine_problem() -> str:
    """Why PDFs cannot be printed here ("" when the configured Chromium is there)."""
    binary = settings.REVIEW_PDF_CHROMIUM
    if not (Path(binary).is_file() or shutil.which(binary)):
        return (f"The PDF engine (headless Chromium, REVIEW_PDF_CHROMIUM = {binary}) is not installed on this server. "
                "The review page itself can be printed from the browser.")
    return ""


def html_to_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML document (styles inline, no scripts, no other files)."""
    key = "review-pdf:" + hashlib.sha256(html.encode()).hexdigest()
    try:
        cached = cache.get(key)
    except (RedisError, OSError):
        cached = None
    if cached:
        return cached
    if problem := engine_problem():
        raise PdfUnavailable(problem)
    with tempfile.TemporaryDirectory(prefix="healthcs-pdf-") as folder:
        page, out = Path(folder) / "review.html", Path(folder) / "review.pdf"
        page.write_text(html, encoding="utf-8")
        command = [settings.REVIEW_PDF_CHROMIUM, *ARGS, f"--user-data-dir={folder}/profile",
                   f"--print-to-pdf={out}", page.as_uri()]
        try:
            subprocess.run(command, capture_output=True, timeout=settings.REVIEW_PDF_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise PdfUnavailable(f"The PDF engine took longer than {settings.REVIEW_PDF_TIMEOUT:g} s; "
                                 "try again later.") from None
        except OSError as error:
            raise PdfUnavailable(f"The PDF engine could not be started ({error.strerror}).") from None
        pdf = out.read_bytes() if out.is_file() else b""
    if not pdf.startswith(b"%PDF"):
        raise PdfUnavailable("The PDF engine printed nothing; try again later.")
    try:
        cache.set(key, pdf, timeout=CACHE_SECONDS)
    except (RedisError, OSError) as error:
        logger.warning("PDF cache unavailable: %s", error)
    return pdf
