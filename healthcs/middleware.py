"""A guard in front of every view: a NUL byte in the address or its query string (`?q=%00`) is refused with
a 400 naming the parameter. PostgreSQL cannot store or compare text holding NUL, and some views look a
path or parameter up before any form reads it (`/accounts/%00/`, `?add=%00`); the forms and serializers
refuse NUL in fields too, this catches what reaches the database before them."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from healthcs.inputs import shown


def _nul_message(request: HttpRequest) -> tuple[str, str] | None:
    """(what holds the NUL, the sentence saying so), or None when there is none."""
    if "\x00" in request.path:
        return "detail", "The address contains a NUL character (%00); remove it."
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            return name, f"The parameter '{shown(name)}' contains a NUL character (%00); remove it."
    return None


class RefuseNulBytes:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        found = _nul_message(request)
        if found is None:
            return self.get_response(request)
        name, message = found
        if request.path.startswith("/api/"):
            return JsonResponse({name.replace("\x00", "\\x00"): message}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
