"""The error answers people and programs get: friendly 400/403/404/500 pages, and JSON under /api/
(the API's own errors are DRF's JSON; these cover what happens outside a DRF view). Used as the
handlers of healthcs/urls.py, by FriendlyErrorsMiddleware, and for CSRF failures.

DomainError is the one exception for a request the domain's rules refuse: services raise it, and it is
answered once for pages (FriendlyErrorsMiddleware: this 400 page, or a 400 fragment for HTMX) and once for
the API (healthcs.api.exception_handler: a 400 in JSON). A page that shows the message beside what was typed
catches it itself."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template

SHOWN_MAX = 40  # characters of a typed value quoted in a message


def shown(value) -> str:
    """A typed value as a message quotes it: at most SHOWN_MAX characters, control characters escaped."""
    text = "" if value is None else str(value)
    cut = len(text) > SHOWN_MAX
    text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in text[:SHOWN_MAX])
    return text + ("…" if cut else "")



class DomainError(ValueError):
    """A request the domain's rules refuse, with nothing changed: `message` is a sentence for the person
    (what is wrong and how to fix it) and `field` the input it is about, when there is one."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def fields(self) -> dict[str, str]:
        """{field: message} when the refusal is about one input, else {}."""
        return {self.field: self.message} if self.field else {}

    def as_json(self) -> dict[str, str]:
        """The API's 400 body, shaped like a refused field's: {field: message}, else {"detail": message}."""
        return self.fields or {"detail": self.message}


API_PREFIX = "/api/"
MESSAGES = {
    400: "The request could not be read.",
    403: "You do not have permission to do this.",
    404: "No such API endpoint or object.",
    500: "Something went wrong on our side; it has been logged.",
}


def _api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _answer(request: HttpRequest, status: int, template: str, context: dict | None = None) -> HttpResponse:
    if _api(request):
        return JsonResponse({"detail": MESSAGES[status]}, status=status)
    return render(request, template, context or {}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(request, 400, "400.html")


def refused(request: HttpRequest, error: DomainError) -> HttpResponse:
    """A DomainError no page caught: its sentence on the 400 page, or alone in a small fragment for HTMX
    (swapped where the request's answer goes), or as JSON under /api/."""
    if _api(request):
        return JsonResponse(error.as_json(), status=400)
    template = "_refused.html" if getattr(request, "htmx", False) else "400.html"
    return render(request, template, {"refusal": error.message}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(request, 403, "403.html")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(request, 404, "404.html")


def server_error(request: HttpRequest) -> HttpResponse:
    """No context and no request-dependent template features: the page must render whatever broke."""
    if _api(request):
        return JsonResponse({"detail": MESSAGES[500]}, status=500)
    return HttpResponse(get_template("500.html").render(), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid CSRF token: usually a page left open across a log-out or for hours."""
    return _answer(request, 403, "403.html", {"csrf_failed": True})
