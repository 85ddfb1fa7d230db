"""The Ticket Analyzer (docs/text-intelligence.md, docs/pages.md, docs/api.md): anyone logged in pastes a ticket, e-mail
or call note and sees its structured reading with the deciding phrases highlighted (in place with HTMX, or as a plain
form), and `POST /api/ticket-analysis/` gives integrations the same reading as JSON."""

import re

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from healthcs.inputs import TextField, form_problems
from healthcs.parsers import JSONParser
from scoring.texts.clean import MAX_TEXT, sanitise
from scoring.texts.reading import CATEGORIES, CATEGORY_LABELS, EVIDENCE_KINDS, Evidence, Reading
from scoring.texts.service import read_text

EMPTY_TEXT = "Paste the text of a ticket, an e-mail or a call note to analyse it."


def highlighted_text(text: str, evidence: list[Evidence]) -> SafeString:
    """The text, escaped, with each piece of evidence in a <mark data-kind="...">; a phrase inside another
    (a competitor inside the churn phrase) is nested, a phrase crossing a more important one is left out."""
    chosen: list[tuple[int, int, str]] = []
    for item in sorted(evidence, key=lambda e: (_rank(e.kind), e.start)):
        span = _span(text, item)
        if span is None or any(span == (s, e) or _crosses(span, (s, e)) for s, e, _ in chosen):
            continue  # not in the text, the same span again, or crossing a more important one
        chosen.append((*span, item.kind))
    pieces: list[str] = []
    open_ends: list[int] = []
    position = 0
    for start, end, kind in sorted(chosen, key=lambda span: (span[0], -span[1])):
        while open_ends and open_ends[-1] <= start:
            position = _close(text, pieces, position, open_ends.pop())
        pieces.append(escape(text[position:start]))
        pieces.append(format_html('<mark data-kind="{}" title="{}">', kind, EVIDENCE_KINDS.get(kind, kind)))
        open_ends.append(end)
        position = start
    while open_ends:
        position = _close(text, pieces, position, open_ends.pop())
    pieces.append(escape(text[position:]))
    return mark_safe("".join(pieces))  # every piece of the text went through escape() above


def _rank(kind: str) -> int:
    return list(EVIDENCE_KINDS).index(kind) if kind in EVIDENCE_KINDS else len(EVIDENCE_KINDS)


def _span(text: str, item: Evidence) -> tuple[int, int] | None:
    """Where the phrase is in the text: at its offsets, else its first occurrence; None if it is not there."""
    if 0 <= item.start < item.end <= len(text) and text[item.start:item.end].lower() == item.phrase.lower():
        return item.start, item.end
    match = re.search(re.escape(item.phrase), text, re.IGNORECASE) if item.phrase.strip() else None
    return (match.start(), match.end()) if match else None


def _crosses(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """The spans overlap and neither contains the other."""
    overlap = a[0] < b[1] and b[0] < a[1]
    return overlap and not (a[0] <= b[0] and b[1] <= a[1]) and not (b[0] <= a[0] and a[1] <= b[1])


def _close(text: str, pieces: list[str], position: int, end: int) -> int:
    pieces.append(escape(text[position:end]))
    pieces.append("</mark>")
    return end


def _result(typed: str) -> dict:
    analysis = read_text(typed)
    clean, _ = sanitise(typed)
    kinds = {e.kind for e in analysis.evidence}
    return {"analysis": analysis, "category_label": CATEGORY_LABELS.get(analysis.category, analysis.category),
            "highlighted": highlighted_text(clean, analysis.evidence),
            "legend": [(kind, label) for kind, label in EVIDENCE_KINDS.items() if kind in kinds],
            "cut": f"The text has {len(typed):,} characters; only the first {MAX_TEXT:,} were analysed."
            if len(typed) > MAX_TEXT else ""}


class AnalyzerForm(forms.Form):
    text = forms.CharField(strip=False, label="text")
    problem_messages = {"text": {"required": EMPTY_TEXT}}

    def clean_text(self) -> str:
        if not self.cleaned_data["text"].strip():
            raise ValidationError(EMPTY_TEXT, code="required")
        return self.cleaned_data["text"]


@login_required
@require_http_methods(["GET", "POST"])
def ticket_analyzer(request: HttpRequest) -> HttpResponse:
    """Paste a text, get its category, sentiment, churn intent, competitor, summary and recommended action."""
    context: dict = {"typed": "", "error": "", "max_text": MAX_TEXT}
    if request.method == "POST":
        form = AnalyzerForm(request.POST)
        context["typed"] = request.POST.get("text", "").replace("\x00", "")
        if form.is_valid():
            context.update(_result(form.cleaned_data["text"]))
        else:
            context["error"] = form_problems(form)["text"]
    if request.htmx:
        return render(request, "scoring/_analysis.html", context)
    return render(request, "scoring/analyzer.html", context, status=400 if context["error"] else 200)


class TicketAnalysisInput(serializers.Serializer):
    text = TextField(trim_whitespace=False, error_messages={"blank": EMPTY_TEXT},
                     help_text=f"The ticket, e-mail or call note; texts longer than {MAX_TEXT:,} characters are cut "
                               "(and the note says so).")

    def validate_text(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(EMPTY_TEXT)
        return value


class EvidenceSerializer(serializers.Serializer):
    # Text rather than an enum: the schema already has a "kind" enum (outcomes), and the names would collide.
    kind = serializers.CharField(help_text=f"What the phrase is evidence of: {', '.join(EVIDENCE_KINDS)}.")
    phrase = serializers.CharField()
    start = serializers.IntegerField(help_text="Offset of the phrase in the sanitised text.")
    end = serializers.IntegerField()


class FactsSerializer(serializers.Serializer):
    days_to_renewal = serializers.IntegerField(allow_null=True, help_text="As the text states it, e.g. 47.")
    amounts = serializers.ListField(child=serializers.CharField(), help_text='Money as written: "$12,400".')
    seats = serializers.IntegerField(allow_null=True)
    ehr = serializers.CharField(allow_blank=True, help_text="The EHR or practice system named.")


class AnalysisSerializer(serializers.Serializer):
    summary = serializers.CharField()
    category = serializers.ChoiceField(choices=CATEGORIES)
    sentiment = serializers.FloatField(min_value=-1, max_value=1)
    sentiment_label = serializers.ChoiceField(choices=["negative", "neutral", "positive"])
    churn_intent = serializers.BooleanField()
    intent_phrase = serializers.CharField(allow_blank=True, help_text="The phrase that voices churn intent.")
    competitors = serializers.ListField(child=serializers.CharField(), help_text="Every competitor named.")
    recommended_action = serializers.CharField()
    language = serializers.CharField()
    feature_request = serializers.BooleanField()
    case_study = serializers.BooleanField(help_text="A case study, testimonial or reference call is mentioned.")
    facts = FactsSerializer()
    evidence = EvidenceSerializer(many=True)
    reader = serializers.CharField(help_text='Who read it: "builtin-3" or "llm-<model>".')
    note = serializers.CharField(allow_blank=True, help_text="Why the LLM fell back, or that the text was cut.")


class AnalysisBodyParser(JSONParser):
    """A text is analysed up to MAX_TEXT characters: a body far beyond that is refused before it is read."""

    max_bytes = 1_000_000
    too_big_hint = f" (texts are analysed up to their first {MAX_TEXT:,} characters)"


class TicketAnalysis(APIView):
    """Analyse one text: {"text": "..."} → category, sentiment, churn intent, competitor, summary, action."""

    parser_classes = [AnalysisBodyParser]

    @extend_schema(request=TicketAnalysisInput, responses={
        200: AnalysisSerializer,
        400: OpenApiResponse(description='{"text": ["This field is required."]} and the like.')})
    def post(self, request):
        payload = TicketAnalysisInput(data=request.data)
        payload.is_valid(raise_exception=True)
        analysis: Reading = read_text(payload.validated_data["text"])
        return Response(AnalysisSerializer(analysis).data)
