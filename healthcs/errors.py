"""The error answers people and programs get: friendly 400/403/404/500 pages, and JSON under /api/
(the API's own errors are DRF's JSON; these cover what happens outside a DRF view). Used as the
handlers of healthcs/urls.py, by FriendlyErrorsMiddleware when DEBUG is on, and for CSRF failures."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template

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
