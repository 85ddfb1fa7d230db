"""Project-wide middleware: NUL bytes refused in addresses, no caching of API answers and downloads, the
idle-session timeout, the 400 answer to a DomainError a page did not catch, and the friendly error pages
when DEBUG is on.

NUL bytes: a NUL in the address or its query string (`?q=%00`) is refused with a 400 naming the parameter.
PostgreSQL cannot store or compare text holding NUL, and some views look a path or parameter up before any
form reads it (`/accounts/%00/`, `?add=%00`); the forms and serializers refuse NUL in fields too, this catches
what reaches the database before them."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.core import signals
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.log import log_response

from healthcs import errors
from healthcs.errors import shown

Handler = Callable[[HttpRequest], HttpResponse]


def _nul_message(request: HttpRequest) -> tuple[str, str] | None:
    """(what holds the NUL, the sentence saying so), or None when there is none."""
    if "\x00" in request.path:
        return "detail", "The address contains a NUL character (%00); remove it."
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            return name, f"The parameter '{shown(name)}' contains a NUL character (%00); remove it."
    return None


class RefuseNulBytes:
    def __init__(self, get_response: Handler):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        found = _nul_message(request)
        if found is None:
            return self.get_response(request)
        name, message = found
        if request.path.startswith("/api/"):
            return JsonResponse({name.replace("\x00", "\\x00"): message}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every /api/ answer (errors and refusals included) and on every file
    download (an attachment, e.g. the CSV export): they carry customer data that neither a shared cache
    nor the browser's disk cache should keep."""

    def __init__(self, get_response: Handler):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith("/api/") or response.get("Content-Disposition", "").startswith("attachment"):
            response["Cache-Control"] = "no-store"
        return response


def start_idle_clock(sender, request: HttpRequest, user, **kwargs) -> None:
    """On log-in (Django's user_logged_in): the idle clock starts with the session Django saves anyway, so
    the first request after it need not write the session again."""
    if hasattr(request, "session"):
        request.session[IdleSessionTimeoutMiddleware.LAST_ACTIVITY] = int(time.time())


class IdleSessionTimeoutMiddleware:
    """Log out a user whose last request is more than SESSION_IDLE_TIMEOUT_MINUTES old. Each request
    counts as activity; the session (and its cookie's expiry) is saved again at most once a minute, not
    on every request, so browsing does not write the session row each time."""

    LAST_ACTIVITY = "last_activity"
    REFRESH_SECONDS = 60

    def __init__(self, get_response: Handler):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if SESSION_KEY in session:  # logged in (token-authenticated API calls have no session)
            now = int(time.time())
            last = session.get(self.LAST_ACTIVITY)
            if last is not None and now - last > settings.SESSION_IDLE_TIMEOUT_MINUTES * 60:
                logout(request)  # the page then sees an anonymous user and sends them to the login form
            elif last is None or now - last >= min(self.REFRESH_SECONDS, settings.SESSION_COOKIE_AGE // 10):
                session[self.LAST_ACTIVITY] = now
        return self.get_response(request)


class FriendlyErrorsMiddleware:
    """A DomainError a page did not catch (a rule the request broke) is a 400 with its sentence, in every
    mode: the friendly 400 page, or a fragment for HTMX (base.html's htmx-config puts a 400 in #refusal).

    With DEBUG on, Django answers a missing page or a crash with its debug pages (a failed CSRF check:
    see CSRF_FAILURE_VIEW); people get the friendly 404/500 pages (or the API's JSON) in every mode. With
    DEBUG off Django already calls the handlers of healthcs/urls.py, and this does nothing more."""

    def __init__(self, get_response: Handler):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.DEBUG:
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as error:  # no view at all: Django would show its URL list
                return errors.page_not_found(request, error)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, errors.DomainError):
            return errors.refused(request, exception)
        if not settings.DEBUG:
            return None
        if isinstance(exception, Http404):
            return errors.page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):  # Django calls handler403 in every mode
            return None
        # A crash: what Django does with DEBUG off (tell listeners such as the test client, log the
        # traceback), with the friendly page instead of the debug one.
        signals.got_request_exception.send(sender=None, request=request)
        response = errors.server_error(request)
        log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request,
                     exception=exception)
        return response
