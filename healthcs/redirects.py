"""Where a plain (no-JavaScript) form goes after it is handled."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def redirect_back(request: HttpRequest, fallback: str) -> HttpResponse:
    """Back to the form's `next` address when it is on this site (never on to another site: no open
    redirect), else to `fallback` (a URL name or path)."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = fallback
    return redirect(target)
