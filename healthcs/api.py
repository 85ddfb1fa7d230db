"""What every API endpoint shares: paging, list filters read by django-filter, and JSON errors (docs/api.md), a
DomainError (a rule the request broke) included."""

import logging

from django.http import HttpRequest, JsonResponse
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from healthcs.errors import DomainError
from healthcs.inputs import form_problems

logger = logging.getLogger(__name__)


class Pagination(pagination.PageNumberPagination):
    """?page=N (and ?page_size=M, at most 200): {"count", "next", "previous", "results"}."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class FilterBackend(DjangoFilterBackend):
    """A list's query parameters read by the view's `filterset_class`, which is also what the OpenAPI schema
    documents (drf-spectacular's django-filter extension: type, enum and help_text of each filter). A refused
    value is a 400 of {parameter: sentence} (healthcs.inputs, with the FilterSet's `problem_messages`), not
    django-filter's lists of Django's messages."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if problems := form_problems(filterset.form, getattr(filterset, "problem_messages", {})):
            raise ValidationError(problems)
        return filterset.qs


def exception_handler(error, context):
    """DRF's JSON errors ({"detail": ...}, or the fields and their problems); a DomainError is a 400 like a
    refused field: {field: message} when it names one, {"detail": message} otherwise; and a JSON 500 with
    no trace for anything unexpected (logged with its trace)."""
    if isinstance(error, DomainError):
        return Response(error.as_json(), status=400)
    response = drf_exception_handler(error, context)
    if response is not None:
        return response
    logger.error("API error", exc_info=error)
    return JsonResponse({"detail": "Something went wrong on our side; it has been logged."}, status=500)


def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """An /api/ address that does not exist: JSON like every other API answer."""
    return JsonResponse({"detail": "No such API endpoint."}, status=404)
