"""What the forms written in Python (the task rows, the plan's steps) share with Django's templates: the CSRF field
as `{% csrf_token %}` writes it, the address a form goes back to, as `{% firstof next request.get_full_path %}`
gives it, and a moment or a day as `{{ value|date:"Y-m-d H:i" }}` and `{{ value|date:"Y-m-d" }}` print them."""

from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString


def csrf_input(context) -> SafeString | str:
    """The hidden CSRF field of the context's token ("" without one, as the template tag writes nothing)."""
    token = context.get("csrf_token")
    return (format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
            if token and token != "NOTPROVIDED" else "")


def back_address(context) -> SafeString:
    """Where the form goes back to, escaped: the context's `next`, else the page's own address."""
    request = context.get("request")
    return conditional_escape(context.get("next") or (request.get_full_path() if request is not None else ""))


def local_minute(moment) -> str:
    """A moment in the local time zone, to the minute ("" for none)."""
    return date_filter(timezone.localtime(moment), "Y-m-d H:i") if moment else ""


def local_day(value) -> str:
    """A date, or a moment's day in the local time zone ("" for none)."""
    return date_filter(timezone.template_localtime(value), "Y-m-d") if value else ""
