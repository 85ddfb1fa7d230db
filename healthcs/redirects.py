"""Where a plain (no-JavaScript) form goes after it is handled."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def next_address(request: HttpRequest, fallback: str) -> str:
    """The form's `next` address when it is on this site (never another site: no open redirect), else
    `fallback`."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def redirect_back(request: HttpRequest, fallback: str) -> HttpResponse:
    """Back to the form's `next` address when it is on this site, else to `fallback` (a URL name or path)."""
    return redirect(next_address(request, fallback))
