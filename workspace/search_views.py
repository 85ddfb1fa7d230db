"""Ask the book (docs/pages.md#ask-the-book, docs/api.md#search): the search page — a question, filters, the answer box
and the texts found grouped by account, updated in place by HTMX or as a plain form — and `GET /api/search/`, the
same as JSON. Both read the same form and call workspace.answers.ask_the_book, within the user's accounts."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Account, Segment
from healthcs.inputs import DayField, WholeNumberField, form_problems
from workspace.answers import Asked, ask_the_book
from workspace.search import CANDIDATES, CATEGORIES, MAX_PAGE, Filters, ehr_names

MAX_QUESTION = 200
EXAMPLES = ("which Epic customers mention sync failures since September", "who mentioned athenahealth",
            "tickets about duplicate patients in the last 90 days", "who asked about pricing before the renewal",
            "Welche Kunden erwähnen Kündigung seit Januar")
SEARCH_PARAMETERS = ("q", "segment", "ehr", "date_from", "date_to", "category")


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=MAX_QUESTION, label="question")
    segment = forms.ChoiceField(required=False, choices=[("", "Any"), *Segment.choices])
    ehr = forms.CharField(required=False, max_length=Account._meta.get_field("ehr_system").max_length, label="EHR")
    date_from = DayField(required=False, label="date from")
    date_to = DayField(required=False, label="date to")
    category = forms.ChoiceField(required=False, choices=[("", "Any"), *CATEGORIES.items()])
    page = WholeNumberField(required=False, min_value=1, max_value=MAX_PAGE)
    problem_messages = {"date_from": {"invalid": "'{value}' is not a date; give the date from as YYYY-MM-DD."},
                        "date_to": {"invalid": "'{value}' is not a date; give the date to as YYYY-MM-DD."}}

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", forms.ValidationError("The date to is before the date from; swap them.",
                                                            code="order"))
        return data


def _asked(user, form: SearchForm) -> Asked | None:
    """The question asked with the form's filters; None when nothing was asked."""
    data = form.cleaned_data
    if not data["q"].strip():
        return None
    filters = Filters(segment=data["segment"], ehr=data["ehr"].strip(), date_from=data["date_from"],
                      date_to=data["date_to"], category=data["category"])
    return ask_the_book(user=user, typed=data["q"].strip(), filters=filters, page=data["page"] or 1)


def _address(query: QueryDict, **changes) -> str:
    """The search page's address with the query's parameters in use, changed as given."""
    kept = QueryDict(mutable=True)
    kept.update({name: value for name, value in query.items() if name in (*SEARCH_PARAMETERS, "page")
                 and value.strip() and name not in changes})
    kept.update({name: str(value) for name, value in changes.items() if value})
    return reverse("search") + (f"?{kept.urlencode()}" if kept else "")


@login_required
def search_view(request: HttpRequest) -> HttpResponse:
    """Ask a question of the customers' texts: the answer with its sources, then the texts by account, paged;
    without a question, example questions. HTMX swaps the results only and keeps the address in step."""
    form = SearchForm(request.GET)
    problems = {} if form.is_valid() else form_problems(form)
    asked = None if problems else _asked(request.user, form)
    context = {"form": form, "typed": {name: request.GET.get(name, "") for name in SEARCH_PARAMETERS},
               "problems": problems, "asked": asked, "examples": [(e, _address(QueryDict(), q=e)) for e in EXAMPLES],
               "max_question": MAX_QUESTION, "candidates": CANDIDATES}
    if asked:
        results = asked.results
        context["previous"] = _address(request.GET, page=results.page - 1) if results.has_previous else ""
        context["next"] = _address(request.GET, page=results.page + 1) if results.has_next else ""
    if request.htmx:
        response = render(request, "workspace/_search_results.html", context)
        response["HX-Push-Url"] = _address(request.GET)
        return response
    context.update(segments=Segment.choices, categories=list(CATEGORIES.items()),
                   ehrs=sorted(asked.ehr_names if asked else ehr_names()))
    return render(request, "workspace/search.html", context, status=400 if problems else 200)


# API --------------------------------------------------------------------------------------------------------

class QuestionSerializer(serializers.Serializer):
    typed = serializers.CharField()
    words = serializers.ListField(child=serializers.CharField(), help_text="Words a text must hold (stemmed).")
    phrases = serializers.ListField(child=serializers.CharField(), help_text="Quoted phrases a text must hold.")
    ehr = serializers.CharField(allow_blank=True, help_text="The EHR the question named as the customers' system.")
    date_from = serializers.DateField(allow_null=True)
    date_to = serializers.DateField(allow_null=True)
    category = serializers.CharField(allow_blank=True)
    understood = serializers.ListField(child=serializers.CharField(), help_text="What was read as a filter.")


class FiltersSerializer(serializers.Serializer):
    segment = serializers.CharField(allow_blank=True)
    ehr = serializers.CharField(allow_blank=True)
    date_from = serializers.DateField(allow_null=True)
    date_to = serializers.DateField(allow_null=True)
    category = serializers.CharField(allow_blank=True)


class SearchAccountSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    name = serializers.CharField()
    segment = serializers.CharField(allow_blank=True)
    ehr_system = serializers.CharField(allow_blank=True)


class TextHitSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["ticket", "touchpoint", "survey"])
    category = serializers.ChoiceField(choices=list(CATEGORIES), help_text="ticket, a touchpoint kind, or survey.")
    at = serializers.DateTimeField()
    title = serializers.CharField(allow_blank=True)
    snippet = serializers.CharField(help_text="Escaped HTML; the matched words in <mark>, no other tag.")
    rank = serializers.FloatField()


class AccountHitsSerializer(serializers.Serializer):
    account = SearchAccountSerializer()
    matches = serializers.IntegerField(help_text="Texts of the account that matched (the best are listed).")
    texts = TextHitSerializer(many=True, source="hits")


class PassageSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    sentence = serializers.CharField()
    account = SearchAccountSerializer()
    kind = serializers.CharField(source="hit.kind")
    category = serializers.CharField(source="hit.category")
    at = serializers.DateTimeField(source="hit.at")


class AnswerSerializer(serializers.Serializer):
    written = serializers.CharField(source="written_text", allow_null=True, help_text=(
        "The LLM's answer citing passages as [n]; null when the answer is extractive (the passages)."))
    model = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True, help_text="Why the LLM's answer is not used, if it is not.")
    cited = serializers.ListField(child=serializers.IntegerField())
    passages = PassageSerializer(many=True)


class SearchResultSerializer(serializers.Serializer):
    question = QuestionSerializer()
    filters = FiltersSerializer()
    relaxed = serializers.BooleanField(source="results.relaxed",
                                       help_text="No text held every word: texts with any of them are listed.")
    capped = serializers.BooleanField(source="results.capped", help_text=(
        f"More texts matched than are ranked ({CANDIDATES:,} of a kind): accounts and texts are at least these."))
    accounts = serializers.IntegerField(source="results.accounts")
    texts = serializers.IntegerField(source="results.texts")
    page = serializers.IntegerField(source="results.page")
    pages = serializers.IntegerField(source="results.pages")
    results = AccountHitsSerializer(many=True, source="results.groups")
    answer = AnswerSerializer()


def _answer_data(asked: Asked) -> dict:
    data = SearchResultSerializer(asked).data
    data["answer"]["written"] = data["answer"]["written"] or None
    return data


class SearchAPI(APIView):
    """Ask the book: the customer texts matching a question, by account, with the answer and its passages."""

    @extend_schema(parameters=[
        OpenApiParameter("q", OpenApiTypes.STR, required=True, description=f"The question (up to {MAX_QUESTION} "
                         "characters), e.g. 'which Epic customers mention sync failures since September'."),
        OpenApiParameter("segment", OpenApiTypes.STR, enum=Segment.values),
        OpenApiParameter("ehr", OpenApiTypes.STR, description="Only accounts on this EHR system."),
        OpenApiParameter("date_from", OpenApiTypes.DATE), OpenApiParameter("date_to", OpenApiTypes.DATE),
        OpenApiParameter("category", OpenApiTypes.STR, enum=list(CATEGORIES)),
        OpenApiParameter("page", OpenApiTypes.INT, description="Page of accounts (20 a page)."),
    ], responses={200: SearchResultSerializer})
    def get(self, request: Request) -> Response:
        form = SearchForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(form_problems(form))
        asked = _asked(request.user, form)
        if asked is None:
            raise ValidationError({"q": "Give the question, e.g. 'who mentioned athenahealth'."})
        return Response(_answer_data(asked))
